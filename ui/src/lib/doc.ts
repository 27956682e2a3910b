// CPF and CNPJ in the UI: the same reading rules, check digits, detection, masks and pt-BR reasons as
// src-tauri/crates/core/src/doc.rs (kept in step by the shared vectors in crates/core/testdata/documents.json).
//
// Reading rules (identical in Rust):
// 1. Each input character is classified alone: separators are dropped; a character whose NFKC form is one ASCII
//    letter or digit is significant (upper-cased); anything else is invalid.
// 2. Tokens are runs of non-separators. Whole tokens at the start or end that spell a label (CPF, CNPJ, MF, Nº,
//    número…, accents ignored) are dropped, and so is a CPF/CNPJ glued before a digit.
// 3. The text without labels is read first. If it is not a valid number, the readings that keep the glued prefix,
//    then the last leading label, the last two… (up to four) are tried, and the first valid one wins. Failing all,
//    the error is the first reading's.

import type { DocKind } from './bindings/DocKind';
import type { DocError } from './bindings/DocError';

export type { DocKind, DocError };

/** A DocError with its pt-BR message (the Rust `Display`). */
export type DocFailure = DocError & { message: string };

/** A valid number: `canonical` has no mask (a CNPJ in upper case), `formatted` and `masked` are for display. */
export type Doc = { kind: DocKind; canonical: string; formatted: string; masked: string };

export type Parsed = { ok: true; doc: Doc } | { ok: false; error: DocFailure };

export type Detection =
  | {
      valid: true;
      kind: DocKind;
      /** 14 digits that are a valid CNPJ and also 000 + a valid CPF: read as the CNPJ, `alsoCpf` is the other reading. */
      ambiguous: boolean;
      canonical: string;
      formatted: string;
      masked: string;
      alsoCpf: Doc | null;
      error: null;
    }
  | { valid: false; kind: DocKind | null; ambiguous: false; error: DocFailure };

const LABEL = { cpf: 'CPF', cnpj: 'CNPJ' } as const;

function showChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f) ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : ch;
}

/** The pt-BR message of a DocError, identical to the Rust `Display`. */
export function docErrorMessage(e: DocError): string {
  switch (e.reason) {
    case 'empty':
      return 'Digite um CPF (11 dígitos) ou um CNPJ (14 caracteres).';
    case 'wrongLength': {
      const typed = e.found === 1 ? 'foi digitado 1' : `foram digitados ${e.found}`;
      if (e.expected === 'cpf') return `O CPF tem 11 dígitos; ${typed}.`;
      if (e.expected === 'cnpj') return `O CNPJ tem 14 caracteres; ${typed}.`;
      return `Um CPF tem 11 dígitos e um CNPJ tem 14 caracteres; ${typed}.`;
    }
    case 'invalidCharacter':
      return `Caractere inválido «${showChar(e.ch)}» na posição ${e.position}. Use só números (e letras, no CNPJ alfanumérico).`;
    case 'letterNotAllowed':
      return e.kind === 'cpf'
        ? `O CPF só tem números: retire a letra «${e.ch}» (posição ${e.position}).`
        : `Os dois últimos caracteres do CNPJ (dígitos verificadores) são sempre números; «${e.ch}» na posição ${e.position} não é válido.`;
    case 'checkDigit':
      return `${LABEL[e.kind]} com dígito verificador incorreto: o ${e.digit}º dígito verificador deveria ser ${e.expected}, e não ${e.found}. Confira o número no documento apresentado.`;
    case 'repeatedSequence':
      return e.kind === 'cpf'
        ? 'CPF com todos os dígitos iguais não existe. Confira o número no documento apresentado.'
        : 'CNPJ com todos os caracteres iguais não existe. Confira o número no documento apresentado.';
  }
}

function fail(error: DocError): { ok: false; error: DocFailure } {
  return { ok: false, error: { ...error, message: docErrorMessage(error) } };
}

// ---- scanning -------------------------------------------------------------------------------------------

const SEPARATORS = new Set(
  [
    ' ', '\t', '\n', '\r', '\u000B', '\u000C', '\u0085', '\u00A0', '\u1680', '\u2028', '\u2029', '\u202F', '\u205F',
    '\u2060', '\u3000', '\uFEFF', '\u00AD', '.', ',', ';', ':', '-', '_', '/', '\\', '|', '(', ')', '[', ']', '{', '}',
    '"', "'", '`', '´', '\u2212', '‘', '’', '“', '”', '«', '»', '·', '•', 'º', 'ª', '°',
  ].concat(range(0x2000, 0x200d), range(0x2010, 0x2015)),
);

function range(from: number, to: number): string[] {
  const out: string[] = [];
  for (let c = from; c <= to; c++) out.push(String.fromCodePoint(c));
  return out;
}

/** How many leading labels the alternative readings may keep. */
const MAX_KEPT_LABELS = 4;

const LABELS = new Set(['CPF', 'CNPJ', 'CIC', 'MF', 'N', 'NO', 'NR', 'NRO', 'NUM', 'NUMERO', 'DO', 'DA', 'DE']);

const ASCII_ALNUM = /^[0-9A-Za-z]$/;

type Class = { t: 'sig'; c: string } | { t: 'sep' } | { t: 'invalid' };

function asciiUpper(s: string): string {
  return s.replace(/[a-z]/g, (c) => c.toUpperCase());
}

function classify(c: string): Class {
  if (SEPARATORS.has(c)) return { t: 'sep' };
  if (ASCII_ALNUM.test(c)) return { t: 'sig', c: asciiUpper(c) };
  if ((c.codePointAt(0) ?? 0) < 0x80) return { t: 'invalid' };
  const n = [...c.normalize('NFKC')];
  if (n.length === 1 && ASCII_ALNUM.test(n[0]!)) return { t: 'sig', c: asciiUpper(n[0]!) };
  if (n.length > 0 && n.every((x) => SEPARATORS.has(x))) return { t: 'sep' };
  return { t: 'invalid' };
}

type Item = { position: number; ch: string; cls: Class };

/** Significant characters (upper-case ASCII) and the input position (from 1) of each. */
type Sig = { text: string; positions: number[] };

function pushToken(sig: Sig, token: Item[]): void {
  for (const i of token) {
    if (i.cls.t === 'sig') {
      sig.text += i.cls.c;
      sig.positions.push(i.position);
    }
  }
}

function isLabel(token: Item[]): boolean {
  const folded = asciiUpper(
    token
      .map((i) => i.ch)
      .join('')
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, ''),
  );
  return LABELS.has(folded);
}

type Scan = { primary: Sig; alternatives: Sig[] };

function scan(input: string): { ok: true; scan: Scan } | { ok: false; error: DocFailure } {
  const items: Item[] = [...input].map((ch, i) => ({ position: i + 1, ch, cls: classify(ch) }));
  const tokens: Item[][] = [];
  let cur: Item[] = [];
  for (const it of items) {
    if (it.cls.t === 'sep') {
      if (cur.length) tokens.push(cur);
      cur = [];
    } else cur.push(it);
  }
  if (cur.length) tokens.push(cur);
  let start = 0;
  while (start < tokens.length && isLabel(tokens[start]!)) start++;
  let end = tokens.length;
  while (end > start && isLabel(tokens[end - 1]!)) end--;
  for (const t of tokens.slice(start, end)) {
    const bad = t.find((i) => i.cls.t === 'invalid');
    if (bad) return fail({ reason: 'invalidCharacter', ch: bad.ch, position: bad.position });
  }
  const sigOf = (from: number): Sig => {
    const sig: Sig = { text: '', positions: [] };
    for (const t of tokens.slice(from, end)) pushToken(sig, t);
    return sig;
  };
  const primary = sigOf(start);
  const alternatives: Sig[] = [];
  for (const prefix of ['CNPJ', 'CPF']) {
    if (primary.text.startsWith(prefix) && /[0-9]/.test(primary.text[prefix.length] ?? '')) {
      alternatives.push({ text: primary.text, positions: [...primary.positions] });
      primary.text = primary.text.slice(prefix.length);
      primary.positions = primary.positions.slice(prefix.length);
      break;
    }
  }
  if (primary.text.length === 0) return fail({ reason: 'empty' });
  // At most the last four labels are tried (enough for "CNPJ/MF nº"), keeping the work linear in the input.
  for (let from = start - 1; from >= Math.max(0, start - MAX_KEPT_LABELS); from--) {
    if (tokens[from]!.some((i) => i.cls.t === 'invalid')) break;
    alternatives.push(sigOf(from));
  }
  return { ok: true, scan: { primary, alternatives } };
}

/** The primary reading when valid, else the first valid alternative; failing all, the primary's error. */
function choose<R extends { ok: boolean }>(sc: Scan, read: (s: Sig) => R): R {
  const first = read(sc.primary);
  if (first.ok) return first;
  for (const alt of sc.alternatives) {
    const r = read(alt);
    if (r.ok) return r;
  }
  return first;
}

/** The significant characters of clerk input (labels and separators dropped, upper case, NFKC). */
export function clean(input: string): { ok: true; value: string } | { ok: false; error: DocFailure } {
  const s = scan(input);
  return s.ok ? { ok: true, value: s.scan.primary.text } : s;
}

// ---- check digits ---------------------------------------------------------------------------------------

function mod11(sum: number): string {
  const r = sum % 11;
  return r < 2 ? '0' : String(11 - r);
}

const value = (c: string): number => (c.codePointAt(0) ?? 48) - 48;

/** The two check digits of nine CPF digits. */
export function cpfCheckDigits(base: string): string {
  let s1 = 0;
  for (let i = 0; i < 9; i++) s1 += value(base[i]!) * (10 - i);
  const d1 = mod11(s1);
  let s2 = 0;
  const withD1 = base.slice(0, 9) + d1;
  for (let i = 0; i < 10; i++) s2 += value(withD1[i]!) * (11 - i);
  return d1 + mod11(s2);
}

const W1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
const W2 = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];

/** The two check digits of twelve CNPJ characters [0-9A-Z] (value = ASCII − 48). */
export function cnpjCheckDigits(base: string): string {
  let s1 = 0;
  for (let i = 0; i < 12; i++) s1 += value(base[i]!) * W1[i]!;
  const d1 = mod11(s1);
  const withD1 = base.slice(0, 12) + d1;
  let s2 = 0;
  for (let i = 0; i < 13; i++) s2 += value(withD1[i]!) * W2[i]!;
  return d1 + mod11(s2);
}

function checkDigits(kind: DocKind, text: string, expected: string): DocError | null {
  const n = text.length;
  for (let i = 0; i < 2; i++) {
    const found = text[n - 2 + i]!;
    if (found !== expected[i]) return { reason: 'checkDigit', kind, digit: i + 1, expected: expected[i]!, found };
  }
  return null;
}

const allEqual = (s: string): boolean => [...s].every((c) => c === s[0]);
const hasLetters = (s: Sig): boolean => /[A-Z]/.test(s.text);
const isZeroPaddedCpf = (s: Sig): boolean => s.text.length === 14 && s.text.startsWith('000') && !hasLetters(s);

// ---- formats --------------------------------------------------------------------------------------------

/** 000.000.000-00 from 11 digits. */
export function formatCpf(c: string): string {
  return `${c.slice(0, 3)}.${c.slice(3, 6)}.${c.slice(6, 9)}-${c.slice(9, 11)}`;
}

/** ***.428.201-** from 11 digits. */
export function maskCpf(c: string): string {
  return `***.${c.slice(3, 6)}.${c.slice(6, 9)}-**`;
}

/** AA.AAA.AAA/AAAA-00 from 14 characters. */
export function formatCnpj(c: string): string {
  return `${c.slice(0, 2)}.${c.slice(2, 5)}.${c.slice(5, 8)}/${c.slice(8, 12)}-${c.slice(12, 14)}`;
}

/** **.***.345/01DE-** from 14 characters. */
export function maskCnpj(c: string): string {
  return `**.***.${c.slice(5, 8)}/${c.slice(8, 12)}-**`;
}

function cpfDoc(c: string): Doc {
  return { kind: 'cpf', canonical: c, formatted: formatCpf(c), masked: maskCpf(c) };
}

function cnpjDoc(c: string): Doc {
  return { kind: 'cnpj', canonical: c, formatted: formatCnpj(c), masked: maskCnpj(c) };
}

// ---- parsing --------------------------------------------------------------------------------------------

type SigResult = { ok: true; doc: Doc } | { ok: false; error: DocError };

function cpfFromSig(s: Sig): SigResult {
  if (isZeroPaddedCpf(s)) return cpfFromSig({ text: s.text.slice(3), positions: s.positions.slice(3) });
  const i = [...s.text].findIndex((c) => !/[0-9]/.test(c));
  if (i >= 0) return { ok: false, error: { reason: 'letterNotAllowed', kind: 'cpf', ch: s.text[i]!, position: s.positions[i]! } };
  if (s.text.length !== 11) return { ok: false, error: { reason: 'wrongLength', expected: 'cpf', found: s.text.length } };
  if (allEqual(s.text)) return { ok: false, error: { reason: 'repeatedSequence', kind: 'cpf' } };
  const e = checkDigits('cpf', s.text, cpfCheckDigits(s.text));
  return e ? { ok: false, error: e } : { ok: true, doc: cpfDoc(s.text) };
}

function cnpjFromSig(s: Sig): SigResult {
  if (s.text.length !== 14) return { ok: false, error: { reason: 'wrongLength', expected: 'cnpj', found: s.text.length } };
  for (const i of [12, 13]) {
    if (!/[0-9]/.test(s.text[i]!)) {
      return { ok: false, error: { reason: 'letterNotAllowed', kind: 'cnpj', ch: s.text[i]!, position: s.positions[i]! } };
    }
  }
  if (allEqual(s.text)) return { ok: false, error: { reason: 'repeatedSequence', kind: 'cnpj' } };
  const e = checkDigits('cnpj', s.text, cnpjCheckDigits(s.text));
  return e ? { ok: false, error: e } : { ok: true, doc: cnpjDoc(s.text) };
}

function resolve(input: string, read: (s: Sig) => SigResult): Parsed {
  const sc = scan(input);
  if (!sc.ok) return sc;
  const r = choose(sc.scan, read);
  return r.ok ? r : fail(r.error);
}

/** Parses clerk input as a CPF (any mask, label, spaces, full-width digits; 000 + CPF accepted). */
export function parseCpf(input: string): Parsed {
  return resolve(input, cpfFromSig);
}

/** Parses clerk input as a CNPJ, numeric or alphanumeric (lower case accepted). */
export function parseCnpj(input: string): Parsed {
  return resolve(input, cnpjFromSig);
}

// ---- detection ------------------------------------------------------------------------------------------

type Detected = { ok: true; doc: Doc; alsoCpf: Doc | null } | { ok: false; invalid: DocKind | null; error: DocError };

function detectSig(s: Sig): Detected {
  const n = s.text.length;
  const letters = hasLetters(s);
  if (n === 11) {
    const r = cpfFromSig(s);
    return r.ok ? { ok: true, doc: r.doc, alsoCpf: null } : { ok: false, invalid: 'cpf', error: r.error };
  }
  if (n === 14) {
    const padded = !letters && isZeroPaddedCpf(s) ? cpfFromSig(s) : null;
    const cpf = padded && padded.ok ? padded.doc : null;
    const cnpj = cnpjFromSig(s);
    if (cnpj.ok) return { ok: true, doc: cnpj.doc, alsoCpf: cpf };
    if (cpf) return { ok: true, doc: cpf, alsoCpf: null };
    return { ok: false, invalid: 'cnpj', error: cnpj.error };
  }
  if (letters) return { ok: false, invalid: 'cnpj', error: { reason: 'wrongLength', expected: 'cnpj', found: n } };
  return { ok: false, invalid: null, error: { reason: 'wrongLength', expected: null, found: n } };
}

/**
 * Decides CPF vs CNPJ from one input: 11 digits CPF; 14 characters CNPJ (also a zero-padded CPF when 000 + a
 * valid CPF: ambiguous); 11 characters with a letter: a CPF typo; other lengths with letters: an incomplete
 * CNPJ; other lengths of digits: neither.
 */
export function detect(input: string): Detection {
  const sc = scan(input);
  if (!sc.ok) return { valid: false, kind: null, ambiguous: false, error: sc.error };
  const d = choose(sc.scan, detectSig);
  if (d.ok) {
    return { valid: true, ambiguous: d.alsoCpf !== null, ...d.doc, alsoCpf: d.alsoCpf, error: null };
  }
  return { valid: false, kind: d.invalid, ambiguous: false, error: { ...d.error, message: docErrorMessage(d.error) } };
}

/** Parses any input, deciding the kind with `detect` (an ambiguous input is read as the CNPJ it spells). */
export function parseDocument(input: string): Parsed {
  const d = detect(input);
  return d.valid ? { ok: true, doc: { kind: d.kind, canonical: d.canonical, formatted: d.formatted, masked: d.masked } } : { ok: false, error: d.error };
}

// ---- the input mask -------------------------------------------------------------------------------------

const CPF_MASK = [3, '.', 6, '.', 9, '-'] as const;
const CNPJ_MASK = [2, '.', 5, '.', 8, '/', 12, '-'] as const;

function applyMask(text: string, mask: readonly (number | string)[], width: number): string {
  let out = '';
  const head = text.slice(0, width);
  for (let i = 0; i < head.length; i++) {
    for (let m = 0; m < mask.length; m += 2) {
      if (mask[m] === i && i > 0) out += mask[m + 1];
    }
    out += head[i];
  }
  return out + text.slice(width);
}

/**
 * The input re-masked as it is typed: a CPF mask (000.000.000-00) until the input can only be a CNPJ (more than
 * 11 significant characters, or any letter), then the CNPJ mask (AA.AAA.AAA/AAAA-00). Separators and invalid
 * characters are dropped; letters upper-cased; characters beyond 14 are kept, unmasked, so nothing typed is lost.
 * A pasted label ("CPF: …") is dropped when what remains is a valid number.
 */
export function maskAsTyped(input: string): string {
  const items = [...input].map(classify);
  let text = items.map((c) => (c.t === 'sig' ? c.c : '')).join('');
  const d = detect(input);
  if (d.valid && text !== d.canonical && text !== `000${d.canonical}`) {
    text = d.canonical;
  }
  const isCnpj = text.length > 11 || /[A-Z]/.test(text);
  return isCnpj ? applyMask(text, CNPJ_MASK, 14) : applyMask(text, CPF_MASK, 11);
}
