// The window at start: locked before anything else when a PIN is set (settings wait for the PIN), and the safe mode of
// a degraded start (what is missing, how to fix it, «Tentar de novo» that really tries again).
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../App.svelte';
import { app } from '../lib/state.svelte';
import type { HealthIssue } from '../lib/bindings/HealthIssue';
import * as fx from './fixtures';
import { callsOf, mockCommands } from './helpers';

const noCredentials: HealthIssue = {
  area: 'activeProfile',
  code: 'Config',
  message: 'O perfil ativo «SERPRO Produção» não pode consultar: falta o segredo. Grave a chave e o segredo em Configurações.',
};
const pinUnreadable: HealthIssue = {
  area: 'lock',
  code: 'KeychainUnavailable',
  message: 'Não foi possível ler o PIN de bloqueio no cofre de senhas do sistema, então a tela fica bloqueada.',
};

describe('start-up lock', () => {
  it('with a PIN set it starts on the lock screen and asks for settings only after the PIN', async () => {
    let locked = true;
    const calls = mockCommands({
      lock_status: () => ({ locked, pinSet: true, retryAfterSecs: null }),
      lock_unlock: () => ((locked = false), { locked, pinSet: true, retryAfterSecs: null }),
    });
    render(App);
    const pin = (await screen.findByTestId('idle-pin')) as HTMLInputElement;
    expect(callsOf(calls, 'settings_get')).toHaveLength(0);
    expect(screen.queryByTestId('startup-error')).toBeNull();
    await fireEvent.input(pin, { target: { value: '2468' } });
    await fireEvent.click(screen.getByTestId('idle-unlock'));
    await waitFor(() => expect(screen.queryByTestId('idle-lock')).toBeNull());
    await waitFor(() => expect(callsOf(calls, 'settings_get')).toHaveLength(1));
    expect(app.settings).toEqual(fx.settings);
    expect(screen.queryByTestId('startup-error')).toBeNull();
  });

  it('an unreadable PIN keeps the lock screen with the reason, and «Tentar de novo» asks again', async () => {
    let health = [pinUnreadable];
    const calls = mockCommands({
      lock_status: () => ({ locked: true, pinSet: health.length === 0 ? false : true, retryAfterSecs: null }),
      app_health: () => health,
      app_retry: () => ((health = []), health),
    });
    render(App);
    expect((await screen.findByTestId('idle-health')).textContent).toContain('cofre de senhas');
    await fireEvent.click(screen.getByTestId('idle-retry'));
    await waitFor(() => expect(callsOf(calls, 'app_retry')).toHaveLength(1));
    await waitFor(() => expect(screen.queryByTestId('idle-health')).toBeNull());
    await waitFor(() => expect(app.lock?.pinSet).toBe(false));
    expect(screen.getByTestId('idle-lock')).toBeTruthy();
  });
});

describe('dropped files', () => {
  it('listens for drops only once the lock is known to be open (the shell refuses the subscription before)', async () => {
    let answer: (s: { locked: boolean; pinSet: boolean; retryAfterSecs: null }) => void = () => {};
    const calls = mockCommands({
      lock_status: () => new Promise((resolve) => (answer = resolve)),
    });
    render(App);
    await new Promise((r) => setTimeout(r, 50));
    expect(callsOf(calls, 'window_drops')).toHaveLength(0);
    answer({ locked: false, pinSet: false, retryAfterSecs: null });
    await waitFor(() => expect(callsOf(calls, 'window_drops')).toHaveLength(1));
  });
});

describe('safe mode', () => {
  it('says what is missing and how to fix it; «Tentar de novo» retries and clears it', async () => {
    let health = [noCredentials];
    const calls = mockCommands({
      app_info: () => fx.appInfoProd,
      app_health: () => health,
      app_retry: () => health,
    });
    render(App);
    const panel = await screen.findByTestId('safe-mode');
    expect(panel.textContent).toContain('modo de segurança');
    expect(screen.getByTestId('safe-mode-issue').textContent).toContain('Configurações');
    // The window still works: the lookup input is there.
    expect(screen.getByTestId('lookup-input')).toBeTruthy();
    // Still missing: the panel stays.
    await fireEvent.click(screen.getByTestId('safe-mode-retry'));
    await waitFor(() => expect(callsOf(calls, 'app_retry')).toHaveLength(1));
    await waitFor(() => expect((screen.getByTestId('safe-mode-retry') as HTMLButtonElement).disabled).toBe(false));
    expect(screen.getByTestId('safe-mode')).toBeTruthy();
    // Fixed (credentials stored): the retry clears it and the app info is read again.
    health = [];
    const infoCalls = callsOf(calls, 'app_info').length;
    await fireEvent.click(screen.getByTestId('safe-mode-retry'));
    await waitFor(() => expect(screen.queryByTestId('safe-mode')).toBeNull());
    expect(callsOf(calls, 'app_info').length).toBeGreaterThan(infoCalls);
  });

  it('opens Configurações from the safe mode', async () => {
    mockCommands({ app_health: () => [noCredentials], profiles_list: () => fx.profiles });
    render(App);
    await fireEvent.click(await screen.findByTestId('safe-mode-settings'));
    expect(app.screen).toBe('config');
  });

  it('under a broken policy of the agency it says only Demonstração works and nothing can be changed', async () => {
    const policyBroken: HealthIssue = {
      area: 'policy',
      code: 'Config',
      message: 'O arquivo de política da TI /etc/balcao/policy.toml tem um erro na linha 3. Só a Demonstração funciona.',
    };
    mockCommands({ app_health: () => [policyBroken] });
    render(App);
    const intro = await screen.findByTestId('safe-mode-intro');
    expect(intro.textContent).toContain('Só a Demonstração funciona');
    expect(intro.textContent).not.toContain('funcionam normalmente');
  });

  it('shows no safe mode when all works', async () => {
    const calls = mockCommands();
    render(App);
    await screen.findByTestId('lookup-input');
    await waitFor(() => expect(callsOf(calls, 'app_health')).toHaveLength(1));
    expect(screen.queryByTestId('safe-mode')).toBeNull();
  });
});
