//! The lookup input's view of doc.ts: what the clerk typed is (kind, validity, pt-BR reason) and its mask as typed.

import * as doc from './doc';
import type { DocKind } from './bindings/DocKind';

export type InputState = {
  /** The kind the input is, or most looks like. */
  kind: DocKind | null;
  valid: boolean;
  /** The pt-BR reason when invalid. */
  error: string | null;
  /** Whether the input is long enough (or wrong enough) for an error to be shown while typing. */
  settled: boolean;
  /** Also readable as the other kind (14 digits that are a CNPJ and a zero-padded CPF). */
  ambiguous: boolean;
};

/** Significant characters typed (letters and digits), labels included: a rough "how far along" measure. */
function significant(input: string): number {
  return input.replace(/[^0-9A-Za-z]/g, '').length;
}

/** What the input is now. */
export function inspect(input: string): InputState {
  const d = doc.detect(input);
  if (d.valid) return { kind: d.kind, valid: true, error: null, settled: true, ambiguous: d.ambiguous };
  const n = significant(input);
  const settled = d.error.reason === 'invalidCharacter' || d.error.reason === 'letterNotAllowed' || n === 11 || n >= 14;
  return { kind: d.kind, valid: false, error: d.error.message, settled, ambiguous: false };
}

/** The input re-masked as typed (the mask follows what is typed: CPF up to 11, CNPJ beyond or with letters). */
export function mask(input: string): string {
  return doc.maskAsTyped(input);
}

/** Masks `value` and moves the caret so it stays after the same significant character. */
export function maskKeepingCaret(value: string, caret: number): { value: string; caret: number } {
  const masked = mask(value);
  const before = value.slice(0, caret).replace(/[^0-9A-Za-z]/g, '').length;
  if (caret >= value.length) return { value: masked, caret: masked.length };
  let seen = 0;
  let pos = 0;
  while (pos < masked.length && seen < before) {
    if (/[0-9A-Za-z]/.test(masked[pos] ?? '')) seen += 1;
    pos += 1;
  }
  return { value: masked, caret: pos };
}
