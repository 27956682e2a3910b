// The response-to-paint measurement of `cargo xtask bench` (run by xtask, not a test: the file name is not one
// `node --test` picks up). It drives the real window through the e2e harness's WebDriver session, with no change to
// the app: the page is instrumented from outside. `window.fetch` is wrapped, so the moment the `lookup` command's
// IPC answer reaches the page is stamped (Tauri's IPC on Linux is a fetch to `ipc://localhost/<command>`); a
// MutationObserver stamps the moment the verdict (`result-cpf`, or an error) enters the DOM, then the next animation
// frame, then a task queued from that frame's rAF callback, which runs once the frame's rendering update (style,
// layout, paint) is done: that is "painted". The other end, "response received", is the simulator's own log time of
// the request (field `at`, converted by xtask). Writes `{ timeline, runs }` as JSON to BALCAO_BENCH_PAINT_OUT.
import { writeFileSync } from 'node:fs';
import { openApp, simRequests } from '../harness.mjs';

/** SERPRO trial CPFs of the simulator's data set (two regular, one suspended), looked up in turn. */
const CPFS = ['40442820135', '63017285995', '40532176871'];

const INSTALL = `
if (window.__bb) return true;
const now = () => performance.timeOrigin + performance.now();
const bb = (window.__bb = { current: null });
const origFetch = window.fetch;
window.fetch = function (input, init) {
  const url = typeof input === 'string' ? input : (input && input.url) || '';
  const p = origFetch.call(window, input, init);
  const run = bb.current;
  if (run && url.indexOf('ipc://localhost/lookup') === 0) {
    run.ipcSent = now();
    return p.then((r) => { run.ipcResponse = now(); return r; });
  }
  return p;
};
const SEL = '[data-testid="result-cpf"], [data-testid="result-cnpj"], [data-testid="lookup-error"]';
new MutationObserver(() => {
  const run = bb.current;
  if (!run || run.dom || !run.ipcResponse || !document.querySelector(SEL)) return;
  run.dom = now();
  run.verdict = document.querySelector(SEL).getAttribute('data-testid');
  requestAnimationFrame(() => {
    run.frame = now();
    const ch = new MessageChannel();
    ch.port1.onmessage = () => { run.painted = now(); run.clockSkew = Date.now() - now(); };
    ch.port2.postMessage(null);
  });
}).observe(document.body, { childList: true, subtree: true });
return true;
`;

const TRIGGER = `
const cpf = arguments[0];
const el = document.querySelector('[data-testid="lookup-input"]');
if (!el || !window.__bb) return false;
window.__bb.current = { cpf, trigger: performance.timeOrigin + performance.now() };
setTimeout(() => {
  el.focus();
  el.value = cpf;
  el.dispatchEvent(new Event('input', { bubbles: true }));
  el.form.requestSubmit();
}, 0);
return true;
`;

const READY = `
const a = document.activeElement;
return !!(a && a.getAttribute('data-testid') === 'lookup-input' && window.__TAURI_INTERNALS__);
`;

const TIMELINE = `
const n = performance.getEntriesByType('navigation')[0];
const fcp = performance.getEntriesByType('paint').find((p) => p.name === 'first-contentful-paint');
const res = performance.getEntriesByType('resource').filter((r) => /\\.(js|css)$/.test(r.name));
return {
  responseEnd: n ? n.responseEnd : null,
  domInteractive: n ? n.domInteractive : null,
  domContentLoaded: n ? n.domContentLoadedEventEnd : null,
  loadEventEnd: n ? n.loadEventEnd : null,
  firstContentfulPaint: fcp ? fcp.startTime : null,
  assets: res.length,
  assetsEnd: res.reduce((m, r) => Math.max(m, r.responseEnd), 0),
};
`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(timeoutMs, what, ok) {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await ok()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const out = process.env.BALCAO_BENCH_PAINT_OUT;
if (!out) throw new Error('BALCAO_BENCH_PAINT_OUT is not set: run through `cargo xtask bench`');
const warmup = Number(process.env.BALCAO_BENCH_WARMUP ?? 3);
const lookups = Number(process.env.BALCAO_BENCH_LOOKUPS ?? 15);

const browser = await openApp();
try {
  await waitUntil(60000, 'the focused lookup input', async () => (await browser.execute(READY).catch(() => false)) === true);
  const timeline = await browser.execute(TIMELINE);
  await browser.execute(INSTALL);
  const runs = [];
  for (let i = 0; i < warmup + lookups; i++) {
    const cpf = CPFS[i % CPFS.length];
    await sleep(800);
    if ((await browser.execute(TRIGGER, cpf)) !== true) throw new Error('the lookup input is not on the page');
    // Leave the page alone while it works, then poll (polling runs script in the page's main thread).
    await sleep(700);
    let run = null;
    await waitUntil(20000, 'the verdict to be painted', async () => {
      run = await browser.execute('return window.__bb.current;').catch(() => null);
      return typeof run?.painted === 'number';
    }).catch((e) => {
      throw new Error(`${e.message}; page state: ${JSON.stringify(run)}`);
    });
    const entry = [...(await simRequests())]
      .reverse()
      .find((e) => e.kind === 'api' && typeof e.path === 'string' && e.path.endsWith(cpf));
    if (!entry) throw new Error(`the simulator logged no API call for ${cpf}`);
    runs.push({ ...run, warmup: i < warmup, simAt: entry.at });
    console.error(`  lookup ${i + 1}${i < warmup ? ' (warm-up)' : ''} ${cpf}: ${run.verdict}`);
  }
  writeFileSync(out, JSON.stringify({ timeline, runs }));
} finally {
  await browser.deleteSession();
}
