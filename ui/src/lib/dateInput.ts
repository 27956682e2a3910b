//! Date fields in dd/mm/aaaa whatever the OS locale: the mask as typed, the parser of typed or pasted dates, and the
//! ISO day (YYYY-MM-DD) the commands take.

/**
 * What was typed, masked as dd/mm/aaaa as far as it goes ("0712" → "07/12", "07122026" → "07/12/2026"). A separator
 * typed after a one-digit day or month pads it ("7/" → "07"), so "7/1/2026" typed key by key ends as "07/01/2026".
 */
export function maskDate(input: string): string {
  const trimmed = input.trim();
  // A pasted ISO day (2026-12-07) is read whole.
  const iso = /^\d{4}-\d{1,2}-\d{1,2}$/.test(trimmed) ? parseDate(trimmed) : null;
  if (iso) return isoToDisplay(iso);
  const caps = [2, 2, 4];
  const parts: string[] = [''];
  for (const ch of trimmed) {
    const i = parts.length - 1;
    const cur = parts[i] ?? '';
    const cap = caps[i] ?? 0;
    if (/\d/.test(ch)) {
      if (cur.length < cap) parts[i] = cur + ch;
      else if (i < 2) parts.push(ch);
    } else if (/[/.\- ]/.test(ch) && i < 2 && cur.length > 0) {
      parts[i] = cur.padStart(2, '0');
      parts.push('');
    }
  }
  return parts.filter((p) => p.length > 0).join('/');
}

/** Masks `value` and moves the caret so it stays after the same digit. */
export function maskDateKeepingCaret(value: string, caret: number): { value: string; caret: number } {
  const masked = maskDate(value);
  if (caret >= value.length) return { value: masked, caret: masked.length };
  const before = value.slice(0, caret).replace(/\D/g, '').length;
  let seen = 0;
  let pos = 0;
  while (pos < masked.length && seen < before) {
    if (/\d/.test(masked[pos] ?? '')) seen += 1;
    pos += 1;
  }
  return { value: masked, caret: pos };
}

function validDay(y: number, m: number, d: number): boolean {
  if (y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1) return false;
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= last;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/**
 * The ISO day (YYYY-MM-DD) of a date as a clerk types or pastes it: dd/mm/aaaa (also with '-', '.' or spaces, and
 * one-digit day or month), eight digits ddmmaaaa, or an ISO day. Null when it is not a real calendar day.
 */
export function parseDate(input: string): string | null {
  const s = input.trim();
  let y: number;
  let m: number;
  let d: number;
  let g: RegExpMatchArray | null;
  if ((g = s.match(/^(\d{4})-(\d{1,2})-(\d{1,2})$/))) {
    [y, m, d] = [Number(g[1]), Number(g[2]), Number(g[3])];
  } else if ((g = s.match(/^(\d{1,2})\s*[/.\- ]\s*(\d{1,2})\s*[/.\- ]\s*(\d{4})$/))) {
    [d, m, y] = [Number(g[1]), Number(g[2]), Number(g[3])];
  } else if ((g = s.match(/^(\d{2})(\d{2})(\d{4})$/))) {
    [d, m, y] = [Number(g[1]), Number(g[2]), Number(g[3])];
  } else {
    return null;
  }
  return validDay(y, m, d) ? `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}` : null;
}

/** dd/mm/aaaa of an ISO day; '' for '' (and the input as is when it is not an ISO day). */
export function isoToDisplay(iso: string): string {
  const g = iso.match(/^(\d{4})-(\d{2})-(\d{2})$/);
  return g ? `${g[3]}/${g[2]}/${g[1]}` : iso;
}
