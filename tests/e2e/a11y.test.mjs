// Accessibility in the real window (issue 16): axe-core's WCAG 2.1 A and AA rules run inside the Balcão window on
// every screen and state that matters, in the light and the dark theme, with 0 violations; the test prints what it
// checked. Each state's DOM is also kept (with the stylesheets the window loaded, read from the built UI) for
// forced-colors.test.mjs, which renders it in Debian's Chromium with Windows high-contrast emulated.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, openApp, screenshot, xkey, xtype, pageHelpers } from './harness.mjs';
import { domSnapshotDir, domSnapshots, snapshotDom } from './dom-snapshot.mjs';
import { checkForcedColors } from './forced-colors.mjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_VERSION = JSON.parse(readFileSync(require.resolve('axe-core/package.json'), 'utf8')).version;
/** WCAG 2.0 and 2.1, levels A and AA: what eMAG points to. */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const THEMES = ['light', 'dark'];

let browser;
const { $, shown, focused } = pageHelpers(() => browser);
let dir;
/** One line per state and theme: what was checked and what axe found. */
const checked = [];

/** axe-core, injected into the page once per document (a WebDriver script, so the page's CSP does not apply). */
async function ensureAxe() {
  const has = await browser.execute(() => typeof window.axe === 'object' && typeof window.axe.run === 'function');
  if (!has) await browser.execute(`${AXE}\n;return true;`);
}

/** Runs axe on the whole document in one theme; resolves to its violations and counts. */
async function runAxe() {
  await ensureAxe();
  return browser.executeAsync((tags, done) => {
    window.axe
      .run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
      .then((r) =>
        done({
          violations: r.violations.map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            nodes: v.nodes.slice(0, 6).map((n) => `${n.target.join(' ')} — ${n.failureSummary?.replace(/\s+/g, ' ')}`),
          })),
          passed: r.passes.length,
          // Checks axe could not decide alone (e.g. contrast over an image): listed, for a person to look at.
          incomplete: [...new Set(r.incomplete.map((v) => v.id))],
          rules: r.passes.length + r.violations.length + r.incomplete.length + r.inapplicable.length,
          elements: document.querySelectorAll('body *').length,
        }),
      )
      .catch((e) => done({ error: String(e) }));
  }, TAGS);
}

/** The clerk's theme choice as the page applies it (lib/theme.ts sets `data-theme` on <html>). */
const setTheme = (theme) =>
  browser.execute((t) => {
    document.documentElement.dataset.theme = t;
  }, theme);
const restoreTheme = () =>
  browser.execute(() => {
    const v = localStorage.getItem('balcao-theme');
    if (v === 'light' || v === 'dark') document.documentElement.dataset.theme = v;
    else delete document.documentElement.dataset.theme;
  });

/** axe in light and dark on what the window shows now: 0 violations, a screenshot and a DOM snapshot of each. */
async function audit(state) {
  const failures = [];
  for (const theme of THEMES) {
    await setTheme(theme);
    await browser.pause(80);
    const r = await runAxe();
    assert.ok(!r.error, `axe failed on ${state} (${theme}): ${r.error}`);
    const line = `${state} (${theme}): ${r.rules} regras WCAG 2.1 A/AA, ${r.passed} aprovadas, ${r.violations.length} violações, ${r.elements} elementos${r.incomplete.length ? `; a conferir à mão: ${r.incomplete.join(', ')}` : ''}`;
    checked.push(line);
    console.log(`a11y: ${line}`);
    for (const v of r.violations) failures.push(`${state} (${theme}) ${v.id} [${v.impact}] ${v.help}\n    ${v.nodes.join('\n    ')}`);
    await snapshotDom(browser, `${state}-${theme}`);
    await screenshot(browser, `a11y-${state}-${theme}`);
  }
  await restoreTheme();
  assert.deepEqual(failures, [], `axe found WCAG 2.1 A/AA violations:\n${failures.join('\n')}`);
}

/** Ctrl+K, type, Enter. */
async function lookUp(number) {
  xkey('ctrl+k');
  await focused('lookup-input');
  xtype(number);
  xkey('Return');
}

/** The debug build's seams folder: the next file dialog answers with `path`. */
function answerNextDialog(path) {
  const seams = process.env.BALCAO_TEST_SEAMS;
  assert.ok(seams, 'BALCAO_TEST_SEAMS is not set: run through `cargo xtask e2e`');
  writeFileSync(join(seams, '.dialog-answer.tmp'), path, 'utf8');
  renameSync(join(seams, '.dialog-answer.tmp'), join(seams, 'dialog-answer'));
}

const faults = (body) =>
  fetch(`${env.simUrl}/__sim/faults`, {
    method: body ? 'POST' : 'DELETE',
    headers: { 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'balcao-a11y-'));
  rmSync(domSnapshotDir(), { recursive: true, force: true });
  mkdirSync(domSnapshotDir(), { recursive: true });
  browser = await openApp();
  await shown('lookup-input');
  await focused('lookup-input');
});

after(async () => {
  if (browser) {
    await faults(null).catch(() => {});
    await restoreTheme().catch(() => {});
    await browser.deleteSession();
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
  console.log(`a11y: axe-core ${AXE_VERSION}, tags ${TAGS.join(', ')}; ${checked.length} estados × tema verificados:`);
  for (const line of checked) console.log(`  - ${line}`);
});

test('empty Consulta', async () => {
  await shown('lookup-empty');
  await audit('consulta-vazia');
});

test('each result kind: CPF regular, suspended, deceased, partial; CNPJ; not found', async () => {
  // The verdict is said once: everything the live region is told during this lookup is recorded.
  await browser.execute(() => {
    const region = document.querySelector('[data-testid="lookup-announcer"]');
    window.__said = [];
    new MutationObserver(() => window.__said.push(region.textContent ?? '')).observe(region, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });
  await lookUp('000.000.002-72');
  await shown('result-name');
  await browser.pause(700);
  const said = (await browser.execute(() => window.__said)).filter((s) => s.trim());
  assert.equal(said.length, 1, `the live region spoke once: ${JSON.stringify(said)}`);
  assert.match(said[0], /^Consulta concluída: CPF 000\.000\.002-72, MARIA DAS GRACAS PEREIRA\. Situação cadastral: Regular\.$/i);
  const verdict = await shown('result-verdict');
  assert.equal((await (await verdict.$('.glyph')).getText()).trim(), '✓', 'the verdict has an icon');
  assert.match(await (await $('result-status')).getText(), /regular/i, 'and text');
  await audit('consulta-cpf-regular');
  await lookUp('000.000.003-53');
  await browser.waitUntil(async () => (await (await $('result-verdict')).getAttribute('data-severity')) !== 'ok', {
    timeout: 15000,
    timeoutMsg: 'the suspended CPF never showed',
  });
  await audit('consulta-cpf-suspensa');
  await lookUp('390.533.447-05');
  await browser.waitUntil(async () => /ANTONIO/.test(await (await shown('result-name')).getText()), { timeout: 15000 });
  await audit('consulta-cpf-falecido');
  await lookUp('714.602.380-01');
  await browser.waitUntil(async () => /JULIANA/.test(await (await shown('result-name')).getText()), { timeout: 15000 });
  await audit('consulta-cpf-parcial');
  await lookUp('42.318.949/0001-84');
  await shown('result-cnpj');
  await shown('partners-table');
  await audit('consulta-cnpj');
  await lookUp('123.456.780-62');
  await shown('lookup-error');
  await audit('consulta-nao-encontrado');
});

test('a lookup error with its way out', async () => {
  // The gateway refuses the profile's access (403): an error with «Abrir Configurações» as the way out.
  const r = await faults({ kind: 'status', status: 403, times: 5, scope: 'api' });
  assert.equal(r.status, 201, 'the simulator took the fault');
  await lookUp('776.890.627-68');
  await shown('lookup-error', 30000);
  await shown('error-open-settings');
  await faults(null);
  await audit('consulta-erro');
});

test('Comparar with two entries, and Histórico with its chart', async () => {
  await lookUp('000.000.002-72');
  await shown('result-name');
  xkey('alt+3');
  await shown('screen-historico');
  await shown('history-chart');
  await browser.waitUntil(async () => (await browser.$$('[data-testid="history-row"]')).length >= 2, { timeout: 15000 });
  await audit('historico');
  const search = await shown('history-search');
  await search.click();
  xtype('gracas');
  xkey('Return');
  await browser.waitUntil(async () => (await browser.$$('[data-testid="history-row"]')).length === 2, {
    timeout: 15000,
    timeoutMsg: 'the two lookups of MARIA DAS GRACAS are in the history',
  });
  const boxes = await browser.$$('[data-testid="history-select"]');
  await boxes[0].click();
  await boxes[1].click();
  await (await shown('history-compare')).click();
  await shown('compare-result');
  await audit('comparar');
});

test('Recibo, Configurações and Primeiros passos', async () => {
  xkey('alt+1');
  await focused('lookup-input');
  xkey('ctrl+p');
  await shown('receipt');
  await audit('recibo');
  xkey('alt+5');
  await shown('settings-form');
  await audit('configuracoes');
  xkey('alt+6');
  await shown('screen-inicio');
  await audit('primeiros-passos');
});

test('Lote: the preview, then the run to the end', async () => {
  const file = join(dir, 'a11y-lote.csv');
  writeFileSync(file, ['cpf;nome', '34567891228;Um', '16899535009;Dois', '28345261094;Três', '11111111112;Errado', ''].join('\n'));
  xkey('alt+7');
  await shown('screen-lote');
  const choose = await shown('batch-file');
  answerNextDialog(file);
  await choose.click();
  await shown('batch-preview');
  await shown('batch-estimate');
  await audit('lote-previa');
  await (await shown('batch-start')).click();
  const progress = await shown('batch-progress');
  await browser.waitUntil(async () => (await progress.getAttribute('data-state')) === 'completed', {
    timeout: 60000,
    timeoutMsg: 'the batch never completed',
  });
  await audit('lote-concluido');
  await (await shown('batch-new')).click();
  await shown('batch-file');
});

test('the notice for an error thrown in the page', async () => {
  xkey('alt+1');
  await focused('lookup-input');
  await browser.execute(() => {
    setTimeout(() => {
      throw new Error('erro de teste de acessibilidade');
    }, 0);
  });
  await shown('page-error');
  await audit('erro-na-tela');
  xkey('Escape');
  await browser.waitUntil(async () => !(await (await $('page-error')).isExisting()), { timeout: 5000 });
});

test('the help overlay and the lock screen', async () => {
  xkey('alt+1');
  await focused('lookup-input');
  xkey('F1');
  await shown('help-overlay');
  await audit('ajuda');
  xkey('Escape');
  await focused('lookup-input');
  xkey('ctrl+l');
  await shown('idle-lock');
  await audit('bloqueio');
  await (await shown('idle-unlock')).click();
  await browser.waitUntil(async () => !(await (await $('idle-lock')).isExisting()), { timeout: 10000 });
});

test("forced colours (Windows high contrast) in Debian's Chromium: controls, focus rings and status stay visible", async () => {
  const snaps = domSnapshots();
  assert.ok(snaps.length >= 20, `the states above were snapshotted (${snaps.length})`);
  const results = await checkForcedColors(snaps, env.screenshots);
  const problems = [];
  for (const r of results) {
    console.log(`forced-colors: ${r.name}: ${r.controls} controles, ${r.focusables} paradas de Tab, ${r.statuses} caixas de situação, ${r.problems.length} problemas`);
    for (const p of r.problems) problems.push(`${r.name}: ${p}`);
  }
  assert.deepEqual(problems, [], `not visible with forced colours:\n${problems.join('\n')}`);
});
