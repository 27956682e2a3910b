// Comparar: "o que mudou desde", side by side (two numbers, seeds from history), declaration check, "é sócio?".
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../App.svelte';
import ChangesSince from '../components/ChangesSince.svelte';
import DeclarationPanel from '../components/DeclarationPanel.svelte';
import PartnerPanel from '../components/PartnerPanel.svelte';
import { runAction } from '../lib/shortcuts';
import { app, shownFromEntry, shownFromLookup } from '../lib/state.svelte';
import Comparar from '../screens/Comparar.svelte';
import * as fx from './fixtures';
import { callsOf, deferred, fail, mockCommands } from './helpers';

const req = { input: 'x', view: null, purpose: null, authorizationCode: null, doNotRecord: false };

function type(input: HTMLInputElement, value: string) {
  input.value = value;
  input.setSelectionRange(value.length, value.length);
  fireEvent.input(input);
}

describe('o que mudou desde', () => {
  it('compares the record with its latest earlier snapshot and lists only what changed', async () => {
    const prev = fx.entry(fx.summary(5, fx.olderCpf, '2026-10-01T09:30:00Z'), fx.olderCpf);
    const calls = mockCommands({ history_previous: () => prev, compare_records: () => fx.diffChanged });
    render(ChangesSince, { shown: shownFromLookup(fx.response(fx.cpfRegular, { historyId: 9 }), req) });
    const box = await screen.findByTestId('changes-since');
    expect(box.textContent).toContain('O que mudou desde 01/10/2026');
    expect(screen.getByTestId('changes-count').textContent).toBe('1 campo mudou');
    const rows = screen.getAllByTestId('diff-row');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.dataset.key).toBe('name');
    expect(callsOf(calls, 'history_previous')[0]!.args).toEqual({ id: 9 });
    const cmp = callsOf(calls, 'compare_records')[0]!.args as { left: { name: string }; right: { name: string } };
    expect(cmp.left.name).toBe('Nome Antigo');
    expect(cmp.right.name).toBe('Nome do CPF 404.428.201-35');
  });

  it('says nothing changed when the diff is empty', async () => {
    const prev = fx.entry(fx.summary(5, fx.cpfRegular, '2026-10-01T09:30:00Z'), fx.cpfRegular);
    mockCommands({ history_previous: () => prev, compare_records: () => fx.diffNone });
    render(ChangesSince, { shown: shownFromLookup(fx.response(fx.cpfRegular, { historyId: 9 }), req) });
    expect((await screen.findByTestId('changes-none')).textContent).toContain('Nada mudou');
  });

  it('shows nothing without an earlier snapshot, and makes no call for an unrecorded lookup', async () => {
    const calls = mockCommands({ history_previous: () => null });
    const { unmount } = render(ChangesSince, { shown: shownFromLookup(fx.response(fx.cpfRegular), req) });
    await waitFor(() => expect(callsOf(calls, 'history_previous')).toHaveLength(1));
    expect(screen.queryByTestId('changes-since')).toBeNull();
    unmount();
    render(ChangesSince, { shown: shownFromLookup(fx.response(fx.cpfRegular, { historyId: null }), req) });
    await new Promise((r) => setTimeout(r, 10));
    expect(callsOf(calls, 'history_previous')).toHaveLength(1);
  });

  it('skips a snapshot that holds no record (a not-found entry)', async () => {
    const prev = fx.entry(fx.summary(4, fx.cpfRegular, '2026-09-01T09:30:00Z', { outcome: 'notFound' }), null);
    const calls = mockCommands({ history_previous: () => prev });
    render(ChangesSince, { shown: shownFromLookup(fx.response(fx.cpfRegular), req) });
    await waitFor(() => expect(callsOf(calls, 'history_previous')).toHaveLength(1));
    expect(callsOf(calls, 'compare_records')).toHaveLength(0);
  });

  it('reports a history error', async () => {
    mockCommands({ history_previous: fail('HistoryLocked') });
    render(ChangesSince, { shown: shownFromLookup(fx.response(fx.cpfRegular), req) });
    expect((await screen.findByTestId('changes-error')).textContent).toBe(fx.messages.HistoryLocked);
  });
});

describe('Comparar screen', () => {
  it('looks up two numbers and shows them side by side with the differences highlighted', async () => {
    const calls = mockCommands({
      lookup: (a: { request: { input: string } }) =>
        fx.response(a.request.input.startsWith('34') ? fx.cnpjEmpresa : fx.cnpjFilialQsa),
      compare_records: () => fx.diffTwoCnpj,
    });
    render(Comparar);
    const left = screen.getByTestId('compare-left-input') as HTMLInputElement;
    await waitFor(() => expect(document.activeElement).toBe(left));
    type(left, '34238864000168');
    expect(left.value).toBe('34.238.864/0001-68');
    type(screen.getByTestId('compare-right-input') as HTMLInputElement, '12ABC34501DE35');
    await fireEvent.click(screen.getByTestId('compare-submit'));
    await screen.findByTestId('compare-result');
    expect(screen.getByTestId('compare-summary').textContent).toBe('2 campos diferem.');
    expect(screen.getByTestId('compare-left-status').textContent).toBe('Ativa');
    expect(screen.getByTestId('compare-right-status').textContent).toBe('Baixada');
    const rows = screen.getAllByTestId('diff-row');
    expect(rows.map((r) => r.dataset.changed)).toEqual(['true', 'false', 'true']);
    expect(rows[0]!.className).toContain('changed');
    const partnerItems = rows[2]!.querySelectorAll('li');
    expect([...partnerItems].map((li) => li.dataset.side)).toEqual(['left', 'both', 'both', 'right']);
    expect(callsOf(calls, 'lookup')).toHaveLength(2);
    await fireEvent.click(screen.getByTestId('compare-only-changed'));
    expect(screen.getAllByTestId('diff-row')).toHaveLength(2);
  });

  it('asks for both numbers, validates locally, and refuses CPF against CNPJ', async () => {
    const calls = mockCommands({
      lookup: (a: { request: { input: string } }) =>
        fx.response(a.request.input.startsWith('34') ? fx.cnpjEmpresa : fx.cpfRegular),
    });
    render(Comparar);
    await fireEvent.click(screen.getByTestId('compare-submit'));
    expect(screen.getByTestId('compare-error').textContent).toBe('Informe os dois números.');
    type(screen.getByTestId('compare-left-input') as HTMLInputElement, '404.428.201-36');
    type(screen.getByTestId('compare-right-input') as HTMLInputElement, '34238864000168');
    await fireEvent.click(screen.getByTestId('compare-submit'));
    expect((await screen.findByTestId('compare-error')).textContent).toMatch(/dígito verificador/);
    expect(callsOf(calls, 'lookup')).toHaveLength(0);
    type(screen.getByTestId('compare-left-input') as HTMLInputElement, '404.428.201-35');
    await fireEvent.click(screen.getByTestId('compare-submit'));
    await waitFor(() => expect(screen.getByTestId('compare-error').textContent).toBe('Compare CPF com CPF ou CNPJ com CNPJ.'));
    expect(callsOf(calls, 'compare_records')).toHaveLength(0);
  });

  it('shows a lookup error with its code', async () => {
    mockCommands({ lookup: fail('QuotaExhausted') });
    render(Comparar);
    type(screen.getByTestId('compare-left-input') as HTMLInputElement, '404.428.201-35');
    type(screen.getByTestId('compare-right-input') as HTMLInputElement, '630.172.859-95');
    await fireEvent.click(screen.getByTestId('compare-submit'));
    const err = await screen.findByTestId('compare-error');
    expect(err.dataset.code).toBe('QuotaExhausted');
    expect(err.textContent).toBe(fx.messages.QuotaExhausted);
  });

  it('compares two history entries at once, without new lookups, and shows loading meanwhile', async () => {
    const d = deferred<typeof fx.diffChanged>();
    const calls = mockCommands({ compare_records: () => d.promise });
    app.compareSeed = {
      left: shownFromEntry(fx.entry(fx.historyItems[2]!, fx.olderCpf)),
      right: shownFromEntry(fx.entry(fx.historyItems[0]!, fx.cpfRegular)),
    };
    render(Comparar);
    expect(await screen.findByTestId('compare-loading')).toBeTruthy();
    d.resolve(fx.diffChanged);
    await screen.findByTestId('compare-result');
    expect(screen.getByTestId('compare-left-name').textContent).toBe('Nome Antigo');
    expect(callsOf(calls, 'lookup')).toHaveLength(0);
    expect(app.compareSeed).toBeNull();
    await fireEvent.click(screen.getByTestId('compare-left-clear'));
    expect(screen.getByTestId('compare-left-input')).toBeTruthy();
  });

  it('offers the record on display as the first side', async () => {
    mockCommands();
    app.current = shownFromLookup(fx.response(fx.cpfRegular), req);
    render(Comparar);
    await fireEvent.click(screen.getByTestId('compare-use-current'));
    expect(screen.getByTestId('compare-left-number').textContent).toBe('404.428.201-35');
  });
});

describe('conferir declaração', () => {
  it('sends what was declared and shows per-field level, score, note and the rule', async () => {
    const calls = mockCommands({ check_declaration: () => fx.declarationCheck });
    render(DeclarationPanel, { record: fx.cpfRegular });
    await fireEvent.input(screen.getByTestId('declaration-name'), { target: { value: ' Nome do CPF 404428201-35 ' } });
    await fireEvent.input(screen.getByTestId('declaration-birth-date'), { target: { value: '16/01/1980' } });
    await fireEvent.click(screen.getByTestId('declaration-submit'));
    await screen.findByTestId('declaration-result');
    expect(callsOf(calls, 'check_declaration')[0]!.args.declared).toEqual({
      name: 'Nome do CPF 404428201-35',
      birthDate: '1980-01-16',
      motherName: null,
    });
    const rows = screen.getAllByTestId('declaration-row');
    expect(rows.map((r) => r.dataset.level)).toEqual(['match', 'different', 'missing']);
    expect(rows[0]!.textContent).toContain('97%');
    expect(rows[0]!.textContent).toContain('Confere');
    expect(rows[2]!.textContent).toContain('Sem dado para comparar');
    expect(screen.getByTestId('declaration-overall').dataset.level).toBe('different');
    expect(screen.getByTestId('declaration-rule').textContent).toContain('semelhança ≥ 90%');
  });

  it('asks for at least one field before calling', async () => {
    const calls = mockCommands();
    render(DeclarationPanel, { record: fx.cpfRegular });
    await fireEvent.click(screen.getByTestId('declaration-submit'));
    expect(screen.getByTestId('declaration-error').textContent).toBe('Preencha ao menos um campo.');
    expect(callsOf(calls, 'check_declaration')).toHaveLength(0);
  });

  it('Alt+D puts the caret in the declared name', async () => {
    mockCommands();
    render(DeclarationPanel, { record: fx.cpfRegular });
    expect(runAction('declaration')).toBe(true);
    expect(document.activeElement).toBe(screen.getByTestId('declaration-name'));
  });
});

describe('é sócio?', () => {
  it('shows the verdict, the explanation and the matching partners', async () => {
    const calls = mockCommands({ find_partner: () => fx.partnerYes });
    render(PartnerPanel, { record: fx.cnpjEmpresa });
    await fireEvent.input(screen.getByTestId('partner-query'), { target: { value: '404.428.201-35' } });
    await fireEvent.click(screen.getByTestId('partner-submit'));
    const res = await screen.findByTestId('partner-result');
    expect(res.dataset.verdict).toBe('sim');
    expect(screen.getByTestId('partner-verdict').textContent).toBe('Sim');
    expect(screen.getByTestId('partner-explanation').textContent).toContain('Sócio-Administrador');
    expect(screen.getAllByTestId('partner-match')[0]!.textContent).toContain('CPF/CNPJ completo');
    expect(callsOf(calls, 'find_partner')[0]!.args.query).toBe('404.428.201-35');
  });

  it('renders "não é possível confirmar" with its explanation', async () => {
    mockCommands({ find_partner: () => fx.partnerUnsure });
    render(PartnerPanel, { record: fx.cnpjBasica });
    await fireEvent.input(screen.getByTestId('partner-query'), { target: { value: 'Fulano' } });
    await fireEvent.click(screen.getByTestId('partner-submit'));
    expect((await screen.findByTestId('partner-result')).dataset.verdict).toBe('naoConfirmavel');
    expect(screen.queryAllByTestId('partner-match')).toHaveLength(0);
    expect(screen.getByTestId('partner-explanation').textContent).toContain('visão básica');
  });

  it('shows an error from Rust', async () => {
    mockCommands({ find_partner: fail('Internal') });
    render(PartnerPanel, { record: fx.cnpjEmpresa });
    await fireEvent.input(screen.getByTestId('partner-query'), { target: { value: 'x' } });
    await fireEvent.click(screen.getByTestId('partner-submit'));
    expect((await screen.findByTestId('partner-error')).textContent).toBe(fx.messages.Internal);
  });
});

describe('on the Consulta screen', () => {
  it('a CNPJ result offers "é sócio?" and switching the view looks up again with that view', async () => {
    const calls = mockCommands({
      lookup: (a: { request: { view: string | null } }) =>
        fx.response(a.request.view === 'qsa' ? { ...fx.cnpjEmpresa, view: 'qsa' } : fx.cnpjBasica),
    });
    render(App);
    const input = (await screen.findByTestId('lookup-input')) as HTMLInputElement;
    type(input, '34.238.864/0001-68');
    await fireEvent.submit(input.form!);
    await screen.findByTestId('partner-panel');
    await fireEvent.click(screen.getByTestId('view-qsa'));
    await waitFor(() => expect((screen.getByTestId('view-qsa') as HTMLInputElement).checked).toBe(true));
    expect(callsOf(calls, 'lookup')[1]!.args.request).toMatchObject({ input: '34238864000168', view: 'qsa' });
    await fireEvent.keyDown(window, { key: 'v', code: 'KeyV', altKey: true });
    await waitFor(() => expect(callsOf(calls, 'lookup')).toHaveLength(3));
    expect((callsOf(calls, 'lookup')[2]!.args.request as { view: string }).view).toBe('empresa');
  });

  it('a CPF result offers "conferir declaração" and shows what changed since the last lookup', async () => {
    mockCommands({
      lookup: () => fx.response(fx.cpfRegular, { historyId: 9 }),
      history_previous: () => fx.entry(fx.summary(5, fx.olderCpf, '2026-10-01T09:30:00Z'), fx.olderCpf),
      compare_records: () => fx.diffChanged,
    });
    render(App);
    const input = (await screen.findByTestId('lookup-input')) as HTMLInputElement;
    type(input, '404.428.201-35');
    await fireEvent.submit(input.form!);
    expect((await screen.findByTestId('declaration-panel')).textContent).toContain('Conferir declaração');
    const changes = await screen.findByTestId('changes-since');
    expect(changes.textContent).toContain('O que mudou desde 01/10/2026');
    expect(screen.getByTestId('changes-count').textContent).toBe('1 campo mudou');
    expect(screen.queryByTestId('changes-none')).toBeNull();
    expect(screen.getByTestId('changes-table').textContent).toContain('Nome Antigo');
    expect(screen.queryByTestId('partner-panel')).toBeNull();
  });
});
