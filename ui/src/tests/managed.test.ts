// Configurações under the agency's managed policy (policy.toml): what it sets is shown «Definido pela TI» and
// disabled, the agency's profiles cannot be edited or deleted, «Novo perfil» is gone when clerks may not add
// profiles, the PIN cannot be removed where it is required, and a broken policy says why with everything frozen.
import { render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { Settings } from '../lib/bindings/Settings';
import { app } from '../lib/state.svelte';
import Configuracoes from '../screens/Configuracoes.svelte';
import * as fx from './fixtures';
import { mockCommands } from './helpers';

const managedSettings: Settings = {
  ...fx.settings,
  purposeRequired: true,
  idleLockMinutes: 5,
  managed: {
    ...fx.settings.managed,
    policyFile: '/etc/balcao/policy.toml',
    purposeRequired: true,
    idleLockMinutes: true,
    pinRequired: true,
    noClerkProfiles: true,
  },
};

function setup(settings: Settings) {
  app.info = fx.appInfoDemo;
  app.settings = settings;
  const agency = { ...fx.profiles[1]!, managed: true };
  mockCommands({
    profiles_list: () => [fx.profiles[0]!, agency],
    settings_save: () => null,
    lock_status: () => ({ locked: false, pinSet: true, retryAfterSecs: null, clerkSignIn: false, clerk: null }),
  });
  render(Configuracoes);
}

describe('Configurações: managed policy', () => {
  it('shows what the policy sets as «Definido pela TI» and disables those controls only', async () => {
    setup(managedSettings);
    const purpose = (await screen.findByTestId('settings-purpose-required')) as HTMLInputElement;
    expect(purpose.disabled).toBe(true);
    expect(purpose.checked).toBe(true);
    expect(screen.getByTestId('settings-managed-purpose').textContent).toBe('Definido pela TI');
    const idle = screen.getByTestId('settings-idle') as HTMLInputElement;
    expect(idle.disabled).toBe(true);
    expect(idle.value).toBe('5');
    expect(screen.getByLabelText(/Ocultar dados após.*Definido pela TI/)).toBe(idle);
    expect((screen.getByTestId('settings-retention-days') as HTMLInputElement).disabled).toBe(false);
    expect((screen.getByTestId('settings-clerk-cpf') as HTMLInputElement).disabled).toBe(false);
    expect(screen.getByTestId('settings-managed-intro').textContent).toContain('/etc/balcao/policy.toml');
  });

  it('keeps the agency profiles read-only and hides «Novo perfil» when clerks may not add profiles', async () => {
    setup(managedSettings);
    const rows = await screen.findAllByTestId('profile-row');
    expect(rows).toHaveLength(2);
    const agency = rows[1]!;
    expect(agency.querySelector('[data-testid="profile-managed"]')?.textContent).toBe('Definido pela TI');
    expect(agency.querySelector('[data-testid="profile-edit"]')).toBeNull();
    expect(agency.querySelector('[data-testid="profile-delete"]')).toBeNull();
    expect(agency.querySelector('[data-testid="profile-activate"]')).not.toBeNull();
    expect(screen.queryByTestId('profile-new')).toBeNull();
    expect(screen.getByTestId('profiles-no-clerk-profiles')).toBeTruthy();
  });

  it('offers «Novo perfil» and editing without a policy', async () => {
    setup(fx.settings);
    const rows = await screen.findAllByTestId('profile-row');
    await waitFor(() => expect(screen.getByTestId('profile-new')).toBeTruthy());
    expect(screen.queryByTestId('settings-managed-intro')).toBeNull();
    expect((screen.getByTestId('settings-purpose-required') as HTMLInputElement).disabled).toBe(false);
    expect(rows).toHaveLength(2);
  });

  it('does not offer removing a PIN the policy requires', async () => {
    setup(managedSettings);
    expect(await screen.findByTestId('lock-managed')).toBeTruthy();
    expect(screen.queryByTestId('lock-remove')).toBeNull();
  });

  it('shows why a broken policy freezes Configurações', async () => {
    const reason = 'O arquivo de política da TI /etc/balcao/policy.toml tem um erro na linha 2: erro de sintaxe TOML.';
    setup({ ...fx.settings, managed: { ...fx.settings.managed, broken: reason, policyFile: '/etc/balcao/policy.toml' } });
    const alert = await screen.findByTestId('settings-policy-broken');
    expect(alert.textContent).toContain('linha 2');
    expect((screen.getByTestId('settings-save') as HTMLButtonElement).disabled).toBe(true);
  });
});
