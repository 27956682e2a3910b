// The spine and the window shell: demo banner, focused input, lookup with loading/result/errors, local validation,
// keyboard shortcuts, status bar, help overlay, idle lock.
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import App from '../App.svelte';
import { app } from '../lib/state.svelte';
import type { ErrorCode } from '../lib/bindings/ErrorCode';
import type { LookupResponse } from '../lib/bindings/LookupResponse';
import * as fx from './fixtures';
import { callsOf, deferred, fail, mockCommands } from './helpers';

const ALL_CODES = Object.keys(fx.messages) as ErrorCode[];

async function start(handlers: Parameters<typeof mockCommands>[0] = {}) {
  const calls = mockCommands(handlers);
  render(App);
  const input = (await screen.findByTestId('lookup-input')) as HTMLInputElement;
  return { calls, input };
}

function type(input: HTMLInputElement, value: string) {
  input.value = value;
  input.setSelectionRange(value.length, value.length);
  fireEvent.input(input);
}

async function enter(input: HTMLInputElement) {
  await fireEvent.submit(input.form!);
}

describe('spine', () => {
  it('shows the demo banner and focuses the lookup input on start, and reports ui_ready once', async () => {
    const { calls, input } = await start();
    const banner = await screen.findByTestId('demo-banner');
    expect(banner.textContent).toContain('Demonstração');
    expect(banner.textContent).toContain('nada sai deste computador');
    expect(document.activeElement).toBe(input);
    await waitFor(() => expect(callsOf(calls, 'ui_ready')).toHaveLength(1));
    expect(typeof callsOf(calls, 'ui_ready')[0]!.args.millis).toBe('number');
  });

  it('shows no demo banner for a real profile', async () => {
    await start({ app_info: () => fx.appInfoProd, status_info: () => fx.statusProd });
    await screen.findByTestId('status-profile');
    await waitFor(() => expect(screen.getByTestId('status-profile').textContent).toBe('SERPRO Produção'));
    expect(screen.queryByTestId('demo-banner')).toBeNull();
  });

  it('looks up a CPF on Enter: loading, then name and status, focus back in the input', async () => {
    const d = deferred<LookupResponse>();
    const { calls, input } = await start({ lookup: () => d.promise });
    type(input, '404.428.201-35');
    await enter(input);
    expect(await screen.findByTestId('lookup-loading')).toBeTruthy();
    const req = callsOf(calls, 'lookup')[0]!.args.request;
    expect(req).toEqual({ input: '404.428.201-35', view: null, purpose: null, authorizationCode: null, doNotRecord: false });
    d.resolve(fx.response(fx.cpfRegular));
    expect((await screen.findByTestId('result-name')).textContent).toBe('Nome do CPF 404.428.201-35');
    expect(screen.getByTestId('result-status').textContent).toBe('Regular');
    expect(screen.queryByTestId('lookup-loading')).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(input));
  });

  it('masks the input as typed', async () => {
    const { input } = await start();
    type(input, '40442820135');
    expect(input.value).toBe('404.428.201-35');
    expect(screen.getByTestId('lookup-detected').dataset.kind).toBe('cpf');
    type(input, '12abc34501de35');
    expect(input.value).toBe('12.ABC.345/01DE-35');
    expect(screen.getByTestId('lookup-detected').dataset.kind).toBe('cnpj');
  });

  it('rejects a wrong check digit in pt-BR without any call', async () => {
    const { calls, input } = await start();
    type(input, '404.428.201-36');
    const shownWhileTyping = await screen.findByTestId('input-error');
    expect(shownWhileTyping.textContent).toMatch(/dígito verificador/);
    await enter(input);
    expect(screen.getByTestId('input-error').textContent).toMatch(/dígito verificador/);
    expect(callsOf(calls, 'lookup')).toHaveLength(0);
  });

  it('takes the previous result away when Enter is pressed on an invalid number', async () => {
    const { calls, input } = await start({ lookup: () => fx.response(fx.cpfRegular) });
    type(input, '404.428.201-35');
    await enter(input);
    await screen.findByTestId('result-name');
    type(input, '404.428.201-36');
    await enter(input);
    expect(screen.getByTestId('input-error')).toBeTruthy();
    expect(screen.queryByTestId('result-name')).toBeNull();
    expect(callsOf(calls, 'lookup')).toHaveLength(1);
  });

  it('does not nag while a number is still being typed, but explains on Enter', async () => {
    const { calls, input } = await start();
    type(input, '404.42');
    expect(screen.queryByTestId('input-error')).toBeNull();
    await enter(input);
    expect(screen.getByTestId('input-error').textContent).toMatch(/11 dígitos/);
    expect(callsOf(calls, 'lookup')).toHaveLength(0);
  });

  it.each(ALL_CODES)('shows the %s error message from lookup', async (code) => {
    const { input } = await start({ lookup: fail(code) });
    type(input, '404.428.201-35');
    await enter(input);
    const err = await screen.findByTestId('lookup-error');
    expect(err.textContent).toBe(fx.messages[code]);
    expect(err.dataset.code).toBe(code);
    const settingsCodes: ErrorCode[] = ['Unauthorized', 'Forbidden', 'Config', 'KeychainUnavailable'];
    expect(!!screen.queryByTestId('error-open-settings')).toBe(settingsCodes.includes(code));
  });

  it('retries a failed lookup with the same request', async () => {
    let n = 0;
    const { calls, input } = await start({
      lookup: () => {
        n += 1;
        if (n === 1) throw { code: 'Timeout', message: fx.messages.Timeout };
        return fx.response(fx.cpfRegular);
      },
    });
    type(input, '404.428.201-35');
    await enter(input);
    await fireEvent.click(await screen.findByTestId('error-retry'));
    expect((await screen.findByTestId('result-name')).textContent).toBe('Nome do CPF 404.428.201-35');
    const reqs = callsOf(calls, 'lookup').map((c) => c.args.request);
    expect(reqs[1]).toEqual(reqs[0]);
  });

  it('turns a non-AppError rejection into the generic pt-BR message', async () => {
    const { input } = await start({
      lookup: () => {
        throw new Error('boom');
      },
    });
    type(input, '404.428.201-35');
    await enter(input);
    const err = await screen.findByTestId('lookup-error');
    expect(err.dataset.code).toBe('Internal');
    expect(err.textContent).toMatch(/Erro inesperado/);
  });
});

describe('consulta options', () => {
  it('requires a purpose when the agency asks for one, before any call', async () => {
    const { calls, input } = await start({ app_info: () => fx.appInfoProd, lookup: () => fx.response(fx.cpfRegular) });
    await waitFor(() => expect(screen.getByLabelText(/obrigatório/)).toBeTruthy());
    type(input, '404.428.201-35');
    await enter(input);
    expect(screen.getByTestId('purpose-error').textContent).toMatch(/finalidade/);
    expect(callsOf(calls, 'lookup')).toHaveLength(0);
    const purpose = screen.getByTestId('lookup-purpose') as HTMLInputElement;
    await fireEvent.input(purpose, { target: { value: 'Protocolo 123/2026' } });
    await fireEvent.input(screen.getByTestId('lookup-auth-code'), { target: { value: 'ABC-XYZ' } });
    await fireEvent.click(screen.getByTestId('lookup-no-record'));
    await enter(input);
    await screen.findByTestId('result-name');
    expect(callsOf(calls, 'lookup')[0]!.args.request).toEqual({
      input: '404.428.201-35',
      view: null,
      purpose: 'Protocolo 123/2026',
      authorizationCode: 'ABC-XYZ',
      doNotRecord: true,
    });
    // "não registrar" and the authorisation code are for one lookup only.
    expect((screen.getByTestId('lookup-no-record') as HTMLInputElement).checked).toBe(false);
    expect((screen.getByTestId('lookup-auth-code') as HTMLInputElement).value).toBe('');
  });

  it('sends the chosen CNPJ view', async () => {
    const { calls, input } = await start({ lookup: () => fx.response(fx.cnpjBasica) });
    type(input, '34.238.864/0001-68');
    const view = (await screen.findByTestId('lookup-view')) as HTMLSelectElement;
    await fireEvent.change(view, { target: { value: 'basica' } });
    await enter(input);
    await screen.findByTestId('result-cnpj');
    expect((callsOf(calls, 'lookup')[0]!.args.request as { view: string }).view).toBe('basica');
  });

  it('Esc clears the input and the result and keeps focus in the input', async () => {
    const { input } = await start({ lookup: () => fx.response(fx.cpfRegular) });
    type(input, '404.428.201-35');
    await enter(input);
    await screen.findByTestId('result-name');
    await fireEvent.keyDown(window, { key: 'Escape', code: 'Escape' });
    expect(input.value).toBe('');
    expect(screen.queryByTestId('result-name')).toBeNull();
    expect(screen.getByTestId('lookup-empty')).toBeTruthy();
    expect(document.activeElement).toBe(input);
  });

  it('shows the first-run card until dismissed, and saves firstRunDone', async () => {
    const { calls } = await start({
      settings_get: () => ({ ...fx.settings, firstRunDone: false }),
      settings_save: () => null,
    });
    await fireEvent.click(await screen.findByTestId('first-run-dismiss'));
    await waitFor(() => expect(screen.queryByTestId('first-run')).toBeNull());
    expect(callsOf(calls, 'settings_save')[0]!.args.settings).toMatchObject({ firstRunDone: true });
  });
});

describe('shell', () => {
  it('status bar shows profile, environment, token and the quota of each contracted API by name', async () => {
    await start({ app_info: () => fx.appInfoProd, status_info: () => fx.statusProd });
    await waitFor(() => expect(screen.getAllByTestId('status-quota-api')).toHaveLength(2));
    const [cpf, cnpj] = screen.getAllByTestId('status-quota-api');
    expect(cpf!.textContent?.replace(/\s+/g, ' ').trim()).toBe('CPF 120 de 1.000');
    expect(cpf!.title).toBe('SERPRO Consulta CPF v2');
    expect(cnpj!.textContent?.replace(/\s+/g, ' ').trim()).toBe('CNPJ 7 usadas');
    expect(screen.getByTestId('status-environment').textContent).toBe('Produção');
    expect(screen.getByTestId('status-token').textContent).toMatch(/válido até \d\d\/\d\d\/2026 \d\d:\d\d/);
    expect(cpf!.dataset.near).toBe('false');
  });

  it('marks in the status bar the quota of the API the record on screen came from', async () => {
    const { input } = await start({ status_info: () => fx.statusProd, lookup: () => fx.response(fx.cnpjBasica) });
    await waitFor(() => expect(screen.getAllByTestId('status-quota-api')).toHaveLength(2));
    type(input, '34.238.864/0001-68');
    await enter(input);
    await screen.findByTestId('result-cnpj');
    const marked = () => screen.getAllByTestId('status-quota-api').filter((e) => e.dataset.last === 'true');
    await waitFor(() => expect(marked().map((e) => e.dataset.api)).toEqual(['serproCnpj']));
  });

  it('warns in the status bar when the quota is near its limit', async () => {
    const near = { api: 'serproCpfV2' as const, used: 950, limit: 1000, nearLimit: true, exhausted: false };
    await start({ app_info: () => fx.appInfoProd, status_info: () => ({ ...fx.statusProd, quotas: [near] }) });
    await waitFor(() => expect(screen.getByTestId('status-quota-api').dataset.near).toBe('true'));
    expect(screen.getByTestId('status-quota-api').textContent).toMatch(/950 de 1\.000 — perto do limite/);
  });

  it('shows the agency store in the status bar: waiting lines, and the offline allowance when it cannot be reached', async () => {
    const down = { waiting: 7, reachable: false, offlineSpent: 2, offlineAllowance: 5, problem: 'Conexão recusada.' };
    await start({ app_info: () => fx.appInfoProd, status_info: () => ({ ...fx.statusProd, agency: down }) });
    const bar = await screen.findByTestId('status-agency');
    expect(bar.dataset.waiting).toBe('7');
    expect(bar.dataset.reachable).toBe('false');
    expect(bar.textContent).toMatch(/sem conexão — 7 linhas aguardando; consultas sem conexão hoje: 2 de 5/);
    expect(bar.title).toBe('Conexão recusada.');
  });

  it('says the agency store is up to date, and shows nothing of it without one', async () => {
    const up = { waiting: 0, reachable: true, offlineSpent: 0, offlineAllowance: 5, problem: null };
    await start({ app_info: () => fx.appInfoProd, status_info: () => ({ ...fx.statusProd, agency: up }) });
    expect((await screen.findByTestId('status-agency')).textContent).toMatch(/Banco da agência:\s*em dia/);
  });

  it('has no agency entry when no store is configured', async () => {
    await start({ app_info: () => fx.appInfoProd, status_info: () => fx.statusProd });
    await screen.findAllByTestId('status-quota-api');
    expect(screen.queryByTestId('status-agency')).toBeNull();
  });

  it('shows a start-up error with the message from Rust', async () => {
    await start({ app_info: fail('HistoryLocked') });
    expect((await screen.findByTestId('startup-error')).textContent).toContain(fx.messages.HistoryLocked);
  });

  it('Alt+1..6 switch screens (lazy-loaded), Esc goes back to Consulta with focus in the input', async () => {
    const { input } = await start({
      history_search: () => fx.historyPage,
      history_stats: () => fx.emptyStats,
      profiles_list: () => fx.profiles,
    });
    await fireEvent.keyDown(window, { key: '3', code: 'Digit3', altKey: true });
    expect(await screen.findByTestId('history-filters')).toBeTruthy();
    await fireEvent.keyDown(window, { key: '4', code: 'Digit4', altKey: true });
    expect(await screen.findByTestId('receipt-empty')).toBeTruthy();
    await fireEvent.keyDown(window, { key: '5', code: 'Digit5', altKey: true });
    expect(await screen.findByTestId('profiles')).toBeTruthy();
    await fireEvent.keyDown(window, { key: '6', code: 'Digit6', altKey: true });
    expect(await screen.findByTestId('first-run')).toBeTruthy();
    await fireEvent.keyDown(window, { key: '2', code: 'Digit2', altKey: true });
    expect(await screen.findByTestId('compare-left-input')).toBeTruthy();
    await fireEvent.keyDown(window, { key: 'Escape', code: 'Escape' });
    await waitFor(() => expect(document.activeElement).toBe(input));
    expect(screen.getByTestId('nav-consulta').getAttribute('aria-current')).toBe('page');
  });

  it('Ctrl+K returns to the input; Ctrl+P opens the receipt and prints from there', async () => {
    const { input } = await start({ lookup: () => fx.response(fx.cpfRegular) });
    type(input, '404.428.201-35');
    await enter(input);
    await screen.findByTestId('result-name');
    await fireEvent.keyDown(window, { key: 'p', code: 'KeyP', ctrlKey: true });
    expect((await screen.findByTestId('receipt-number')).textContent).toBe('404.428.201-35');
    expect(window.print).not.toHaveBeenCalled();
    await fireEvent.keyDown(window, { key: 'p', code: 'KeyP', ctrlKey: true });
    expect(window.print).toHaveBeenCalledTimes(1);
    await fireEvent.keyDown(window, { key: 'k', code: 'KeyK', ctrlKey: true });
    await waitFor(() => expect(document.activeElement).toBe(input));
  });

  it('? and F1 open the shortcut help; Esc closes it', async () => {
    await start();
    await fireEvent.keyDown(document.body, { key: '?', code: 'Slash', shiftKey: true });
    const help = await screen.findByTestId('help-overlay');
    expect(screen.getAllByTestId('help-row').length).toBeGreaterThan(15);
    expect(help.textContent).toContain('Alt+1');
    await fireEvent.keyDown(window, { key: 'Escape', code: 'Escape' });
    expect(screen.queryByTestId('help-overlay')).toBeNull();
    await fireEvent.keyDown(window, { key: 'F1', code: 'F1' });
    expect(await screen.findByTestId('help-overlay')).toBeTruthy();
  });

  it('? typed in the input is text, not the help', async () => {
    const { input } = await start();
    await fireEvent.keyDown(input, { key: '?', code: 'Slash', shiftKey: true });
    expect(screen.queryByTestId('help-overlay')).toBeNull();
  });

  it('the whole flow lookup → compare → receipt works from the keyboard', async () => {
    const { calls, input } = await start({
      lookup: (a: { request: { input: string } }) =>
        fx.response(a.request.input.startsWith('404') ? fx.cpfRegular : fx.cpfDeceased),
      compare_records: () => ({ ...fx.diffChanged, sameDocument: false }),
    });
    type(input, '404.428.201-35');
    await enter(input);
    await screen.findByTestId('result-name');
    await fireEvent.keyDown(window, { key: 'c', code: 'KeyC', altKey: true });
    const right = (await screen.findByTestId('compare-right-input')) as HTMLInputElement;
    expect(screen.getByTestId('compare-left-number').textContent).toBe('404.428.201-35');
    await waitFor(() => expect(document.activeElement).toBe(right));
    type(right, '630.172.859-95');
    await fireEvent.submit(right.form!);
    const result = await screen.findByTestId('compare-result');
    expect(result.textContent).toContain('Nome do CPF 404.428.201-35');
    expect(result.textContent).toContain('Nome Antigo');
    expect(callsOf(calls, 'compare_records')).toHaveLength(1);
    await fireEvent.keyDown(window, { key: 'p', code: 'KeyP', ctrlKey: true });
    expect((await screen.findByTestId('receipt-number')).textContent).toBe('404.428.201-35');
  });

  it("Consulta's shortcuts do nothing while another screen shows", async () => {
    await start({ history_search: () => fx.historyPage, history_stats: () => fx.emptyStats });
    await fireEvent.keyDown(window, { key: '3', code: 'Digit3', altKey: true });
    await screen.findByTestId('history-filters');
    await fireEvent.keyDown(window, { key: 'n', code: 'KeyN', altKey: true });
    expect((screen.getByTestId('lookup-no-record') as HTMLInputElement).checked).toBe(false);
    await fireEvent.keyDown(window, { key: '1', code: 'Digit1', altKey: true });
    await fireEvent.keyDown(window, { key: 'n', code: 'KeyN', altKey: true });
    expect((screen.getByTestId('lookup-no-record') as HTMLInputElement).checked).toBe(true);
    await fireEvent.keyDown(window, { key: 'f', code: 'KeyF', altKey: true });
    expect(document.activeElement).toBe(screen.getByTestId('lookup-purpose'));
  });

  it('the theme toggle switches between system, dark and light', async () => {
    await start();
    const btn = screen.getByTestId('theme-toggle');
    await fireEvent.click(btn);
    expect(['dark', 'light']).toContain(document.documentElement.dataset.theme);
    await fireEvent.click(btn);
    expect(document.documentElement.dataset.theme).toBeUndefined();
  });

  it('locks after the idle minutes: the shell is told, the result leaves the screen, keys do not unlock', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let locked = false;
      const { calls, input } = await start({
        settings_get: () => ({ ...fx.settings, idleLockMinutes: 1 }),
        lookup: () => fx.response(fx.cpfRegular),
        lock_now: () => ((locked = true), { locked, pinSet: false, retryAfterSecs: null }),
        lock_unlock: () => ((locked = false), { locked, pinSet: false, retryAfterSecs: null }),
      });
      await vi.waitFor(() => expect(app.settings?.idleLockMinutes).toBe(1));
      type(input, '404.428.201-35');
      await enter(input);
      await vi.waitFor(() => expect(screen.getByTestId('result-name')).toBeTruthy());
      vi.advanceTimersByTime(61_000);
      await vi.waitFor(() => expect(screen.getByTestId('idle-lock')).toBeTruthy());
      expect(screen.getByTestId('idle-title').textContent?.trim()).toBe('Tela bloqueada por inatividade');
      expect(screen.queryByTestId('result-name')).toBeNull();
      await vi.waitFor(() => expect(callsOf(calls, 'lock_now')).toHaveLength(1));
      await fireEvent.keyDown(window, { key: '3', code: 'Digit3', altKey: true });
      expect(app.screen).toBe('consulta');
      expect(screen.getByTestId('idle-lock')).toBeTruthy();
      await fireEvent.click(screen.getByTestId('idle-unlock'));
      await vi.waitFor(() => expect(screen.queryByTestId('idle-lock')).toBeNull());
      expect(callsOf(calls, 'lock_unlock')[0]!.args).toEqual({ pin: null });
      expect(input.value).toBe('');
    } finally {
      vi.useRealTimers();
    }
  });

  it('Ctrl+L while typing in the lookup input locks at once, and the lock screen says the clerk locked it', async () => {
    let locked = false;
    const { calls, input } = await start({
      lookup: () => fx.response(fx.cpfRegular),
      lock_now: () => ((locked = true), { locked, pinSet: false, retryAfterSecs: null }),
      lock_unlock: () => ((locked = false), { locked, pinSet: false, retryAfterSecs: null }),
    });
    type(input, '404.428.201-35');
    await enter(input);
    await screen.findByTestId('result-name');
    type(input, '123');
    await fireEvent.keyDown(input, { key: 'l', code: 'KeyL', ctrlKey: true });
    await waitFor(() => expect(screen.getByTestId('idle-lock')).toBeTruthy());
    expect(screen.getByTestId('idle-title').textContent?.trim()).toBe('Tela bloqueada');
    expect(screen.queryByTestId('result-name')).toBeNull();
    await waitFor(() => expect(callsOf(calls, 'lock_now')).toHaveLength(1));
  });

  it('starts locked when the shell is locked, and unlocks only with the right PIN', async () => {
    let locked = true;
    const calls = mockCommands({
      lock_status: () => ({ locked, pinSet: true, retryAfterSecs: null }),
      lock_unlock: (a: { pin: string }) => {
        if (a.pin !== '2468') throw { code: 'Unauthorized', message: 'PIN incorreto. Tente de novo.' };
        locked = false;
        return { locked, pinSet: true, retryAfterSecs: null };
      },
    });
    render(App);
    const pin = (await screen.findByTestId('idle-pin')) as HTMLInputElement;
    await fireEvent.click(screen.getByTestId('idle-unlock'));
    expect(screen.getByTestId('idle-error').textContent).toBe('Digite o PIN.');
    expect(callsOf(calls, 'lock_unlock')).toHaveLength(0);
    await fireEvent.input(pin, { target: { value: '1111' } });
    await fireEvent.click(screen.getByTestId('idle-unlock'));
    expect((await screen.findByTestId('idle-error')).textContent).toContain('PIN incorreto');
    expect(screen.getByTestId('idle-lock')).toBeTruthy();
    await fireEvent.input(pin, { target: { value: '2468' } });
    await fireEvent.click(screen.getByTestId('idle-unlock'));
    await waitFor(() => expect(screen.queryByTestId('idle-lock')).toBeNull());
    expect(callsOf(calls, 'lock_unlock').map((c) => c.args)).toEqual([{ pin: '1111' }, { pin: '2468' }]);
  });

  it('a PC with clerks opens on «Quem está atendendo?»; a wrong PIN signs nobody in; Ctrl+Shift+A switches clerk', async () => {
    const ana = { cpf: '11144477735', masked: '***.444.777-**', name: 'Ana Souza' };
    const bruno = { cpf: '52998224725', masked: '***.982.247-**', name: 'Bruno Lima' };
    let status: Record<string, unknown> = { locked: true, pinSet: true, retryAfterSecs: null, clerkSignIn: true, clerk: null };
    const calls = mockCommands({
      lock_status: () => status,
      clerks_list: () => ({
        required: true,
        pcMayAdd: true,
        clerks: [ana, bruno].map((clerk) => ({ clerk, managed: false, pinSet: true })),
      }),
      clerk_sign_in: (a: { cpf: string; pin: string }) => {
        const who = [ana, bruno].find((c) => c.cpf === a.cpf)!;
        if (a.pin !== (who === ana ? '2468' : '1357')) throw { code: 'Unauthorized', message: 'PIN incorreto. Restam 4 tentativas.' };
        status = { ...status, locked: false, clerk: who };
        return status;
      },
      clerk_switch: () => (status = { ...status, locked: true, clerk: null }),
    });
    render(App);
    await screen.findByTestId('clerk-sign-in');
    expect(screen.getByText('Quem está atendendo?')).toBeTruthy();
    const choices = await screen.findAllByTestId('clerk-choice');
    expect(choices.map((c) => c.textContent)).toEqual([expect.stringContaining('Ana Souza'), expect.stringContaining('Bruno Lima')]);
    expect(choices[0]!.textContent).toContain('***.444.777-**');
    await fireEvent.click(choices[1]!);
    await fireEvent.input(screen.getByTestId('clerk-pin'), { target: { value: '2468' } });
    await fireEvent.click(screen.getByTestId('clerk-submit'));
    expect((await screen.findByTestId('clerk-error')).textContent).toContain('PIN incorreto');
    expect(screen.getByTestId('idle-lock')).toBeTruthy();
    expect(screen.queryByTestId('status-clerk')).toBeNull();
    await fireEvent.click(screen.getAllByTestId('clerk-choice')[0]!);
    await fireEvent.input(screen.getByTestId('clerk-pin'), { target: { value: '2468' } });
    await fireEvent.click(screen.getByTestId('clerk-submit'));
    await waitFor(() => expect(screen.queryByTestId('idle-lock')).toBeNull());
    expect(screen.getByTestId('status-clerk').textContent).toBe('Ana Souza');
    expect(callsOf(calls, 'clerk_sign_in').map((c) => c.args)).toEqual([
      { cpf: bruno.cpf, pin: '2468' },
      { cpf: ana.cpf, pin: '2468' },
    ]);
    await screen.findByTestId('lookup-input');
    await fireEvent.keyDown(window, { key: 'A', code: 'KeyA', ctrlKey: true, shiftKey: true });
    await waitFor(() => expect(callsOf(calls, 'clerk_switch')).toHaveLength(1));
    await screen.findByTestId('clerk-sign-in');
    expect(screen.queryByTestId('status-clerk')).toBeNull();
  });

  it('shows a discreet update notice in the status bar that opens Configurações', async () => {
    await start({
      update_status: () => fx.updateAvailable,
    });
    const notice = await screen.findByTestId('status-update');
    expect(notice.textContent).toContain('Atualização 0.2.0 disponível');
    await fireEvent.click(notice);
    expect(app.screen).toBe('config');
  });
});
