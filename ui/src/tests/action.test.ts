// The one action state behind every button that calls the core: busy while the call runs, the answer or the pt-BR
// error (with its code), a notice on success, and one call at a time (a double click calls once).
import { render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { Action } from '../lib/action.svelte';
import { t } from '../lib/i18n/pt-BR';
import { app } from '../lib/state.svelte';
import Configuracoes from '../screens/Configuracoes.svelte';
import * as fx from './fixtures';
import { callsOf, deferred, mockCommands } from './helpers';

describe('Action', () => {
  it('is busy while the call runs and not after; the answer and the notice are kept', async () => {
    const a = new Action<string>();
    const d = deferred<string>();
    const running = a.run(() => d.promise, (answer) => `feito: ${answer}`);
    expect(a.busy).toBe(true);
    expect(a.message).toBeNull();
    d.resolve('ok');
    expect(await running).toBe(true);
    expect(a.busy).toBe(false);
    expect([a.result, a.error, a.code]).toEqual(['ok', null, null]);
    expect(a.message).toEqual({ ok: true, text: 'feito: ok' });
  });

  it('is not busy after a failure, and shows the core’s pt-BR message with its code', async () => {
    const a = new Action<string>();
    a.result = 'antes';
    const failed = await a.run(() => Promise.reject({ code: 'KeychainUnavailable', message: fx.messages.KeychainUnavailable }), 'não');
    expect(failed).toBe(false);
    expect(a.busy).toBe(false);
    expect([a.result, a.error, a.code, a.notice]).toEqual([null, fx.messages.KeychainUnavailable, 'KeychainUnavailable', null]);
    expect(a.message).toEqual({ ok: false, text: fx.messages.KeychainUnavailable });
  });

  it('maps what is not an AppError (an English library text, a bare Error) to the pt-BR unexpected error', async () => {
    const a = new Action();
    await a.run(() => Promise.reject(new Error('connection reset by peer')));
    expect([a.error, a.code]).toEqual([t.errors.unexpected, 'Internal']);
    await a.run(() => Promise.reject({ code: 'NoSuchCode', message: 'whatever' }));
    expect([a.error, a.code]).toEqual([t.errors.unexpected, 'Internal']);
  });

  it('calls once when asked twice while the first call runs, and again once it is over', async () => {
    const a = new Action<number>();
    const d = deferred<number>();
    let calls = 0;
    const call = () => ((calls += 1), d.promise);
    const first = a.run(call);
    const second = a.run(call);
    expect(await second).toBe(false);
    d.resolve(7);
    expect(await first).toBe(true);
    expect(calls).toBe(1);
    await a.run(() => ((calls += 1), Promise.resolve(8)));
    expect([calls, a.result]).toEqual([2, 8]);
  });

  it('a refusal before any call shows the clerk’s mistake and clears the last notice', async () => {
    const a = new Action();
    await a.run(() => Promise.resolve(null), 'Salvo.');
    a.refuse('Dê um nome ao perfil.');
    expect(a.message).toEqual({ ok: false, text: 'Dê um nome ao perfil.' });
    a.reset();
    expect(a.message).toBeNull();
  });
});

describe('Action behind a button', () => {
  it('a double click on «Testar» in Configurações tests the connection once, the button disabled while it runs', async () => {
    const testing = deferred<string>();
    app.info = fx.appInfoDemo;
    app.settings = fx.settings;
    const calls = mockCommands({ profiles_list: () => fx.profiles, profile_test: () => testing.promise });
    render(Configuracoes);
    const test = (await screen.findAllByTestId('profile-test'))[0] as HTMLButtonElement;
    // Both clicks land before the page re-renders (as a quick double click does).
    test.click();
    test.click();
    await waitFor(() => expect(test.disabled).toBe(true));
    testing.resolve('Conexão bem-sucedida.');
    await waitFor(() => expect(screen.getByTestId('profile-test-result').textContent?.trim()).toBe('Conexão bem-sucedida.'));
    expect(test.disabled).toBe(false);
    expect(callsOf(calls, 'profile_test')).toHaveLength(1);
  });
});
