// Errors the clerk never sees (issue 16): an error thrown in the real window and a promise rejected with no handler
// are written to Balcão's log (the number in the text masked, as in every line) and explained by a calm pt-BR notice
// with the way to the diagnostics, instead of a frozen screen; the window keeps working.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { env, openApp, screenshot, xkey, pageHelpers } from './harness.mjs';

let browser;
const { $, shown, focused } = pageHelpers(() => browser);

/** Every line of the app's log files (BALCAO_DATA_DIR/logs). */
function logLines() {
  const dir = join(env.dataDir, 'logs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith('balcao') && f.endsWith('.log'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'));
}

async function logLineWith(marker) {
  let found = null;
  await browser.waitUntil(
    async () => {
      found = logLines().find((l) => l.includes(marker)) ?? null;
      return found !== null;
    },
    { timeout: 10000, timeoutMsg: `no log line with ${marker}` },
  );
  return found;
}

before(async () => {
  browser = await openApp();
  await shown('lookup-input');
});

after(async () => {
  await browser?.deleteSession();
});

test('an error thrown in the page is logged, masked, and a calm notice offers the diagnostics', async () => {
  assert.equal(await (await $('page-error')).isExisting(), false, 'no notice before any error');
  await browser.execute(() => {
    setTimeout(() => {
      throw new Error('falha-e2e-sincrona com o CPF 111.444.777-35');
    }, 0);
  });
  const notice = await shown('page-error');
  assert.match(await notice.getText(), /Algo não saiu como esperado/);
  assert.match(await notice.getText(), /Alt\+5/);
  await focused('page-error');
  await screenshot(browser, 'page-error-notice');
  const line = await logLineWith('falha-e2e-sincrona');
  assert.match(line, /ERROR/);
  assert.match(line, /page error/);
  assert.match(line, /kind=(")?error/);
  assert.ok(!line.includes('111.444.777-35') && !line.includes('11144477735'), `the CPF is masked in the log: ${line}`);

  // By keys: Tab to «Abrir o diagnóstico», Enter: Configurações with the diagnostics panel.
  await browser.waitUntil(async () => {
    xkey('Tab');
    return (await browser.execute(() => document.activeElement?.getAttribute('data-testid'))) === 'page-error-diagnostics';
  }, { timeout: 5000, timeoutMsg: 'Tab never reached «Abrir o diagnóstico»' });
  xkey('Return');
  await shown('screen-config');
  await shown('diagnostics');
  assert.equal(await (await $('page-error')).isExisting(), false, 'the notice closed');
});

test('an unhandled promise rejection is logged too, Esc closes the notice, and the window still looks up', async () => {
  xkey('alt+1');
  await focused('lookup-input');
  await browser.execute(() => {
    void Promise.reject(new Error('falha-e2e-promessa'));
  });
  const notice = await shown('page-error');
  const line = await logLineWith('falha-e2e-promessa');
  assert.match(line, /kind=(")?rejection/);
  await notice.waitForDisplayed();
  xkey('Escape');
  await browser.waitUntil(async () => !(await (await $('page-error')).isExisting()), { timeout: 5000 });
  xkey('ctrl+k');
  await focused('lookup-input');
});
