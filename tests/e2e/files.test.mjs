// Files and windows as the desktop does it (issue 16), in the real window: exports ask «Salvar como…» (opened by
// Rust, answered through the debug build's seam) and write the file where the clerk chose, a closed dialog writes
// nothing; «Abrir pasta» reaches the file manager (org.freedesktop.FileManager1, a stand-in on the test session's
// D-Bus recording what it was asked) with that file; a batch that ends while the window is not focused is announced
// by a desktop notification (org.freedesktop.Notifications, a stand-in too), one that ends focused is not; the
// window's size and position survive a restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { env, openApp, screenshot, xkey, xtype, pageHelpers, answerNextDialog } from './harness.mjs';

const calls = process.env.BALCAO_E2E_DESKTOP_CALLS;
/** What a stand-in desktop service was asked, one object per call. */
function asked(file) {
  assert.ok(calls, 'BALCAO_E2E_DESKTOP_CALLS is not set: run through `cargo xtask e2e`');
  const path = join(calls, file);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
const fileManagerCalls = () => asked('file-manager.jsonl');
const notifications = () => asked('notifications.jsonl');
const windowFile = join(env.dataDir, 'window.json');

let browser;
const { $, shown } = pageHelpers(() => browser);
const text = async (id, timeout) => (await shown(id, timeout)).getText();
let dir;
let other;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'balcao-arquivos-'));
  browser = await openApp();
  await shown('lookup-input');
});

after(async () => {
  other?.kill();
  await browser?.deleteSession();
  // The next test files start with the default window.
  rmSync(windowFile, { force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('an export asks «Salvar como…», writes the file where the clerk chose, and «Abrir pasta» shows it', async () => {
  xkey('alt+3');
  await shown('screen-historico');

  // Closed without a file: nothing written, a calm line.
  answerNextDialog('');
  await (await shown('history-export')).click();
  assert.match(await text('history-notice'), /Nada foi gravado/);
  assert.deepEqual(readdirSync(dir), [], 'nothing written');
  assert.equal(await (await $('history-error')).isExisting(), false, 'a closed dialog is not an error');

  // A name with a space and an accent, typed without the extension: saved as .csv where the clerk chose.
  const chosen = join(dir, 'histórico do balcão');
  answerNextDialog(chosen);
  await (await shown('history-export')).click();
  const saved = `${chosen}.csv`;
  assert.equal(await text('history-export-path'), `Arquivo gravado em ${saved}`);
  assert.ok(existsSync(saved), 'the CSV is at the chosen path');
  assert.match(readFileSync(saved, 'utf8'), /^\uFEFF?Balcão — Histórico de consultas/, 'the history export, whole');
  assert.equal(statSync(saved).mode & 0o777, 0o600, 'private to the clerk');
  assert.deepEqual(readdirSync(dir), ['histórico do balcão.csv'], 'no partial file left beside it');
  await screenshot(browser, 'files-01-historico-salvo');

  const before = fileManagerCalls().length;
  await (await shown('history-export-open-folder')).click();
  assert.equal(await text('history-export-folder'), 'Pasta aberta no gerenciador de arquivos.');
  const shownItems = fileManagerCalls().slice(before);
  assert.equal(shownItems.length, 1, JSON.stringify(shownItems));
  assert.equal(shownItems[0].method, 'ShowItems');
  assert.deepEqual(shownItems[0].uris, [pathToFileURL(saved).href], 'the file manager was asked for that file');

  // The audit trail too, through the same dialog.
  const audit = join(dir, 'auditoria.csv');
  answerNextDialog(audit);
  await (await shown('history-export-audit')).click();
  assert.equal(await text('history-export-path'), `Arquivo gravado em ${audit}`);
  assert.match(readFileSync(audit, 'utf8'), /exportação/i, 'the audit trail lists the history export just made');
});

test('the Recibo is saved as PDF where the clerk chose, with a line in the audit trail', async () => {
  xkey('alt+1');
  await shown('lookup-input');
  xkey('ctrl+k');
  xtype('404.428.201-35');
  xkey('Return');
  await shown('result-name');
  xkey('alt+4');
  await shown('receipt');

  answerNextDialog('');
  await (await shown('receipt-pdf')).click();
  assert.match(await text('receipt-pdf-cancelled'), /Nada foi gravado/);

  const chosen = join(dir, 'recibo');
  answerNextDialog(chosen);
  await (await shown('receipt-pdf')).click();
  const saved = `${chosen}.pdf`;
  assert.equal(await text('receipt-pdf-path', 40000), `Recibo gravado em ${saved}`);
  const pdf = readFileSync(saved);
  assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-', 'a PDF file');
  assert.ok(pdf.length > 2000, `a page was printed (${pdf.length} bytes)`);
  assert.equal(statSync(saved).mode & 0o777, 0o600, 'private to the clerk');
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.')), [], 'no partial file left beside it');
  await screenshot(browser, 'files-02-recibo-pdf');

  const before = fileManagerCalls().length;
  await (await shown('receipt-pdf-open-folder')).click();
  await browser.waitUntil(async () => fileManagerCalls().length > before, { timeout: 10000 });
  assert.deepEqual(fileManagerCalls().slice(before)[0].uris, [pathToFileURL(saved).href]);

  // The audit trail notes the saved copy.
  xkey('alt+3');
  await shown('screen-historico');
  const audit = join(dir, 'auditoria-depois-do-recibo.csv');
  answerNextDialog(audit);
  await (await shown('history-export-audit')).click();
  assert.equal(await text('history-export-path'), `Arquivo gravado em ${audit}`);
  assert.match(readFileSync(audit, 'utf8'), /recibo de consulta \(PDF\)/);
});

/** Runs a three-CPF batch from Lote to its end (the file chosen through the dialog seam); `during` runs once it started. */
async function runBatch(name, during) {
  xkey('alt+7');
  await shown('screen-lote');
  const newBatch = await $('batch-new');
  if (await newBatch.isExisting()) await newBatch.click();
  const file = join(dir, name);
  writeFileSync(file, ['cpf', '40442820135', '63017285995', '91708635203', ''].join('\n'), 'utf8');
  answerNextDialog(file);
  await (await shown('batch-file')).click();
  await shown('batch-preview');
  await (await shown('batch-start')).click();
  const progress = await shown('batch-progress');
  during?.();
  await browser.waitUntil(async () => (await progress.getAttribute('data-state')) === 'completed', {
    timeout: 60000,
    timeoutMsg: 'the batch never completed',
  });
}

/** The app's X window (xdotool). */
const appWindow = () => execFileSync('xdotool', ['search', '--name', '^Balcão$'], { encoding: 'utf8' }).trim().split('\n')[0];

test('a batch that ends while the window is not focused is announced by a desktop notification', async () => {
  const sim = process.env.BALCAO_SIM_URL;
  execFileSync('xdotool', ['windowfocus', '--sync', appWindow()]);
  const before = notifications().length;
  await runBatch('em-foco.csv');
  await browser.pause(500);
  assert.equal(notifications().length, before, 'no notification while the clerk is looking at the window');

  // Slow answers, so the window can lose the focus while the batch runs: another window takes it.
  const slow = await fetch(`${sim}/__sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'latency', ms: 700, times: 3, scope: 'api' }),
  });
  assert.equal(slow.status, 201);
  await runBatch('fora-de-foco.csv', () => {
    other = spawn('display', ['-title', 'outra-janela', '-geometry', '+900+480', '-size', '320x160', 'xc:gray'], { stdio: 'ignore' });
    execFileSync('xdotool', ['search', '--sync', '--name', '^outra-janela$', 'windowfocus', '--sync'], { timeout: 10000 });
  });
  await browser.waitUntil(async () => notifications().length > before, {
    timeout: 10000,
    timeoutMsg: 'no notification reached the desktop',
  });
  const [sent, ...more] = notifications().slice(before);
  assert.deepEqual(more, [], 'one notification per batch');
  assert.equal(sent.appName, 'Balcão');
  assert.equal(sent.summary, 'Lote concluído');
  assert.equal(sent.body, '3 de 3 linhas processadas, nenhum erro.');
  await screenshot(browser, 'files-03-lote-notificado');
  other.kill();
  other = undefined;
  await fetch(`${sim}/__sim/faults`, { method: 'DELETE' });
  execFileSync('xdotool', ['windowfocus', '--sync', appWindow()]);
});

test('the window keeps its size and position across a restart', async () => {
  await browser.setWindowRect(60, 40, 1100, 680);
  const moved = await browser.getWindowRect();
  assert.deepEqual([moved.width, moved.height], [1100, 680], 'the window took the new size');
  // Written once the moves pause.
  await browser.waitUntil(
    async () => {
      if (!existsSync(windowFile)) return false;
      const g = JSON.parse(readFileSync(windowFile, 'utf8'));
      return g.width === moved.width && g.height === moved.height && g.x === moved.x && g.y === moved.y;
    },
    { timeout: 10000, timeoutMsg: `window.json never held the new geometry: ${existsSync(windowFile) ? readFileSync(windowFile, 'utf8') : 'absent'}` },
  );
  await browser.deleteSession();
  browser = await openApp();
  await shown('lookup-input');
  assert.deepEqual(await browser.getWindowRect(), moved, 'the same size and place after the restart');
  await screenshot(browser, 'files-04-janela-restaurada');
});
