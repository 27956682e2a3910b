// The agency's managed policy (issue 17), in the real window: with a policy.toml in the policy folder (the sandbox's
// BALCAO_POLICY_DIR, never the machine's /etc/balcao), Configurações shows the purpose rule and the idle lock as
// «Definido pela TI», disabled, with the policy's values; the agency's profile has no edit or delete and «Novo
// perfil» is gone; the rule is in force (a lookup without a purpose is refused) and a change sent from the page is
// refused in Rust. With a broken policy.toml the app starts in its safe mode naming the file and line, with only the
// Demonstração. The policy file is removed at the end so later tests start as before.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApp, screenshot, xkey, pageHelpers } from './harness.mjs';

const policyDir = process.env.BALCAO_E2E_POLICY_DIR;
if (!policyDir) throw new Error('BALCAO_E2E_POLICY_DIR is not set: run the e2e tests through `cargo xtask e2e`');
const policyFile = join(policyDir, 'policy.toml');

const POLICY = `# Política de teste (e2e)
purpose_required = true
idle_lock_minutes = 7
clerks_may_add_profiles = false

[[profile]]
id = "agencia"
name = "SERPRO da agência"
provider = "serpro"
environment = "producao"
base_url = "https://gateway.agencia.example"
cnpj_views = ["basica"]
`;

let browser;
const { $, shown, invokeFromPage } = pageHelpers(() => browser);

function writePolicy(text) {
  mkdirSync(policyDir, { recursive: true });
  writeFileSync(policyFile, text, 'utf8');
}

async function close() {
  await browser?.deleteSession();
  browser = undefined;
}

after(async () => {
  await close();
  rmSync(policyFile, { force: true });
});

test('a managed field is shown «Definido pela TI», disabled, with the policy value in force', async () => {
  assert.ok(!policyDir.startsWith('/etc'), `the policy folder is the sandbox's: ${policyDir}`);
  writePolicy(POLICY);
  browser = await openApp();
  await shown('lookup-input', 20000);
  xkey('alt+5');
  const purpose = await shown('settings-purpose-required');
  assert.equal(await purpose.isEnabled(), false, 'the purpose rule cannot be changed here');
  assert.equal(await purpose.isSelected(), true, 'the policy requires a purpose');
  assert.equal(await (await shown('settings-managed-purpose')).getText(), 'Definido pela TI');
  const idle = await shown('settings-idle');
  assert.equal(await idle.isEnabled(), false);
  assert.equal(await idle.getValue(), '7');
  const agency = await browser.$('[data-testid="profile-row"][data-id="agencia"]');
  await agency.waitForDisplayed({ timeout: 10000 });
  assert.equal(await (await agency.$('[data-testid="profile-managed"]')).getText(), 'Definido pela TI');
  assert.equal(await (await agency.$('[data-testid="profile-edit"]')).isExisting(), false);
  assert.equal(await (await agency.$('[data-testid="profile-delete"]')).isExisting(), false);
  assert.equal(await (await $('profile-new')).isExisting(), false, 'no «Novo perfil» when clerks may not add them');
  await screenshot(browser, 'policy-managed-settings');

  // In force, not only shown: a lookup without a purpose is refused, and a change sent from the page is refused.
  const looked = await invokeFromPage('lookup', {
    request: { input: '40442820135', view: null, purpose: null, authorizationCode: null, doNotRecord: false },
  });
  assert.equal(looked.err?.code, 'PurposeRequired', JSON.stringify(looked));
  const current = await invokeFromPage('settings_get', {});
  assert.ok(current.ok, JSON.stringify(current));
  const saved = await invokeFromPage('settings_save', { settings: { ...current.ok, purposeRequired: false } });
  assert.equal(saved.err?.code, 'Config', JSON.stringify(saved));
  assert.match(saved.err.message, /definido pela TI/);
  const deleted = await invokeFromPage('profile_delete', { id: 'agencia' });
  assert.match(deleted.err?.message ?? '', /definido pela TI/, JSON.stringify(deleted));
  await close();
});

test('a broken policy starts in the safe mode naming the file and line, with only the Demonstração', async () => {
  writePolicy('purpose_required = true\nidle_lock_minutes = \n');
  browser = await openApp();
  await shown('safe-mode', 20000);
  const issue = await browser.$('[data-testid="safe-mode-issue"][data-area="policy"]');
  await issue.waitForDisplayed({ timeout: 10000 });
  const text = await issue.getText();
  assert.match(text, /policy\.toml/);
  assert.match(text, /linha 2/);
  assert.match(text, /só a Demonstração/);
  await screenshot(browser, 'policy-broken-safe-mode');
  const list = await invokeFromPage('profiles_list', {});
  assert.deepEqual(
    list.ok?.map((e) => e.profile.id),
    ['demonstracao'],
    `no profile but the Demonstração: ${JSON.stringify(list)}`,
  );
  const info = await invokeFromPage('app_info', {});
  assert.equal(info.ok?.profile.id, 'demonstracao');
  await close();
});
