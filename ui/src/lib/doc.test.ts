// doc.ts against the vectors shared with the Rust tests (crates/core/testdata/documents.json), plus the input mask.
import { describe, expect, it } from 'vitest';

import {
  cnpjCheckDigits,
  cpfCheckDigits,
  clean,
  detect,
  docErrorMessage,
  formatCnpj,
  maskAsTyped,
  parseCnpj,
  parseCpf,
  parseDocument,
  type DocError,
  type DocKind,
} from './doc';
import shared from '../../../src-tauri/crates/core/testdata/documents.json';

type Vector = {
  input: string;
  note: string;
  parseAs: 'auto' | 'cpf' | 'cnpj';
  valid: boolean;
  kind: DocKind | null;
  canonical?: string;
  formatted?: string;
  masked?: string;
  ambiguous?: boolean;
  alsoCpf?: string;
  error?: DocError;
  message?: string;
};

const vectors = shared.vectors as Vector[];

const label = (v: Vector) => `${JSON.stringify(v.input)} (${v.note})`;

describe('shared vectors', () => {
  it('has every apis.md §4 example and the trial numbers', () => {
    const canon = new Set(vectors.filter((v) => v.valid).map((v) => v.canonical));
    for (const c of ['40442820135', '12345678909', '00000000272', '28769150494', '12ABC34501DE35', 'AB123CD4567811', '60367129000164']) {
      expect(canon.has(c), c).toBe(true);
    }
    expect(vectors.length).toBeGreaterThan(90);
  });

  for (const v of vectors) {
    it(label(v), () => {
      if (v.parseAs === 'auto') {
        const d = detect(v.input);
        if (v.valid) {
          expect(d.valid).toBe(true);
          if (!d.valid) return;
          expect(d.kind).toBe(v.kind);
          expect(d.canonical).toBe(v.canonical);
          expect(d.formatted).toBe(v.formatted);
          expect(d.masked).toBe(v.masked);
          expect(d.ambiguous).toBe(v.ambiguous ?? false);
          expect(d.alsoCpf?.canonical ?? null).toBe(v.alsoCpf ?? null);
          const doc = parseDocument(v.input);
          expect(doc.ok && doc.doc.canonical).toBe(v.canonical);
          const typed = v.kind === 'cpf' ? parseCpf(v.input) : parseCnpj(v.input);
          expect(typed.ok && typed.doc.canonical).toBe(v.canonical);
          if (v.alsoCpf) {
            const cpf = parseCpf(v.input);
            expect(cpf.ok && cpf.doc.canonical).toBe(v.alsoCpf);
          }
        } else {
          expect(d.valid).toBe(false);
          if (d.valid) return;
          expect(d.kind).toBe(v.kind);
          const { message, ...error } = d.error;
          expect(error).toEqual(v.error);
          expect(message).toBe(v.message);
          const doc = parseDocument(v.input);
          expect(doc.ok ? null : doc.error.message).toBe(v.message);
        }
      } else {
        const r = v.parseAs === 'cpf' ? parseCpf(v.input) : parseCnpj(v.input);
        if (v.valid) {
          expect(r.ok && r.doc).toEqual({ kind: v.kind, canonical: v.canonical, formatted: v.formatted, masked: v.masked });
        } else {
          expect(r.ok).toBe(false);
          if (r.ok) return;
          const { message, ...error } = r.error;
          expect(error).toEqual(v.error);
          expect(message).toBe(v.message);
        }
      }
      if (v.error) expect(docErrorMessage(v.error)).toBe(v.message);
    });
  }
});

describe('check digits', () => {
  it('match the worked examples of apis.md §4', () => {
    expect(cpfCheckDigits('111444777')).toBe('35');
    expect(cnpjCheckDigits('12ABC34501DE')).toBe('35');
    expect(cnpjCheckDigits('342388640001')).toBe('68');
  });

  it('reject any change of a check digit', () => {
    for (const v of vectors.filter((x) => x.valid && x.parseAs === 'auto' && !x.ambiguous)) {
      const c = v.canonical!;
      for (const i of [c.length - 2, c.length - 1]) {
        for (const d of '0123456789') {
          if (d === c[i]) continue;
          const changed = c.slice(0, i) + d + c.slice(i + 1);
          expect(detect(changed).valid, changed).toBe(false);
        }
      }
    }
  });
});

describe('clean', () => {
  it('returns the significant characters', () => {
    expect(clean('CNPJ nº 12.abc.345/01de-35')).toEqual({ ok: true, value: '12ABC34501DE35' });
    expect(clean('CPF:').ok).toBe(false);
  });
});

describe('maskAsTyped', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['4', '4'],
    ['404', '404'],
    ['4044', '404.4'],
    ['404428', '404.428'],
    ['4044282', '404.428.2'],
    ['404428201', '404.428.201'],
    ['4044282013', '404.428.201-3'],
    ['40442820135', '404.428.201-35'],
    ['404.428.201-35', '404.428.201-35'],
    ['404442820135', '40.444.282/0135'],
    ['34238864000168', '34.238.864/0001-68'],
    ['12a', '12.A'],
    ['12abc', '12.ABC'],
    ['12abc34501de35', '12.ABC.345/01DE-35'],
    ['342388640001689', '34.238.864/0001-689'],
    ['CPF: 404.428.201-35', '404.428.201-35'],
    ['N', 'N'],
    ['404 428', '404.428'],
    ['４０４４', '404.4'],
    ['404*4', '404.4'],
  ];
  for (const [input, want] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(want)}`, () => {
      expect(maskAsTyped(input)).toBe(want);
    });
  }

  it('is idempotent and keeps every significant character', () => {
    for (const v of vectors) {
      const once = maskAsTyped(v.input);
      expect(maskAsTyped(once), v.input).toBe(once);
    }
  });

  it('formats a finished CNPJ like formatCnpj', () => {
    expect(maskAsTyped('12ABC34501DE35')).toBe(formatCnpj('12ABC34501DE35'));
  });
});
