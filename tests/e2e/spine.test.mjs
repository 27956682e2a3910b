// The spine: the real window in Demonstração, one CPF lookup through the whole pipe, and an invalid number that never leaves the app.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApp, screenshot, simRequests, focusedTestId, cli, openWithoutKey, env } from './harness.mjs';

let browser;

before(async () => {
  browser = await openApp();
});

after(async () => {
  await browser?.deleteSession();
});

test('opens in Demonstração with the banner shown and the input focused', async () => {
  const banner = await browser.$('[data-testid="demo-banner"]');
  await banner.waitForDisplayed({ timeout: 15000 });
  assert.match(await banner.getText(), /Demonstração/);
  const input = await browser.$('[data-testid="lookup-input"]');
  await input.waitForDisplayed();
  await browser.waitUntil(async () => (await focusedTestId(browser)) === 'lookup-input', {
    timeout: 5000,
    timeoutMsg: 'the lookup input never took focus',
  });
  await screenshot(browser, '01-consulta-inicial');
});

test('looks up a trial CPF through the simulator and keeps it in the encrypted history', async () => {
  const before = (await simRequests()).length;
  const input = await browser.$('[data-testid="lookup-input"]');
  await input.setValue('404.428.201-35');
  await browser.keys('Enter');
  const name = await browser.$('[data-testid="result-name"]');
  await name.waitForDisplayed({ timeout: 15000 });
  assert.equal(await name.getText(), 'Nome do CPF 404.428.201-35');
  assert.equal(await (await browser.$('[data-testid="result-status"]')).getText(), 'Regular');
  await screenshot(browser, '02-cpf-regular');

  const calls = (await simRequests()).slice(before);
  assert.ok(calls.some((r) => r.path === '/token'), `a token call was made: ${JSON.stringify(calls)}`);
  assert.ok(calls.some((r) => r.path.endsWith('/cpf/40442820135') && r.status === 200), 'the CPF endpoint answered 200');

  const db = join(env.dataDir, 'history.db');
  assert.ok(existsSync(db), `history file at ${db}`);
  const header = readFileSync(db).subarray(0, 16).toString('latin1');
  assert.notEqual(header, 'SQLite format 3\u0000', 'the history file is not plaintext SQLite');
  const err = openWithoutKey(db);
  assert.ok(err && /not a database|encrypted/i.test(err), `opening without the key fails (${err})`);
  const rows = cli(['history', 'search', '40442820135', '--json']);
  assert.ok(rows.some((r) => JSON.stringify(r).includes('Nome do CPF 404.428.201-35')), `history holds the lookup: ${JSON.stringify(rows)}`);
});

test('rejects a CPF with a wrong check digit in pt-BR without calling the simulator', async () => {
  const before = (await simRequests()).length;
  const input = await browser.$('[data-testid="lookup-input"]');
  await input.clearValue();
  await input.setValue('404.428.201-36');
  await browser.keys('Enter');
  const error = await browser.$('[data-testid="input-error"]');
  await error.waitForDisplayed({ timeout: 5000 });
  assert.match(await error.getText(), /dígito verificador/);
  // Give a wrongly sent request time to arrive before asserting there was none.
  await browser.pause(500);
  assert.equal((await simRequests()).length, before, 'no request reached the simulator');
  await screenshot(browser, '03-cpf-invalido');
});

test('the theme button switches the gov.br palette between light and dark, and back to the system', async () => {
  const paint = () =>
    browser.execute(() => {
      const s = getComputedStyle(document.documentElement);
      return { theme: document.documentElement.dataset.theme ?? 'auto', bg: s.backgroundColor, text: s.color };
    });
  const LIGHT = { bg: 'rgb(248, 248, 248)', text: 'rgb(27, 27, 27)' };
  const DARK = { bg: 'rgb(7, 29, 65)', text: 'rgb(242, 242, 242)' };
  const system = await paint();
  assert.equal(system.theme, 'auto');
  const systemDark = await browser.execute(() => matchMedia('(prefers-color-scheme: dark)').matches);
  assert.deepEqual({ bg: system.bg, text: system.text }, systemDark ? DARK : LIGHT, 'auto follows the system');
  const toggle = await browser.$('[data-testid="theme-toggle"]');
  await toggle.click();
  const chosen = await paint();
  assert.equal(chosen.theme, systemDark ? 'light' : 'dark');
  assert.deepEqual({ bg: chosen.bg, text: chosen.text }, systemDark ? LIGHT : DARK, 'the explicit choice wins');
  await screenshot(browser, `03b-tema-${chosen.theme === 'dark' ? 'escuro' : 'claro'}`);
  await toggle.click();
  const back = await paint();
  assert.deepEqual(back, system, 'back to the system theme');
});
