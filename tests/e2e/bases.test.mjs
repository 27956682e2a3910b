// «Outras bases» (issue 19) in the real window (Demonstração, which ships three declared bases): after a CPF lookup
// the section is one keypress away (Alt+O), a base is asked from the keyboard, its fields appear with their pt-BR
// labels, the call reached the simulator at the declared path, and the receipt lists the answer kept with the lookup.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openApp, screenshot, xtype, xkey, simRequests, pageHelpers } from './harness.mjs';

let browser;
const { shown, focused } = pageHelpers(() => browser);

async function tabTo(id) {
  for (let i = 0; i < 20; i += 1) {
    const here = await browser.execute((tid) => document.activeElement?.getAttribute('data-testid') === tid, id);
    if (here) return;
    xkey('Tab');
  }
  throw new Error(`Tab never reached ${id}`);
}

before(async () => {
  browser = await openApp();
  await shown('lookup-input', 20000);
  await focused('lookup-input');
});

after(async () => {
  await browser?.deleteSession();
});

test('Alt+O after a CPF lookup asks a declared base and shows its labelled fields, then the receipt lists it', async () => {
  xkey('ctrl+k');
  await focused('lookup-input');
  xtype('404.428.201-35');
  xkey('Return');
  await shown('result-name');
  await shown('base-cadunico');
  xkey('alt+o');
  await focused('base-ask-renda');
  await tabTo('base-ask-cadunico');
  xkey('Return');
  const fields = await shown('base-fields-cadunico');
  const text = await fields.getText();
  assert.match(text, /Cadastrado no CadÚnico/);
  assert.match(text, /Cadastrado \(2\)/, 'a code shown with its label');
  assert.match(text, /R\$ 450,00/, 'centavos shown as reais');
  assert.match(text, /15\/10\/2025/, 'the API date in dd/mm/aaaa');
  const calls = await simRequests();
  assert.ok(
    calls.some((r) => r.path === '/dataprev-cadunico/v1/situacaoCadastral/40442820135' && r.status === 200),
    'the declared path reached the simulator',
  );
  await screenshot(browser, 'bases-01-cadunico');

  xkey('ctrl+p');
  const receipt = await shown('receipt-bases');
  assert.match(await receipt.getText(), /CadÚnico/);
  await screenshot(browser, 'bases-02-recibo');
});
