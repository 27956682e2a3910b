// Keyboard first, proved everywhere (issue 16): Lote (open a file, preview, run, cancel, resume, export), the lock
// (set a PIN, lock, unlock with the PIN) and profile editing (new, edit, delete), by real key events alone in the real
// window, as flow.test.mjs does for lookup, checks, history, compare and receipt. No mouse event is sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answerNextDialog, env, openApp, screenshot, xkey, xtype, pageHelpers } from './harness.mjs';

let browser;
const { $, shown, focused, tabTo, invokeFromPage } = pageHelpers(() => browser);
let dir;
const PIN = '739164';
let pinSet = false;
const text = async (id) => (await shown(id)).getText();

/** Tab to a button, then Enter. */
async function press(id, chord = 'Tab') {
  await tabTo(id, 0, chord);
  xkey('Return');
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'balcao-teclado-'));
  browser = await openApp();
  await shown('lookup-input');
  await focused('lookup-input');
});

after(async () => {
  await fetch(`${env.simUrl}/__sim/faults`, { method: 'DELETE' }).catch(() => {});
  if (browser) {
    // Leave no PIN or profile behind for the tests that follow (same data folder and keyring).
    if (pinSet) {
      await invokeFromPage('lock_unlock', { pin: PIN });
      await invokeFromPage('lock_set_pin', { pin: null, current: PIN });
    }
    await invokeFromPage('profile_activate', { id: 'demonstracao' });
    await invokeFromPage('profile_delete', { id: 'perfil-do-teclado' });
    await browser.deleteSession();
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('Lote by keys: open a file, preview, run, cancel, resume, export, new batch', async () => {
  const cpfs = ['00000000434', '77689062768', '07119488449', '15135168095', '30272095079', '14898746071',
    '20803407009', '78411139000', '88373571094', '47460609080', '47856021985', '23479805647', '49852036700',
    '28769150494'];
  const file = join(dir, 'lista-teclado.csv');
  writeFileSync(file, ['cpf', ...cpfs, ''].join('\n'), 'utf8');
  const slow = await fetch(`${env.simUrl}/__sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'latency', ms: 700, times: 100, scope: 'api' }),
  });
  assert.equal(slow.status, 201, 'the simulator took the latency fault');

  xkey('alt+7');
  await shown('screen-lote');
  answerNextDialog(file);
  await press('batch-file');
  await shown('batch-preview');
  assert.equal(await text('batch-count-unique'), String(cpfs.length));
  await screenshot(browser, 'teclado-lote-previa');

  await press('batch-start');
  const progress = await shown('batch-progress');
  await browser.waitUntil(async () => Number((await text('batch-done')).split(' ')[0]) >= 1, {
    timeout: 30000,
    timeoutMsg: 'the slow batch made no progress',
  });
  await press('batch-cancel', 'shift+Tab');
  await browser.waitUntil(async () => (await progress.getAttribute('data-state')) === 'cancelled', {
    timeout: 30000,
    timeoutMsg: 'the batch never reached the cancelled state by Enter on «Cancelar»',
  });
  const doneAtCancel = Number((await text('batch-done')).split(' ')[0]);
  assert.ok(doneAtCancel >= 1 && doneAtCancel < cpfs.length, `some, not all, were done (${doneAtCancel})`);
  await screenshot(browser, 'teclado-lote-cancelado');

  await fetch(`${env.simUrl}/__sim/faults`, { method: 'DELETE' });
  await press('batch-resume', 'shift+Tab');
  await browser.waitUntil(async () => (await progress.getAttribute('data-state')) === 'completed', {
    timeout: 60000,
    timeoutMsg: 'the resumed batch never completed',
  });
  assert.equal(await text('batch-done'), `${cpfs.length} de ${cpfs.length}`);

  // «Salvar como…» (opened by Rust) answered through the seam.
  const chosen = join(dir, 'resultado-pelo-teclado.csv');
  answerNextDialog(chosen);
  await press('batch-export', 'shift+Tab');
  const saved = await text('batch-export-path');
  const path = saved.replace(/^Resultado gravado em /, '').trim();
  assert.equal(path, chosen);
  assert.ok(existsSync(path), `the exported CSV exists at ${path}`);
  rmSync(path, { force: true });
  await screenshot(browser, 'teclado-lote-exportado');

  await press('batch-new', 'shift+Tab');
  await shown('batch-file');
});

test('the lock by keys: a PIN set in Configurações, Ctrl+L, the PIN typed, Enter', async () => {
  xkey('alt+5');
  await shown('lock-settings');
  await tabTo('lock-new');
  xtype(PIN);
  xkey('Tab');
  await focused('lock-again');
  xtype(PIN);
  xkey('Return');
  await browser.waitUntil(async () => (await (await $('lock-pin-state')).getAttribute('data-pin-set')) === 'true', {
    timeout: 10000,
    timeoutMsg: 'Enter in the PIN form never saved the PIN',
  });
  pinSet = true;

  xkey('ctrl+l');
  await shown('idle-lock');
  await focused('idle-pin');
  await screenshot(browser, 'teclado-bloqueio');
  xtype('000000');
  xkey('Return');
  await shown('idle-error');
  assert.ok(await (await $('idle-lock')).isExisting(), 'a wrong PIN keeps the lock');
  await focused('idle-pin');
  xkey('ctrl+a', 'BackSpace');
  xtype(PIN);
  xkey('Return');
  await browser.waitUntil(async () => !(await (await $('idle-lock')).isExisting()), {
    timeout: 10000,
    timeoutMsg: 'the PIN typed and Enter never unlocked',
  });
  await screenshot(browser, 'teclado-desbloqueado');

  // The PIN removed by keys too: Configurações, the current PIN, «Remover PIN».
  xkey('alt+5');
  await shown('lock-settings');
  await tabTo('lock-current');
  xtype(PIN);
  await press('lock-remove');
  await browser.waitUntil(async () => (await (await $('lock-pin-state')).getAttribute('data-pin-set')) === 'false', {
    timeout: 10000,
    timeoutMsg: 'the PIN was never removed',
  });
  pinSet = false;
});

test('profile editing by keys: a new profile saved, renamed, then deleted', async () => {
  xkey('alt+5');
  await shown('profiles');
  await press('profile-new');
  await shown('profile-editor');
  await focused('profile-name');
  xtype('Perfil do teclado');
  xkey('Return');
  const row = await browser.$('[data-testid="profile-row"][data-id="perfil-do-teclado"]');
  await row.waitForExist({ timeout: 10000, timeoutMsg: 'Enter in the editor never saved the new profile' });
  assert.match(await row.getText(), /Perfil do teclado/);

  // Edit: Tab to the row's «Editar», Enter, a new name, Enter.
  const editIndex = await browser.execute(() =>
    [...document.querySelectorAll('[data-testid="profile-edit"]')].findIndex(
      (b) => b.closest('[data-testid="profile-row"]')?.getAttribute('data-id') === 'perfil-do-teclado',
    ),
  );
  assert.ok(editIndex >= 0, 'the new profile has «Editar»');
  await tabTo('profile-edit', editIndex, 'shift+Tab');
  xkey('Return');
  await shown('profile-editor');
  await focused('profile-name');
  xkey('ctrl+a');
  xtype('Perfil do teclado renomeado');
  await screenshot(browser, 'teclado-perfil-editor');
  xkey('Return');
  await browser.waitUntil(async () => /renomeado/.test(await row.getText()), {
    timeout: 10000,
    timeoutMsg: 'the renamed profile never showed in its row',
  });

  // Delete: Tab to its «Excluir», Enter, then «Confirmar», Enter.
  const deleteIndex = await browser.execute(() =>
    [...document.querySelectorAll('[data-testid="profile-delete"]')].findIndex(
      (b) => b.closest('[data-testid="profile-row"]')?.getAttribute('data-id') === 'perfil-do-teclado',
    ),
  );
  assert.ok(deleteIndex >= 0, 'the new profile has «Excluir»');
  await tabTo('profile-delete', deleteIndex, 'shift+Tab');
  xkey('Return');
  await shown('profile-delete-yes');
  await press('profile-delete-yes');
  await browser.waitUntil(async () => !(await row.isExisting()), {
    timeout: 10000,
    timeoutMsg: 'the profile was never deleted',
  });
  xkey('alt+1');
  await focused('lookup-input');
});
