// The clerk's keyboard-only flow in the real window (Demonstração): lookup, declared vs official, what changed,
// CNPJ with partners and "é sócio?", history search, compare two entries, receipt. No mouse event is sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openApp, screenshot, xtype, xkey, pageHelpers } from './harness.mjs';

let browser;
const { $, shown, focused, tabTo } = pageHelpers(() => browser);

/** Ctrl+K, type, Enter: what a clerk does for every citizen. */
async function lookUp(number) {
  xkey('ctrl+k');
  await focused('lookup-input');
  xtype(number);
  xkey('Return');
}

before(async () => {
  browser = await openApp();
  await shown('lookup-input');
  await focused('lookup-input');
});

after(async () => {
  await browser?.deleteSession();
});

test('a CPF lookup, then the citizen’s declaration checked field by field', async () => {
  await lookUp('111.444.777-35');
  const name = await shown('result-name');
  assert.equal(await name.getText(), 'MARIA APARECIDA DA SILVA');
  await focused('lookup-input');
  xkey('alt+d');
  await focused('declaration-name');
  xtype('maria aparecida silva');
  xkey('Return');
  const result = await shown('declaration-result');
  const nameRow = await browser.$('[data-testid="declaration-row"][data-key="name"]');
  const nameText = await nameRow.getText();
  assert.match(nameText, /maria aparecida silva/, 'the declared name is in its row');
  assert.match(nameText, /MARIA APARECIDA DA SILVA/, 'beside the official name');
  assert.match(await nameRow.getAttribute('data-level'), /^(match|close)$/, 'a name without the "da" is close, not different');
  assert.match(await result.getText(), /Parecido|Confere/);
  assert.match(await (await $('declaration-rule')).getText(), /acento|maiúscula/i);
  await screenshot(browser, '04-conferir-declaracao');
});

test('the same CPF again shows what changed since the earlier lookup', async () => {
  await lookUp('11144477735');
  const changes = await shown('changes-since');
  // The simulator's second answer for this CPF has a new name and status (sim/data/cpf.json, "changes").
  const count = await shown('changes-count');
  assert.equal(await count.getText(), '2 campos mudaram');
  assert.equal(await (await $('changes-none')).isExisting(), false, 'no "Nada mudou" when something changed');
  const rows = await browser.$$('[data-testid="changes-table"] [data-testid="diff-row"][data-changed="true"]');
  const keys = [];
  for (const row of rows) keys.push(await row.getAttribute('data-key'));
  assert.deepEqual(keys.sort(), ['name', 'status'], 'the changed fields, one row each');
  const table = await $('changes-table');
  assert.match(await table.getText(), /MARIA APARECIDA DA SILVA SANTOS/, 'the new name is in the table');
  assert.match(await table.getText(), /Pendente de regulariza/i, 'the new status is in the table');
  assert.match(await changes.getText(), /^O que mudou desde /);
  await screenshot(browser, '05-o-que-mudou');
});

test('a CNPJ with partners, and "é sócio?" for a CPF among them', async () => {
  await lookUp('11.222.333/0001-81');
  await shown('result-cnpj');
  const partners = await shown('partners-table');
  assert.match(await partners.getText(), /Nome do CPF 404\.428\.201-35/);
  xkey('alt+s');
  await focused('partner-query');
  xtype('404.428.201-35');
  xkey('Return');
  const verdict = await shown('partner-verdict');
  assert.match(await verdict.getText(), /^Sim/);
  await verdict.scrollIntoView({ block: 'center' });
  await screenshot(browser, '06-cnpj-socios');
});

test('history search finds the lookups, and two entries are compared', async () => {
  xkey('alt+3');
  await shown('screen-historico');
  xkey('alt+b');
  await focused('history-search');
  xtype('maria');
  xkey('Return');
  await browser.waitUntil(async () => (await browser.$$('[data-testid="history-row"]')).length >= 2, {
    timeout: 10000,
    timeoutMsg: 'the two lookups of the same CPF are in the history',
  });
  await screenshot(browser, '07-historico');
  // Tab from the search box to the first row's checkbox, Space; Tab to the second, Space; then to "Comparar".
  await tabTo('history-select', 0);
  xkey('space');
  await tabTo('history-select', 1);
  xkey('space');
  await tabTo('history-compare', 0, 'shift+Tab');
  xkey('Return');
  const diff = await shown('compare-result');
  const changed = await browser.$$('[data-testid="compare-result"] [data-testid="diff-row"][data-changed="true"]');
  const changedKeys = [];
  for (const row of changed) changedKeys.push(await row.getAttribute('data-key'));
  assert.deepEqual(changedKeys.sort(), ['name', 'status'], 'the changed fields are highlighted, and only they');
  assert.match(await diff.getText(), /MARIA APARECIDA DA SILVA SANTOS/);
  await screenshot(browser, '08-comparar');
});

test('the receipt of the lookup on screen', async () => {
  xkey('alt+1');
  await focused('lookup-input');
  xkey('ctrl+p');
  const receipt = await shown('receipt');
  assert.match(await (await $('receipt-number')).getText(), /11\.222\.333\/0001-81/);
  assert.match(await receipt.getText(), /Demonstração/);
  await screenshot(browser, '09-recibo');
});

test('settings and the first-run explanation are one shortcut away', async () => {
  xkey('alt+5');
  const settings = await shown('screen-config');
  assert.match(await settings.getText(), /Demonstração/);
  await screenshot(browser, '10-configuracoes');
  xkey('alt+6');
  const intro = await shown('screen-inicio');
  assert.match(await intro.getText(), /Demonstração/);
  await screenshot(browser, '11-primeiros-passos');
  xkey('alt+1');
  await focused('lookup-input');
});
