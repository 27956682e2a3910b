// Finding people (issue 16) in the real window: Histórico's search finds a name by any word or word prefix, whatever
// the accents and the case ("silva" finds "MARIA APARECIDA DA SILVA", "conceicao" and "CONC" find "ANA MARIA DA
// CONCEIÇÃO"), also combined with the other filters: the encrypted store's full-text index, through the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openApp, screenshot, xkey, xtype, pageHelpers } from './harness.mjs';

let browser;
const { shown, focused } = pageHelpers(() => browser);

async function lookUp(number, name) {
  xkey('ctrl+k');
  await focused('lookup-input');
  xtype(number);
  xkey('Return');
  await browser.waitUntil(async () => (await (await shown('result-name')).getText()).startsWith(name), {
    timeout: 15000,
    timeoutMsg: `${number} never showed ${name}`,
  });
}

/** Histórico's search by keys (Alt+B, the text, Enter): the names in the rows it shows. */
async function search(text) {
  xkey('alt+3');
  await shown('screen-historico');
  xkey('alt+b');
  await focused('history-search');
  xkey('ctrl+a', 'BackSpace');
  xtype(text);
  xkey('Return');
  await browser.waitUntil(
    async () =>
      browser.execute(() => !document.querySelector('[data-testid="history-loading"]')),
    { timeout: 10000 },
  );
  await browser.pause(300);
  return browser.execute(() =>
    [...document.querySelectorAll('[data-testid="history-row"]')].map((r) => r.querySelectorAll('td')[3]?.textContent?.trim() ?? ''),
  );
}

before(async () => {
  browser = await openApp();
  await shown('lookup-input');
  await lookUp('111.444.777-35', 'MARIA APARECIDA DA SILVA');
  await lookUp('246.813.579-28', 'ANA MARIA DA CONCEIÇÃO');
  await lookUp('000.000.001-91', 'CARLOS EDUARDO MENDES');
});

after(async () => {
  await browser?.deleteSession();
});

test('"silva" finds MARIA APARECIDA DA SILVA by a word that is not the first', async () => {
  const names = await search('silva');
  assert.ok(names.length >= 1, 'something was found');
  assert.ok(names.some((n) => /^MARIA APARECIDA DA SILVA/.test(n)), `MARIA APARECIDA DA SILVA is among ${JSON.stringify(names)}`);
  assert.ok(names.every((n) => /\bSILVA\b/i.test(n)), `only names with the word SILVA: ${JSON.stringify(names)}`);
  await screenshot(browser, 'busca-nome-silva');
});

test('"conceicao" (no accent, lower case) and the prefix "CONC" find ANA MARIA DA CONCEIÇÃO', async () => {
  for (const text of ['conceicao', 'CONC', 'Conceição']) {
    const names = await search(text);
    assert.deepEqual([...new Set(names)], ['ANA MARIA DA CONCEIÇÃO'], `"${text}" finds her and only her`);
  }
  await screenshot(browser, 'busca-nome-conceicao');
});

test('two words find names with both, and a word combines with the outcome filter', async () => {
  const both = await search('maria conc');
  assert.deepEqual([...new Set(both)], ['ANA MARIA DA CONCEIÇÃO']);
  const marias = await search('maria');
  assert.ok(marias.some((n) => n.startsWith('ANA MARIA')) && marias.some((n) => n.startsWith('MARIA APARECIDA')), JSON.stringify(marias));
  assert.ok(!marias.some((n) => n.startsWith('CARLOS')), 'CARLOS EDUARDO MENDES has no MARIA');
  // The same word with «Não encontrado» as outcome: none of these lookups.
  await (await shown('history-outcome')).selectByAttribute('value', 'notFound');
  const none = await search('conceicao');
  assert.deepEqual(none, [], 'the outcome filter applies together with the name');
  await (await shown('history-outcome')).selectByAttribute('value', '');
});
