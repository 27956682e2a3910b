// Shared helpers for the end-to-end tests: the WebDriver session on the real app, screenshots, the simulator's log.
import { remote } from 'webdriverio';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

const need = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the e2e tests through \`cargo xtask test\` (or \`cargo xtask e2e\`)`);
  return v;
};

export const env = {
  app: need('BALCAO_APP'),
  driverPort: Number(need('TAURI_DRIVER_PORT')),
  simUrl: need('BALCAO_SIM_URL'),
  dataDir: need('BALCAO_E2E_DATA_DIR'),
  screenshots: need('BALCAO_E2E_SCREENSHOTS'),
};

/** Opens the real Balcão window through tauri-driver. */
export async function openApp() {
  return remote({
    hostname: '127.0.0.1',
    port: env.driverPort,
    logLevel: 'warn',
    connectionRetryCount: 0,
    connectionRetryTimeout: 30000,
    capabilities: { 'tauri:options': { application: env.app } },
  });
}

/**
 * Saves a screenshot of what the clerk sees, under the folder the run printed. It captures the X display itself
 * (ImageMagick's `import`), not WebKitWebDriver's snapshot: that one never answers after a form submission the page
 * cancelled (seen with WebKitGTK 2.50), and the display is what a person would see anyway.
 */
export async function screenshot(browser, name) {
  mkdirSync(env.screenshots, { recursive: true });
  const file = join(env.screenshots, `${name}.png`);
  await browser.pause(150); // let the last frame reach the display
  execFileSync('import', ['-window', 'root', file], { stdio: 'pipe', timeout: 15000 });
  return file;
}

/**
 * Types text as real X11 key events (xdotool, through XTEST), as a keyboard or a barcode scanner would.
 * WebKitWebDriver's own key injection drops characters typed into inputs that re-render (seen with WebKitGTK 2.50),
 * while real key events at 1 ms per character all arrive: the flow tests type through the display.
 */
export function xtype(text) {
  execFileSync('xdotool', ['type', '--delay', '12', text], { stdio: 'pipe' });
}

/** Presses key chords as real X11 key events, e.g. xkey('ctrl+k'), xkey('alt+d'), xkey('Return'). */
export function xkey(...chords) {
  execFileSync('xdotool', ['key', '--delay', '40', ...chords], { stdio: 'pipe' });
}

/**
 * The simulator's request log (every HTTP call the app made to the embedded gateway). The app starts its services
 * (the simulator among them) off the main thread while the window paints, so a test that asks right after the
 * window opens may find the port not yet open: it asks again for up to 10 s.
 */
export async function simRequests() {
  for (let tries = 0; ; tries += 1) {
    try {
      const res = await fetch(`${env.simUrl}/__sim/requests`);
      if (!res.ok) throw new Error(`simulator log: HTTP ${res.status}`);
      return res.json();
    } catch (e) {
      if (e?.cause?.code !== 'ECONNREFUSED' || tries >= 100) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The data-testid of the focused element. */
export async function focusedTestId(browser) {
  return browser.execute(() => document.activeElement?.getAttribute('data-testid') ?? null);
}

/** Runs balcao-cli in the same sandbox (same data dir and keyring) and parses its JSON lines. */
export function cli(args) {
  const bin = env.app.replace(/balcao(\.exe)?$/, 'balcao-cli$1');
  const out = execFileSync(bin, args, { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** Tries to read a SQLite file with no key (Python's sqlite3); returns the error text, or null when it opened. */
export function openWithoutKey(file) {
  try {
    execFileSync('python3', ['-c', 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute("select count(*) from sqlite_master").fetchall()', file], { stdio: 'pipe' });
    return null;
  } catch (e) {
    return String(e.stderr || e.message);
  }
}

/**
 * Page helpers over the session `getBrowser()` returns (tests assign it in `before`): an element by test id, the
 * same once displayed, the focused test id awaited, and a command invoked from the page as any script in the window
 * could (resolves to `{ ok }` or `{ err }`).
 */
export function pageHelpers(getBrowser) {
  const $ = (id) => getBrowser().$(`[data-testid="${id}"]`);
  const shown = async (id, timeout = 15000) => {
    const el = await $(id);
    await el.waitForDisplayed({ timeout });
    return el;
  };
  const focused = (id) =>
    getBrowser().waitUntil(async () => (await focusedTestId(getBrowser())) === id, {
      timeout: 5000,
      timeoutMsg: `focus never reached ${id}`,
    });
  const invokeFromPage = (cmd, args) =>
    getBrowser().executeAsync(
      (cmd, args, done) => {
        window.__TAURI_INTERNALS__.invoke(cmd, args).then(
          (ok) => done({ ok: ok ?? null }),
          (err) => done({ err }),
        );
      },
      cmd,
      args,
    );
  /** Presses Tab (or another chord) until the nth element with this test id has focus: the keyboard's way there. */
  const tabTo = async (id, nth = 0, chord = 'Tab') => {
    for (let i = 0; i < 80; i += 1) {
      const here = await getBrowser().execute(
        (tid, n) => document.activeElement === document.querySelectorAll(`[data-testid="${tid}"]`)[n],
        id,
        nth,
      );
      if (here) return;
      xkey(chord);
    }
    throw new Error(`${chord} never reached ${id} #${nth}`);
  };
  return { $, shown, focused, invokeFromPage, tabTo };
}

/**
 * The debug build's test seams (src-tauri/src/seams.rs; xtask sets BALCAO_TEST_SEAMS for the app and the tests):
 * each seam file is written whole (elsewhere, then renamed into place), so the app never reads half of it.
 */
export function seam(name, text) {
  const seams = process.env.BALCAO_TEST_SEAMS;
  if (!seams) throw new Error('BALCAO_TEST_SEAMS is not set: run through `cargo xtask e2e`');
  const tmp = join(seams, `.${name}.tmp`);
  writeFileSync(tmp, text, 'utf8');
  renameSync(tmp, join(seams, name));
}
/** The next file dialog («Abrir» or «Salvar como…») answers with `path` ('' = closed without a file). */
export const answerNextDialog = (path) => seam('dialog-answer', path);
/** A file dropped on the window, as the window's drop event delivers it. */
export const dropOnWindow = (path) => seam('drop', path);
