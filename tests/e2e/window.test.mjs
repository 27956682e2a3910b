// What a clerk sees in the real window that the unit tests cannot (issue 20), run under a non-pt-BR system locale
// (xtask sets LANG=C.UTF-8 for the app): the history chart draws its data in both themes, date fields read and show
// dd/mm/aaaa, no native control speaks the OS language, the status bar names the API of each quota, Ctrl+L locks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openApp, screenshot, focusedTestId, xtype, xkey, pageHelpers } from './harness.mjs';

let browser;
const { $, shown, focused, invokeFromPage } = pageHelpers(() => browser);

/** Ctrl+K, type, Enter, and wait for the answer. */
async function lookUp(number, resultId) {
  xkey('ctrl+k');
  await focused('lookup-input');
  xtype(number);
  xkey('Return');
  await shown(resultId);
}

/** The status bar's quota entries: API, count used, whether it is the API of the record on screen. */
const quotas = () =>
  browser.execute(() =>
    [...document.querySelectorAll('[data-testid="status-quota-api"]')].map((e) => ({
      api: e.getAttribute('data-api'),
      used: Number(e.getAttribute('data-used')),
      last: e.getAttribute('data-last') === 'true',
      text: e.textContent.replace(/\s+/g, ' ').trim(),
    })),
  );


/** Today as dd/mm/aaaa, as a clerk would type it. */
function today() {
  const d = new Date();
  return `${String(d.getDate()).padStart(2, '0')}/${String(d.getMonth() + 1).padStart(2, '0')}/${d.getFullYear()}`;
}

/**
 * Reads a chart's canvas in the page: the pixels drawn in the colour of one series (`--chart-1`: the lookups line,
 * `--chart-2`: the billable one, dashed over it), as the theme shows that colour now, and where they are (fractions of
 * the canvas: 0,0 top left).
 */
const seriesPixels = (testid, colourVar) =>
  browser.execute((tid, cv) => {
   try {
    const canvas = document.querySelector(`[data-testid="${tid}"] canvas`);
    if (!canvas) {
      const failed = document.querySelector('[data-testid="chart-failed"]');
      return { n: 0, missing: 'no canvas', failure: failed?.getAttribute('data-error') ?? null, html: document.querySelector(`[data-testid="${tid}"]`)?.outerHTML.slice(0, 300) };
    }
    const probe = document.querySelector(`[data-testid="${tid}"]`).appendChild(document.createElement('span'));
    probe.style.color = `var(${cv})`;
    const rgb = getComputedStyle(probe).color.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
    probe.remove();
    const { width, height } = canvas;
    const px = canvas.getContext('2d').getImageData(0, 0, width, height).data;
    let n = 0;
    let minX = 1;
    let maxX = 0;
    let minY = 1;
    let opaque = 0;
    const colours = new Map();
    for (let i = 0; i < px.length; i += 4) {
      if (px[i + 3] === 0) continue;
      opaque += 1;
      const c = `${px[i]},${px[i + 1]},${px[i + 2]},${px[i + 3]}`;
      colours.set(c, (colours.get(c) ?? 0) + 1);
      const near = Math.abs(px[i] - rgb[0]) + Math.abs(px[i + 1] - rgb[1]) + Math.abs(px[i + 2] - rgb[2]) < 40;
      if (!near || px[i + 3] < 200) continue;
      n += 1;
      const p = i / 4;
      const x = (p % width) / width;
      const y = Math.floor(p / width) / height;
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
    }
    const top = [...colours.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6);
    return { rgb, n, minX, maxX, minY, opaque, width, height, top };
   } catch (e) {
    return { n: 0, thrown: String(e) };
   }
  }, testid, colourVar);

before(async () => {
  browser = await openApp();
  await shown('lookup-input');
  await focused('lookup-input');
});

after(async () => {
  await browser?.deleteSession();
});

test('the window runs under a non-pt-BR locale, and the page still reads pt-BR', async () => {
  const lang = await browser.execute(() => ({
    os: document.documentElement.dataset.osLanguage,
    intl: Intl.DateTimeFormat().resolvedOptions().locale,
    page: navigator.language,
  }));
  console.log(`locale in the window: ${JSON.stringify(lang)}`);
  assert.doesNotMatch(lang.os, /^pt/i, 'the OS locale the app runs under is not pt-BR');
  assert.doesNotMatch(lang.intl, /^pt/i, 'the engine’s default locale is not pt-BR');
  assert.equal(lang.page, 'pt-BR', 'what libraries read as the page’s language');
});

test('the status bar names each contracted API’s quota, and a CNPJ lookup moves the CNPJ count', async () => {
  await lookUp('111.444.777-35', 'result-name');
  await browser.waitUntil(async () => (await quotas()).some((q) => q.last), { timeout: 5000 });
  const afterCpf = await quotas();
  assert.deepEqual(
    afterCpf.map((q) => q.api),
    ['serproCpfV2', 'serproCnpj'],
    'one entry per API of the Demonstração profile',
  );
  assert.equal(afterCpf.find((q) => q.last)?.api, 'serproCpfV2');
  await lookUp('11.222.333/0001-81', 'result-cnpj');
  await browser.waitUntil(async () => (await quotas()).find((q) => q.last)?.api === 'serproCnpj', {
    timeout: 5000,
    timeoutMsg: 'the CNPJ quota is never marked as the API just used',
  });
  const afterCnpj = await quotas();
  const before = afterCpf.find((q) => q.api === 'serproCnpj');
  const now = afterCnpj.find((q) => q.api === 'serproCnpj');
  assert.equal(now.used, before.used + 1, 'the CNPJ count moved by the lookup just made');
  assert.equal(afterCnpj.find((q) => q.api === 'serproCpfV2').used, afterCpf.find((q) => q.api === 'serproCpfV2').used);
  assert.match(now.text, /^CNPJ \d+ usadas?$/);
  await screenshot(browser, '20-barra-cota-por-api');
});

test('the declared birth date is typed as dd/mm/aaaa (and a pasted date is read) on an English system', async () => {
  await lookUp('111.444.777-35', 'result-name');
  xkey('alt+d');
  await focused('declaration-name');
  xkey('Tab');
  await focused('declaration-birth-date');
  const field = await $('declaration-birth-date');
  assert.equal(await field.getAttribute('type'), 'text');
  assert.equal(await field.getAttribute('placeholder'), 'dd/mm/aaaa');
  xtype('15011980');
  await browser.waitUntil(async () => (await field.getValue()) === '15/01/1980', {
    timeout: 5000,
    timeoutMsg: 'the digits typed are not shown as 15/01/1980',
  });
  assert.equal(await field.getAttribute('data-iso'), '1980-01-15');
  // A date pasted as the citizen's document shows it (the page's paste path: the field's input event).
  await browser.execute(() => {
    const el = document.querySelector('[data-testid="declaration-birth-date"]');
    el.select();
    document.execCommand('insertText', false, '7/2/1981');
  });
  await browser.waitUntil(async () => (await field.getValue()) === '07/02/1981', { timeout: 5000 });
  assert.equal(await field.getAttribute('data-iso'), '1981-02-07');
  xkey('ctrl+a');
  xtype('15/01/1980');
  xkey('Return');
  const result = await shown('declaration-result');
  assert.match(await result.getText(), /15\/01\/1980/);
  await screenshot(browser, '21-data-declarada-ddmmaaaa');
});

test('Histórico’s De/Até take dd/mm/aaaa, and no screen has a native control in the OS language', async () => {
  xkey('alt+3');
  await shown('screen-historico');
  const from = await $('history-from');
  await from.click();
  xtype(today().replace(/\//g, ''));
  await browser.waitUntil(async () => (await from.getValue()) === today(), {
    timeout: 5000,
    timeoutMsg: 'De: the digits typed are not shown as dd/mm/aaaa',
  });
  const to = await $('history-to');
  await to.click();
  xtype(today());
  await browser.waitUntil(async () => (await to.getValue()) === today(), {
    timeout: 5000,
    timeoutMsg: 'Até: the date typed with its slashes is not shown as dd/mm/aaaa',
  });
  assert.equal(await from.getAttribute('data-iso'), await to.getAttribute('data-iso'));
  xkey('Return');
  await browser.waitUntil(async () => (await browser.$$('[data-testid="history-row"]')).length >= 3, {
    timeout: 10000,
    timeoutMsg: 'today’s lookups are found between De and Até set to today',
  });
  await screenshot(browser, '22-historico-datas-ddmmaaaa');
  for (const [key, screenId] of [
    ['alt+1', 'lookup-input'],
    ['alt+2', 'screen-comparar'],
    ['alt+3', 'screen-historico'],
    ['alt+4', 'screen-recibo'],
    ['alt+5', 'screen-config'],
    ['alt+6', 'screen-inicio'],
    ['alt+7', 'screen-lote'],
  ]) {
    xkey(key);
    const el = await $(screenId);
    await el.waitForExist({ timeout: 10000 });
    const native = await browser.execute(() =>
      [...document.querySelectorAll('input')]
        .filter((i) => ['date', 'datetime-local', 'month', 'week', 'time', 'file', 'color'].includes(i.type))
        .map((i) => `${i.type}#${i.getAttribute('data-testid')}`),
    );
    assert.deepEqual(native, [], `${screenId}: native controls whose face follows the OS language`);
    const text = await browser.execute(() => document.body.innerText);
    assert.doesNotMatch(text, /Choose File|No file (chosen|selected)|mm\/dd\/yyyy|Browse…/i, screenId);
  }
  await screenshot(browser, '23-lote-botao-ptbr');
});

test('the history chart draws today’s lookups in both themes (pixels read from its canvas)', async () => {
  xkey('alt+3');
  await shown('screen-historico');
  const chart = await shown('chart-lookups');
  await chart.scrollIntoView({ block: 'center' });
  const rgb = {};
  const darkness = [];
  for (const theme of ['first', 'second']) {
    for (const series of ['--chart-1', '--chart-2']) {
      let px;
      for (let i = 0; i < 50; i += 1) {
        px = await seriesPixels('chart-lookups', series);
        if (px.n > 0) break;
        await browser.pause(200);
      }
      if (px.n === 0) await screenshot(browser, `24-grafico-falhou-${theme}`);
      const seen = JSON.stringify(px);
      assert.ok(px.n > 0, `the ${series} line is not on the canvas (${theme} theme): ${seen}`);
      // Today is the last day of 30: the line climbs from zero to today's count at the right edge of the plot.
      assert.ok(px.maxX > 0.9, `the ${series} line reaches today at the right: ${seen}`);
      assert.ok(px.minY < 0.5, `today's count rises above the zero line: ${seen}`);
      assert.ok(px.n >= 20, `a drawn line, not a stray pixel: ${seen}`);
      rgb[theme] ??= px.rgb.join(',');
    }
    const failed = await browser.$$('[data-testid="chart-failed"]');
    assert.equal(failed.length, 0);
    const dark = await browser.execute(() => {
      const card = document.querySelector('[data-testid="history-chart"]');
      const bg = getComputedStyle(card).backgroundColor.match(/\d+/g).map(Number);
      return bg[0] + bg[1] + bg[2] < 300;
    });
    darkness.push(dark);
    await screenshot(browser, `24-grafico-${dark ? 'escuro' : 'claro'}`);
    if (theme === 'first') {
      xkey('alt+t');
      await browser.waitUntil(
        async () => (await seriesPixels('chart-lookups', '--chart-1')).rgb?.join(',') !== rgb.first,
        { timeout: 5000, timeoutMsg: 'Alt+T did not change the theme’s chart colour' },
      );
    }
  }
  assert.deepEqual(new Set(darkness), new Set([true, false]), 'drawn once in the light theme and once in the dark');
  xkey('alt+t'); // back to the system's theme for the tests that follow
});

test('Ctrl+L while typing in a field locks at once, and the lock screen says the clerk locked it', async () => {
  xkey('alt+3');
  await shown('screen-historico');
  xkey('alt+b');
  await focused('history-search');
  xtype('maria');
  xkey('ctrl+l');
  const title = await shown('idle-title', 5000);
  assert.equal((await title.getText()).trim(), 'Tela bloqueada');
  assert.equal(await title.getAttribute('data-reason'), 'clerk');
  assert.equal((await browser.$$('[data-testid="screen-historico"]')).length, 0, 'the history left the window');
  const status = await invokeFromPage('lock_status', {});
  assert.equal(status.ok?.locked, true, 'the shell is locked too, not only the page');
  await screenshot(browser, '25-bloqueio-ctrl-l');
  const refused = await invokeFromPage('history_search', { query: {} });
  assert.equal(refused.err?.code, 'Unauthorized', 'the shell refuses the history while locked');
  await (await $('idle-unlock')).click();
  await browser.waitUntil(async () => (await browser.$$('[data-testid="idle-lock"]')).length === 0, { timeout: 5000 });
});

test('the help table lists Ctrl+L', async () => {
  xkey('F1');
  await shown('help-overlay');
  const rows = await browser.execute(() =>
    [...document.querySelectorAll('[data-testid="help-row"]')].map((r) =>
      [...r.children].map((c) => c.textContent.trim()),
    ),
  );
  assert.ok(
    rows.some(([k, label]) => k === 'Ctrl+L' && label === 'Bloquear a tela agora'),
    `the help table lists Ctrl+L: ${JSON.stringify(rows)}`,
  );
  xkey('Escape');
});
