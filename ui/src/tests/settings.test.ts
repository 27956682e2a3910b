// Configurações: profiles list, activation, connection test, profile editor, write-only credentials, settings form.
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { app } from '../lib/state.svelte';
import Configuracoes from '../screens/Configuracoes.svelte';
import * as fx from './fixtures';
import { callsOf, fail, mockCommands } from './helpers';

const base = { profiles_list: () => fx.profiles, settings_save: () => null };

function setup(extra: Parameters<typeof mockCommands>[0] = {}) {
  app.info = fx.appInfoDemo;
  app.settings = fx.settings;
  const calls = mockCommands({ ...base, ...extra });
  render(Configuracoes);
  return calls;
}

describe('Configurações: profiles', () => {
  it('lists profiles, marks the active one, and keeps Demonstração read-only', async () => {
    setup();
    const rows = await screen.findAllByTestId('profile-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]!.textContent).toContain('ativo');
    expect(rows[0]!.querySelector('[data-testid="profile-edit"]')).toBeNull();
    expect(rows[0]!.querySelector('[data-testid="profile-delete"]')).toBeNull();
    expect(rows[1]!.querySelector('[data-testid="profile-edit"]')).not.toBeNull();
  });

  it('activates a profile and updates the window', async () => {
    const calls = setup({ profile_activate: () => fx.appInfoProd, status_info: () => fx.statusProd });
    const rows = await screen.findAllByTestId('profile-row');
    await fireEvent.click(rows[1]!.querySelector('[data-testid="profile-activate"]')!);
    await waitFor(() => expect(app.info?.profile.id).toBe('serpro-prod'));
    expect(callsOf(calls, 'profile_activate')[0]!.args).toEqual({ id: 'serpro-prod' });
  });

  it('tests a connection and shows the pt-BR result or error', async () => {
    setup({
      profile_test: (a: { id: string }) => {
        if (a.id === 'serpro-prod') throw { code: 'Unauthorized', message: fx.messages.Unauthorized };
        return 'Conexão bem-sucedida: token obtido e API respondeu.';
      },
    });
    const tests = await screen.findAllByTestId('profile-test');
    await fireEvent.click(tests[0]!);
    await fireEvent.click(tests[1]!);
    await waitFor(() => expect(screen.getAllByTestId('profile-test-result')).toHaveLength(2));
    const results = screen.getAllByTestId('profile-test-result');
    expect(results[0]!.dataset.ok).toBe('true');
    expect(results[0]!.textContent).toContain('Conexão bem-sucedida');
    expect(results[1]!.dataset.ok).toBe('false');
    expect(results[1]!.textContent).toContain(fx.messages.Unauthorized);
  });

  it('creates a profile with an id from its name and shows Rust validation errors', async () => {
    let n = 0;
    const calls = setup({
      profile_save: () => {
        n += 1;
        if (n === 1) throw { code: 'Config', message: 'Perfil «sefaz-homolog»: o Conecta exige o CPF do atendente.' };
        return null;
      },
    });
    await fireEvent.click(await screen.findByTestId('profile-new'));
    await fireEvent.click(screen.getByTestId('profile-save'));
    expect(screen.getByTestId('profile-edit-message').textContent).toBe('Dê um nome ao perfil.');
    await fireEvent.input(screen.getByTestId('profile-name'), { target: { value: 'Sefaz Homolog' } });
    expect((screen.getByTestId('profile-id') as HTMLInputElement).value).toBe('sefaz-homolog');
    await fireEvent.change(screen.getByTestId('profile-provider'), { target: { value: 'conecta' } });
    await fireEvent.change(screen.getByTestId('profile-environment'), { target: { value: 'homologacao' } });
    await fireEvent.input(screen.getByTestId('profile-base-url'), { target: { value: 'https://h.example' } });
    await fireEvent.input(screen.getByTestId('profile-quota-limit'), { target: { value: '1000' } });
    await fireEvent.click(screen.getByTestId('profile-view-qsa'));
    await fireEvent.click(screen.getByTestId('profile-save'));
    await waitFor(() => expect(screen.getByTestId('profile-edit-message').textContent).toContain('exige o CPF'));
    await fireEvent.click(screen.getByTestId('profile-save'));
    await waitFor(() => expect(screen.getByTestId('profile-edit-message').textContent).toBe('Perfil salvo.'));
    const saved = callsOf(calls, 'profile_save')[1]!.args.profile as Record<string, unknown>;
    expect(saved).toMatchObject({
      id: 'sefaz-homolog',
      name: 'Sefaz Homolog',
      provider: 'conecta',
      environment: 'homologacao',
      baseUrl: 'https://h.example',
      cpfApi: 'conectaLight',
      cnpjViews: ['qsa', 'empresa'],
      quotaLimit: 1000,
      quotaWarnPercent: null,
    });
    expect((saved.network as { maxRetries: number }).maxRetries).toBe(2);
  });

  it('rejects a non-numeric quota before calling', async () => {
    const calls = setup({ profile_save: () => null });
    const rows = await screen.findAllByTestId('profile-row');
    await fireEvent.click(rows[1]!.querySelector('[data-testid="profile-edit"]')!);
    await fireEvent.input(screen.getByTestId('profile-quota-limit'), { target: { value: 'mil' } });
    await fireEvent.click(screen.getByTestId('profile-save'));
    expect(screen.getByTestId('profile-edit-message').textContent).toMatch(/número inteiro/);
    expect(callsOf(calls, 'profile_save')).toHaveLength(0);
  });

  it('writes credentials without ever showing them back', async () => {
    const calls = setup({ profile_set_credentials: () => null });
    const rows = await screen.findAllByTestId('profile-row');
    await fireEvent.click(rows[1]!.querySelector('[data-testid="profile-edit"]')!);
    expect(screen.getByTestId('credentials-state').textContent).toMatch(/Credenciais: não definidas/);
    const id = screen.getByTestId('profile-client-id') as HTMLInputElement;
    const secret = screen.getByTestId('profile-client-secret') as HTMLInputElement;
    expect(id.type).toBe('password');
    expect(secret.type).toBe('password');
    await fireEvent.input(id, { target: { value: 'minha-chave' } });
    await fireEvent.input(secret, { target: { value: 's3gr3d0' } });
    await fireEvent.click(screen.getByTestId('profile-credentials-save'));
    await waitFor(() => expect(screen.getByTestId('credentials-state').textContent).toBe('Credenciais: definidas'));
    expect(callsOf(calls, 'profile_set_credentials')[0]!.args).toEqual({
      id: 'serpro-prod',
      api: null,
      clientId: 'minha-chave',
      clientSecret: 's3gr3d0',
    });
    expect(id.value).toBe('');
    expect(secret.value).toBe('');
    expect(document.body.textContent).not.toContain('s3gr3d0');
  });

  it('lists which profiles have their credentials stored, without any value', async () => {
    setup({
      profiles_list: () => [
        fx.profiles[0],
        { ...fx.profiles[1], credentials: 'unavailable' },
        { profile: { ...fx.profileList[1], id: 'conecta-h', name: 'Conecta H' }, credentials: 'defined' },
      ],
    });
    const rows = await screen.findAllByTestId('profile-row');
    expect(rows[0]!.querySelector('[data-testid="profile-credentials"]')).toBeNull(); // Demonstração needs none
    const pill = rows[1]!.querySelector('[data-testid="profile-credentials"]') as HTMLElement;
    expect([pill.dataset.state, pill.textContent?.trim()]).toEqual(['unavailable', 'cofre indisponível']);
    expect(rows[2]!.querySelector('[data-testid="profile-credentials"]')).toBeNull();
    await fireEvent.click(rows[2]!.querySelector('[data-testid="profile-edit"]')!);
    expect(screen.getByTestId('credentials-state').textContent).toBe('Credenciais: definidas');
  });

  it('says when the stored credentials belong to another gateway address', async () => {
    setup({ profiles_list: () => [fx.profiles[0], { ...fx.profiles[1], credentials: 'boundElsewhere' }] });
    const rows = await screen.findAllByTestId('profile-row');
    const pill = rows[1]!.querySelector('[data-testid="profile-credentials"]') as HTMLElement;
    expect([pill.dataset.state, pill.textContent?.trim()]).toEqual(['boundElsewhere', 'credenciais de outro endereço']);
    await fireEvent.click(rows[1]!.querySelector('[data-testid="profile-edit"]')!);
    expect(screen.getByTestId('credentials-state').textContent).toMatch(/Credenciais: gravadas para outro endereço/);
  });

  it('reports a keyring failure when writing credentials', async () => {
    setup({ profile_set_credentials: fail('KeychainUnavailable') });
    const rows = await screen.findAllByTestId('profile-row');
    await fireEvent.click(rows[1]!.querySelector('[data-testid="profile-edit"]')!);
    await fireEvent.input(screen.getByTestId('profile-client-id'), { target: { value: 'a' } });
    await fireEvent.input(screen.getByTestId('profile-client-secret'), { target: { value: 'b' } });
    await fireEvent.click(screen.getByTestId('profile-credentials-save'));
    expect((await screen.findByTestId('credentials-message')).textContent).toBe(fx.messages.KeychainUnavailable);
  });

  it('deletes a profile only after confirmation', async () => {
    const calls = setup({ profile_delete: () => null });
    const rows = await screen.findAllByTestId('profile-row');
    await fireEvent.click(rows[1]!.querySelector('[data-testid="profile-delete"]')!);
    await fireEvent.click(screen.getByTestId('profile-delete-yes'));
    await waitFor(() => expect(callsOf(calls, 'profile_delete')).toHaveLength(1));
    expect(callsOf(calls, 'profile_delete')[0]!.args).toEqual({ id: 'serpro-prod' });
  });

  it('shows a list error', async () => {
    setup({ profiles_list: fail('Config') });
    expect((await screen.findByTestId('profiles-error')).textContent).toBe(fx.messages.Config);
  });
});

describe('Configurações: atendimento', () => {
  it('saves clerk CPF, purpose policy, retention and idle lock', async () => {
    const calls = setup({ app_info: () => ({ ...fx.appInfoDemo, purposeRequired: true }) });
    await fireEvent.input(await screen.findByTestId('settings-clerk-cpf'), { target: { value: '404.428.201-35' } });
    await fireEvent.input(screen.getByTestId('settings-retention-days'), { target: { value: '30' } });
    await fireEvent.input(screen.getByTestId('settings-retention-max'), { target: { value: '' } });
    await fireEvent.input(screen.getByTestId('settings-idle'), { target: { value: '5' } });
    await fireEvent.click(screen.getByTestId('settings-purpose-required'));
    await fireEvent.click(screen.getByTestId('settings-save'));
    await waitFor(() => expect(screen.getByTestId('settings-message').textContent).toBe('Salvo.'));
    expect(callsOf(calls, 'settings_save')[0]!.args.settings).toEqual({
      ...fx.settings,
      clerkCpf: '404.428.201-35',
      purposeRequired: true,
      retention: { maxAgeDays: 30, maxEntries: null },
      idleLockMinutes: 5,
    });
    await waitFor(() => expect(app.info?.purposeRequired).toBe(true));
  });

  it('refuses an invalid clerk CPF with the pt-BR reason', async () => {
    const calls = setup();
    await fireEvent.input(await screen.findByTestId('settings-clerk-cpf'), { target: { value: '111.444.777-36' } });
    await fireEvent.click(screen.getByTestId('settings-save'));
    expect(screen.getByTestId('settings-message').textContent).toMatch(/dígito verificador/);
    expect(callsOf(calls, 'settings_save')).toHaveLength(0);
  });

  it('refuses a non-numeric retention', async () => {
    const calls = setup();
    await fireEvent.input(await screen.findByTestId('settings-retention-days'), { target: { value: '3,5' } });
    await fireEvent.click(screen.getByTestId('settings-save'));
    expect(screen.getByTestId('settings-message').textContent).toMatch(/número inteiro/);
    expect(callsOf(calls, 'settings_save')).toHaveLength(0);
  });
});

describe('Configurações: PIN, updates, diagnostics', () => {
  it('sets the PIN after checking it, then changing it asks for the current one', async () => {
    let pinSet = false;
    const calls = setup({
      lock_status: () => ({ locked: false, pinSet, retryAfterSecs: null }),
      lock_set_pin: (a: { pin: string | null }) => ((pinSet = a.pin !== null), { locked: false, pinSet, retryAfterSecs: null }),
    });
    await screen.findByTestId('lock-settings');
    await fireEvent.input(screen.getByTestId('lock-new'), { target: { value: '12' } });
    await fireEvent.click(screen.getByTestId('lock-save'));
    expect(screen.getByTestId('lock-message').textContent).toContain('4 a 12 dígitos');
    await fireEvent.input(screen.getByTestId('lock-new'), { target: { value: '2468' } });
    await fireEvent.input(screen.getByTestId('lock-again'), { target: { value: '2469' } });
    await fireEvent.click(screen.getByTestId('lock-save'));
    expect(screen.getByTestId('lock-message').textContent).toContain('não são iguais');
    await fireEvent.input(screen.getByTestId('lock-again'), { target: { value: '2468' } });
    await fireEvent.click(screen.getByTestId('lock-save'));
    await waitFor(() => expect(screen.getByTestId('lock-message').textContent).toBe('PIN gravado.'));
    expect(callsOf(calls, 'lock_set_pin')[0]!.args).toEqual({ pin: '2468', current: null });
    expect(screen.getByTestId('lock-pin-state').dataset.pinSet).toBe('true');
    await fireEvent.click(screen.getByTestId('lock-remove'));
    expect(screen.getByTestId('lock-message').textContent).toBe('Digite o PIN atual.');
    await fireEvent.input(screen.getByTestId('lock-current'), { target: { value: '2468' } });
    await fireEvent.click(screen.getByTestId('lock-remove'));
    await waitFor(() => expect(screen.getByTestId('lock-message').textContent).toBe('PIN removido.'));
    expect(callsOf(calls, 'lock_set_pin')[1]!.args).toEqual({ pin: null, current: '2468' });
  });

  it('checks for updates on demand and installs only when the clerk clicks', async () => {
    const calls = setup({
      update_check: () => fx.updateAvailable,
      update_install: fail('Busy', 'Há uma consulta ou um lote em andamento. Instale a atualização quando terminar.'),
    });
    await fireEvent.click(await screen.findByTestId('update-check'));
    const install = await screen.findByTestId('update-install');
    expect(screen.getByTestId('update-message').textContent).toContain('0.2.0 está disponível');
    expect(callsOf(calls, 'update_install')).toHaveLength(0);
    await fireEvent.click(install);
    expect((await screen.findByTestId('update-error')).textContent).toContain('lote em andamento');
    expect(callsOf(calls, 'update_install')).toHaveLength(1);
  });

  it('copies the diagnostics to the clipboard and shows them read-only', async () => {
    const writes: string[] = [];
    Object.defineProperty(navigator, 'clipboard', {
      value: { writeText: async (s: string) => void writes.push(s) },
      configurable: true,
    });
    setup({ diagnostics: () => 'Balcão 0.1.0\nSistema: Debian' });
    await fireEvent.click(await screen.findByTestId('diagnostics-copy'));
    const area = (await screen.findByTestId('diagnostics-text')) as HTMLTextAreaElement;
    expect(area.readOnly).toBe(true);
    expect(area.value).toContain('Balcão 0.1.0');
    expect(writes).toEqual(['Balcão 0.1.0\nSistema: Debian']);
    expect((await screen.findByTestId('diagnostics-message')).textContent).toContain('copiado');
  });
});
