// DOM snapshots of the real window, for checks a WebKitGTK window cannot make (forced colours): the document as the
// clerk sees it (scripts removed), with the stylesheets it loaded read from the built UI (ui/dist), as one HTML file.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { env } from './harness.mjs';

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../../ui/dist');

/** Where the snapshots go: beside the screenshots, in artifacts/e2e-dom. */
export const domSnapshotDir = () => join(env.screenshots, '..', 'e2e-dom');

/** Saves what the window shows now as `<name>.html`: the DOM, and the built CSS the page linked. */
export async function snapshotDom(browser, name) {
  const page = await browser.execute(() => {
    const root = document.documentElement;
    const clone = root.cloneNode(true);
    for (const s of clone.querySelectorAll('script')) s.remove();
    // Inputs keep what was typed only as a property: carry it over as the attribute.
    const live = document.querySelectorAll('input, select, textarea');
    const copies = clone.querySelectorAll('input, select, textarea');
    live.forEach((el, i) => {
      const c = copies[i];
      if (!c) return;
      if (el.type === 'checkbox' || el.type === 'radio') {
        if (el.checked) c.setAttribute('checked', '');
      } else if (el.tagName === 'TEXTAREA') c.textContent = el.value;
      else if (el.tagName === 'SELECT') {
        for (const o of c.querySelectorAll('option')) o.removeAttribute('selected');
        const o = c.querySelectorAll('option')[el.selectedIndex];
        if (o) o.setAttribute('selected', '');
      } else c.setAttribute('value', el.value);
    });
    const sheets = [...document.querySelectorAll('link[rel="stylesheet"]')].map((l) => new URL(l.href).pathname);
    for (const l of clone.querySelectorAll('link')) l.remove();
    const inline = [...document.querySelectorAll('style')].map((s) => s.textContent ?? '');
    for (const s of clone.querySelectorAll('style')) s.remove();
    const attrs = [...root.attributes].map((a) => [a.name, a.value]);
    const focusedId = document.activeElement?.getAttribute('data-testid') ?? null;
    return { attrs, head: clone.querySelector('head')?.innerHTML ?? '', body: clone.querySelector('body')?.outerHTML ?? '', sheets, inline, focusedId };
  });
  const css = page.sheets.map((path) => {
    const file = join(DIST, path);
    assert.ok(existsSync(file), `the window linked ${path}, which is not in ui/dist: build the UI and the app together`);
    return readFileSync(file, 'utf8');
  });
  const attrs = page.attrs.map(([k, v]) => ` ${k}="${v.replace(/"/g, '&quot;')}"`).join('');
  const html = `<!doctype html>\n<html${attrs}><head>${page.head}<style>${[...css, ...page.inline].join('\n')}</style></head>${page.body}</html>\n`;
  writeFileSync(join(domSnapshotDir(), `${name}.html`), html, 'utf8');
}

/** The snapshots taken so far, by name. */
export function domSnapshots() {
  return readdirSync(domSnapshotDir())
    .filter((f) => f.endsWith('.html'))
    .sort()
    .map((f) => ({ name: f.replace(/\.html$/, ''), file: join(domSnapshotDir(), f) }));
}
