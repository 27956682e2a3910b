// The Lote screen in the real window (Demonstração): a small CSV chosen with the pt-BR button (the system dialog,
// opened and read by Rust; answered through the debug build's test seam), the preview with its counts and cost
// before any call, the run to the end, the exported result CSV with the verdict columns, cancel and resume, and a
// file dropped on the window (a drop injected through the seam) opening in Lote.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApp, screenshot, xkey, simRequests, pageHelpers, answerNextDialog, dropOnWindow } from './harness.mjs';

// The debug build's seams folder (xtask sets BALCAO_TEST_SEAMS for the app and for these tests).
const seams = process.env.BALCAO_TEST_SEAMS;

let browser;
const { $, shown } = pageHelpers(() => browser);
let dir;
const text = async (id) => (await shown(id)).getText();

// Three trial CPFs, an invalid check digit, a repeat (formatted differently) and a valid CPF the simulator does not know.
const CSV = [
  'cpf;nome',
  '40442820135;Primeira',
  '63017285995;Segunda',
  '91708635203;Terceira',
  '40442820136;Dígito errado',
  '404.428.201-35;Repetida',
  '12345678909;Desconhecida',
  '',
].join('\n');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'balcao-lote-'));
  browser = await openApp();
  await shown('lookup-input');
});

after(async () => {
  await browser?.deleteSession();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a CSV previewed with its cost, run to the end and exported with the verdict columns', async () => {
  const file = join(dir, 'lista-lote.csv');
  writeFileSync(file, CSV, 'utf8');

  xkey('alt+7');
  await shown('screen-lote');
  const choose = await shown('batch-file');
  assert.equal(await choose.getTagName(), 'button', 'a pt-BR button, not the OS file input');
  assert.equal(await choose.getText(), 'Escolher arquivo…');
  assert.equal((await browser.$$('input[type="file"]')).length, 0);

  // A dialog closed without a file changes nothing.
  answerNextDialog('');
  await choose.click();
  await browser.waitUntil(async () => !existsSync(join(seams, 'dialog-answer')), { timeout: 10000 });
  await browser.waitUntil(async () => choose.isEnabled(), { timeout: 10000 });
  assert.equal(await (await $('batch-preview')).isExisting(), false);
  assert.equal(await (await $('batch-error')).isExisting(), false);

  answerNextDialog(file);
  await choose.click();
  await shown('batch-preview');
  assert.equal(await text('batch-count-rows'), '6');
  assert.equal(await text('batch-count-valid'), '5');
  assert.equal(await text('batch-count-invalid'), '1');
  assert.equal(await text('batch-count-duplicates'), '1');
  assert.equal(await text('batch-count-unique'), '4');
  assert.equal(await text('batch-header-detected'), 'cabeçalho detectado');
  const bad = await browser.$$('[data-testid="batch-invalid-row"]');
  assert.equal(bad.length, 1);
  assert.match(await bad[0].getText(), /40442820136/);
  await shown('batch-estimate');
  assert.equal(await text('batch-estimate-lookups'), '4');
  assert.equal(await text('batch-estimate-calls'), '4', 'one call per CPF outside CPF Light');
  assert.equal(await text('batch-estimate-billable'), '4', 'at most every call is billed');
  const before = (await simRequests()).length;

  await (await shown('batch-start')).click();
  const progress = await shown('batch-progress');
  await browser.waitUntil(async () => (await progress.getAttribute('data-state')) === 'completed', {
    timeout: 60000,
    timeoutMsg: 'the batch never completed',
  });
  assert.equal(await text('batch-done'), '6 de 6');
  assert.equal(await text('batch-found'), '4');
  assert.equal(await text('batch-not-found'), '1');
  assert.equal(await text('batch-invalid'), '1');
  assert.equal(await text('batch-errors'), '0');
  assert.ok((await simRequests()).length > before, 'the batch called the simulator');
  assert.equal(await (await $('batch-cancel')).isExisting(), false);

  // «Salvar como…» (opened by Rust) answered through the seam: the file goes where the clerk chose.
  const chosen = join(dir, 'resultado-do-lote.csv');
  answerNextDialog(chosen);
  await (await shown('batch-export')).click();
  const saved = await text('batch-export-path');
  const path = saved.replace(/^Resultado gravado em /, '').trim();
  assert.equal(path, chosen);
  assert.ok(existsSync(path), `the exported CSV exists at ${path}`);
  const out = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  const [head, ...lines] = out.split(/\r?\n/).filter(Boolean);
  for (const col of ['balcao_resultado', 'balcao_documento', 'balcao_situacao', 'balcao_nome', 'balcao_mensagem']) {
    assert.ok(head.includes(col), `the result has ${col}: ${head}`);
  }
  assert.equal(lines.length, 6, 'every input row is in the result');
  assert.match(lines[3], /Inválido/);
  await screenshot(browser, '12-lote');
  rmSync(path, { force: true });
});

test('a slow batch cancelled midway keeps what was done, then resumes to the end', async () => {
  // Every trial CPF (answers slowed down by the simulator), so there is time to cancel.
  const cpfs = ['40442820135', '63017285995', '91708635203', '58136053391', '40532176871', '47123586964',
    '07691852312', '10975384600', '01648527949', '47893062592', '98302514705', '18025346790', '64913872591',
    '52389071686', '05137518743', '08849979878'];
  const file = join(dir, 'lista-lenta.csv');
  writeFileSync(file, ['cpf', ...cpfs, ''].join('\n'), 'utf8');
  const slow = await fetch(`${process.env.BALCAO_SIM_URL}/__sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'latency', ms: 700, times: 100, scope: 'api' }),
  });
  assert.equal(slow.status, 201, 'the simulator took the latency fault');

  await (await shown('batch-new')).click();
  // By keyboard: the button takes focus and Enter opens the dialog.
  await shown('batch-file');
  await browser.execute(() => document.querySelector('[data-testid="batch-file"]').focus());
  answerNextDialog(file);
  xkey('Return');
  await shown('batch-preview');
  assert.equal(await text('batch-count-unique'), String(cpfs.length));
  await (await shown('batch-start')).click();
  const progress = await shown('batch-progress');
  await browser.waitUntil(async () => Number((await text('batch-done')).split(' ')[0]) >= 1, {
    timeout: 30000,
    timeoutMsg: 'the slow batch made no progress',
  });
  await (await shown('batch-cancel')).click();
  await browser.waitUntil(async () => (await progress.getAttribute('data-state')) === 'cancelled', {
    timeout: 30000,
    timeoutMsg: 'the batch never reached the cancelled state',
  });
  const doneAtCancel = Number((await text('batch-done')).split(' ')[0]);
  assert.ok(doneAtCancel >= 1 && doneAtCancel < cpfs.length, `some, not all, were done (${doneAtCancel})`);
  await shown('batch-resume-hint');
  await screenshot(browser, '13-lote-cancelado');

  await fetch(`${process.env.BALCAO_SIM_URL}/__sim/faults`, { method: 'DELETE' });
  const calls = (await simRequests()).filter((r) => r.path.includes('/cpf/')).map((r) => r.path);
  await (await shown('batch-resume')).click();
  await browser.waitUntil(async () => (await progress.getAttribute('data-state')) === 'completed', {
    timeout: 60000,
    timeoutMsg: 'the resumed batch never completed',
  });
  assert.equal(await text('batch-done'), `${cpfs.length} de ${cpfs.length}`);
  const after = (await simRequests()).filter((r) => r.path.includes('/cpf/')).map((r) => r.path);
  const again = after.slice(calls.length).filter((p) => calls.includes(p));
  assert.deepEqual(again, [], 'nothing answered before the cancel was called again');
});

test('a file dropped on the window opens in Lote with its preview; other kinds are refused in pt-BR', async () => {
  xkey('alt+1');
  await shown('lookup-input');
  const other = join(dir, 'planilha.xlsx');
  writeFileSync(other, 'PK', 'utf8');
  dropOnWindow(other);
  await shown('screen-lote');
  assert.match(await text('batch-error'), /CSV ou TXT/);

  xkey('alt+1');
  await shown('lookup-input');
  const file = join(dir, 'arrastada.txt');
  writeFileSync(file, ['40442820135', '63017285995', '40442820136', ''].join('\n'), 'utf8');
  dropOnWindow(file);
  await shown('screen-lote');
  await shown('batch-preview');
  assert.match(await text('batch-preview'), /arrastada\.txt/);
  assert.equal(await text('batch-count-rows'), '3');
  assert.equal(await text('batch-count-valid'), '2');
  assert.equal(await text('batch-count-invalid'), '1');
  // Changing an option reads the dropped file again (Rust keeps its path; the page has no copy).
  await (await shown('batch-header')).selectByAttribute('value', 'yes');
  await browser.waitUntil(async () => (await text('batch-count-rows')) === '2', {
    timeout: 10000,
    timeoutMsg: 'the first line was not taken as a header',
  });
  assert.equal(await (await $('batch-error')).isExisting(), false);
  await screenshot(browser, '14-lote-arrastado');
  await (await shown('batch-discard')).click();
  await (await shown('batch-discard-yes')).click();
  await shown('batch-file');
});
