// A restart must not remove the lock (issue 13, hole 1), in the real window: the clerk sets a PIN in Configurações and
// locks, the app is killed, and the relaunched app (same data folder, same keyring) opens on the lock screen and
// refuses a history command called from the page. The PIN is removed at the end so later tests start unlocked.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { env, openApp, screenshot, xkey, xtype, pageHelpers } from './harness.mjs';

const PIN = '482913';
let browser;
const { $, shown, invokeFromPage } = pageHelpers(() => browser);


/** The app's processes still running (by their exact binary path), as pids. */
function appPids() {
  try {
    return execFileSync('pgrep', ['-f', '-x', `${env.app}( .*)?`], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Types into an input as a clerk does: click it, then real key events. */
async function typeInto(id, text) {
  await (await shown(id)).click();
  xtype(text);
}

after(async () => {
  // Leave no PIN behind for the tests that follow (same data folder and keyring).
  if (browser) {
    await invokeFromPage('lock_unlock', { pin: PIN });
    await invokeFromPage('lock_set_pin', { pin: null, current: PIN });
    await browser.deleteSession();
  }
});

test('a PIN set, the window locked and the app killed: the relaunched app opens locked and refuses history', async () => {
  browser = await openApp();
  await shown('lookup-input');
  xkey('alt+5');
  await typeInto('lock-new', PIN);
  await typeInto('lock-again', PIN);
  await (await shown('lock-save')).click();
  await browser.waitUntil(async () => (await (await $('lock-pin-state')).getAttribute('data-pin-set')) === 'true', {
    timeout: 10000,
    timeoutMsg: 'the PIN was never saved',
  });
  // Centred first: at the bottom of Configurações the fixed status bar would take a click at the button's centre.
  const lockNow = await shown('lock-now');
  await lockNow.scrollIntoView({ block: 'center' });
  await lockNow.click();
  await shown('idle-lock');

  // Kill the app: end the WebDriver session, then kill (by pid) whatever of it is still running.
  const pids = appPids();
  assert.ok(pids.length > 0, 'the app was running');
  await browser.deleteSession();
  browser = undefined;
  for (const pid of appPids()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (let i = 0; i < 50 && appPids().length > 0; i += 1) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(appPids(), [], 'the app is gone before the relaunch');

  browser = await openApp();
  await shown('idle-lock', 20000);
  await shown('idle-pin');
  await screenshot(browser, 'restart-lock-relaunched-locked');
  const r = await invokeFromPage('history_search', { query: {} });
  assert.ok(r.err, `history_search must be refused while locked, got ${JSON.stringify(r)}`);
  assert.equal(r.err.code, 'Unauthorized');
  assert.match(r.err.message, /bloqueada/);
  const settings = await invokeFromPage('settings_get', {});
  assert.ok(settings.err, 'settings are refused too');

  // The right PIN opens it again.
  await typeInto('idle-pin', PIN);
  xkey('Return');
  await browser.waitUntil(async () => !(await (await $('idle-lock')).isExisting()), {
    timeout: 10000,
    timeoutMsg: 'the lock screen never closed',
  });
  const ok = await invokeFromPage('history_search', { query: {} });
  assert.ok(ok.ok && Array.isArray(ok.ok.items), `history answers once unlocked: ${JSON.stringify(ok)}`);
});
