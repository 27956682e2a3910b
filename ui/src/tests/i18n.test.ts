// Fails when a .svelte file shows literal text to the clerk instead of reading it from the pt-BR catalog.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { t } from '../lib/i18n/pt-BR';

const SRC = join(__dirname, '..');

/** Attributes whose value a person reads or hears. */
const VISIBLE_ATTRS = [
  'aria-label',
  'aria-description',
  'aria-placeholder',
  'aria-roledescription',
  'aria-valuetext',
  'title',
  'placeholder',
  'alt',
  'label',
];

function svelteFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return svelteFiles(p);
    return e.name.endsWith('.svelte') ? [p] : [];
  });
}

/** Removes `{…}` expressions (nested braces and strings inside them included). */
function stripExpressions(s: string): string {
  let out = '';
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (depth > 0) {
      if (quote) {
        if (c === '\\') i++;
        else if (c === quote) quote = null;
      } else if (c === "'" || c === '"' || c === '`') quote = c;
      else if (c === '{') depth++;
      else if (c === '}') depth--;
      continue;
    }
    if (c === '{') {
      depth = 1;
      out += ' ';
      continue;
    }
    out += c;
  }
  return out;
}

/** Literal user-visible text in one component's markup: text nodes and visible attributes. */
export function literalText(source: string): string[] {
  const markup = stripExpressions(
    source
      .replace(/<script[\s\S]*?<\/script>/g, '')
      .replace(/<style[\s\S]*?<\/style>/g, '')
      .replace(/<!--[\s\S]*?-->/g, ''),
  );
  const found: string[] = [];
  const attrRe = /([a-zA-Z:-]+)\s*=\s*("([^"]*)"|'([^']*)')/g;
  for (const tag of markup.match(/<[a-zA-Z][^>]*>/g) ?? []) {
    for (const m of tag.matchAll(attrRe)) {
      const name = m[1]!.toLowerCase();
      const value = m[3] ?? m[4] ?? '';
      if (VISIBLE_ATTRS.includes(name) && /\p{L}/u.test(value)) found.push(`${name}="${value.trim()}"`);
    }
  }
  const text = markup.replace(/<[^>]*>/g, '\n');
  for (const line of text.split('\n')) {
    const s = line.trim();
    if (/\p{L}/u.test(s)) found.push(s);
  }
  return found;
}

describe('pt-BR catalog', () => {
  it('detects literal text (the scanner itself works)', () => {
    expect(literalText('<script>const a = "x";</script><p>Olá</p>')).toEqual(['Olá']);
    expect(literalText('<button aria-label="Fechar">{t.x}</button>')).toEqual(['aria-label="Fechar"']);
    expect(literalText('<p>{t.a} · {t.b}</p><input value={v} />')).toEqual([]);
    expect(literalText('<p>{fn({ a: "b" })}</p><style>p { color: red; }</style>')).toEqual([]);
    expect(literalText('<p class="x" data-testid="y">{t.z}: </p>')).toEqual([]);
  });

  const files = svelteFiles(SRC);

  it('finds the components', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files.map((f) => [relative(SRC, f), f]))('%s has no literal user-visible text', (_name, file) => {
    expect(literalText(readFileSync(file, 'utf8'))).toEqual([]);
  });

  it('has no empty strings', () => {
    const walk = (o: unknown, path: string): string[] => {
      if (typeof o === 'string') return o.trim() ? [] : [path];
      if (Array.isArray(o)) return o.flatMap((v, i) => walk(v, `${path}[${i}]`));
      if (o && typeof o === 'object') return Object.entries(o).flatMap(([k, v]) => walk(v, `${path}.${k}`));
      return [];
    };
    expect(walk(t, 't')).toEqual([]);
  });
});
