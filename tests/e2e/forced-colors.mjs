// Windows high contrast (`forced-colors: active`) on the built UI: WebKitGTK cannot enter that mode, so the DOM
// snapshots of the real window (dom-snapshot.mjs) are rendered in Debian's Chromium with the mode emulated through
// the DevTools protocol (Emulation.setEmulatedMedia), and each one is checked: every control keeps a visible edge,
// every focus ring (Tab through the page) stays drawn, and every box told apart by a status colour (ok, warning,
// danger, neutral, changed) keeps a visible border once the system's colours replace the page's.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? null;

/** The status palette (app.css), resolved in the page's theme: a box with one of these must keep a border. */
const STATUS_VARS = ['--ok-bg', '--ok-soft', '--warn-bg', '--warn-soft', '--danger-bg', '--danger-soft', '--neutral-bg', '--neutral-soft', '--diff'];

/** In the page, without forced colours: the elements whose background or border is a status colour (marked). */
function markStatusBoxes(vars) {
  const probe = document.createElement('div');
  document.body.append(probe);
  const colours = new Set();
  for (const v of vars) {
    probe.style.backgroundColor = `var(${v})`;
    const c = getComputedStyle(probe).backgroundColor;
    if (c && c !== 'rgba(0, 0, 0, 0)') colours.add(c);
  }
  probe.remove();
  let n = 0;
  for (const el of document.body.querySelectorAll('*')) {
    // Decoration hidden from assistive technology (a logo's colour block) tells nothing.
    if (!el.getClientRects().length || el.closest('[aria-hidden="true"]')) continue;
    const s = getComputedStyle(el);
    const sides = ['Top', 'Right', 'Bottom', 'Left'].filter(
      (k) => s[`border${k}Style`] !== 'none' && parseFloat(s[`border${k}Width`]) >= 2 && colours.has(s[`border${k}Color`]),
    );
    if (colours.has(s.backgroundColor) || sides.length > 0) {
      el.setAttribute('data-fc-status', '');
      n += 1;
    }
  }
  return n;
}

/** In the page, with forced colours: what is not visible. */
function invisibleParts() {
  const out = [];
  const name = (el) =>
    `${el.tagName.toLowerCase()}${el.getAttribute('data-testid') ? `[data-testid=${el.getAttribute('data-testid')}]` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''} «${(el.textContent ?? '').trim().slice(0, 30)}»`;
  const clear = (c) => c === 'transparent' || /^rgba\(.*,\s*0(\.0+)?\)$/.test(c);
  const edge = (el) => {
    const s = getComputedStyle(el);
    return ['Top', 'Right', 'Bottom', 'Left'].some(
      (k) => s[`border${k}Style`] !== 'none' && s[`border${k}Style`] !== 'hidden' && parseFloat(s[`border${k}Width`]) >= 1 && s[`border${k}Color`] !== s.backgroundColor && !clear(s[`border${k}Color`]),
    );
  };
  const shownEl = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const controls = document.body.querySelectorAll(
    'button, select, textarea, input:not([type="checkbox"]):not([type="radio"]):not([type="hidden"]), [role="button"]',
  );
  for (const el of controls) if (shownEl(el) && !edge(el)) out.push(`control without a visible edge: ${name(el)}`);
  for (const el of document.body.querySelectorAll('[data-fc-status]')) {
    if (shownEl(el) && !edge(el)) out.push(`status told by colour only (no border left): ${name(el)}`);
  }
  return { problems: out, controls: controls.length, statuses: document.body.querySelectorAll('[data-fc-status]').length };
}

/** The focused element's ring, as drawn now. */
function focusRing() {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  if (el.hasAttribute('data-fc-seen')) return { again: true };
  el.setAttribute('data-fc-seen', '');
  const s = getComputedStyle(el);
  const c = s.outlineColor;
  const drawn = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 && c !== 'transparent' && !/^rgba\(.*,\s*0(\.0+)?\)$/.test(c);
  return {
    name: `${el.tagName.toLowerCase()}${el.getAttribute('data-testid') ? `[data-testid=${el.getAttribute('data-testid')}]` : ''} «${(el.textContent ?? el.getAttribute('aria-label') ?? '').trim().slice(0, 30)}»`,
    drawn,
  };
}

/**
 * Checks each snapshot in Chromium with forced colours emulated; resolves to one result per snapshot:
 * `{ name, controls, statuses, focusables, problems }`; with `shotsDir`, a screenshot of each light snapshot there.
 */
export async function checkForcedColors(snapshots, shotsDir = null) {
  if (!CHROMIUM) throw new Error("Debian's Chromium is not installed (apt-get install chromium; `cargo xtask deps` does it)");
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions'],
  });
  const results = [];
  try {
    for (const snap of snapshots) {
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 800 });
      await page.setJavaScriptEnabled(true);
      const cdp = await page.createCDPSession();
      await page.goto(pathToFileURL(snap.file).href, { waitUntil: 'load' });
      const statuses = await page.evaluate(markStatusBoxes, STATUS_VARS);
      await cdp.send('Emulation.setEmulatedMedia', { features: [{ name: 'forced-colors', value: 'active' }] });
      const active = await page.evaluate(() => matchMedia('(forced-colors: active)').matches);
      if (!active) throw new Error('Chromium did not enter forced-colors emulation');
      const parts = await page.evaluate(invisibleParts);
      // A picture of each state as high contrast shows it, before Tab scrolls the page (the themes look alike there).
      if (shotsDir && snap.name.endsWith('-light')) {
        await page.screenshot({ path: join(shotsDir, `forced-colors-${snap.name.replace(/-light$/, '')}.png`) });
      }
      // Tab through the page as a keyboard user would: every stop must show its ring.
      let focusables = 0;
      for (let i = 0; i < 400; i += 1) {
        await page.keyboard.press('Tab');
        const ring = await page.evaluate(focusRing);
        if (!ring) continue;
        if (ring.again) break;
        focusables += 1;
        if (!ring.drawn) parts.problems.push(`focus ring not drawn: ${ring.name}`);
      }
      results.push({ name: snap.name, controls: parts.controls, statuses, focusables, problems: parts.problems });
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return results;
}
