// Histórico: search states and filters, paging, open an entry, compare two, purge with confirmation, CSV export, chart.
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { app } from '../lib/state.svelte';
import Historico from '../screens/Historico.svelte';
import * as fx from './fixtures';
import { callsOf, deferred, fail, mockCommands } from './helpers';

const plots: { opts: { series: { label?: string }[] }; data: number[][] }[] = [];
vi.mock('uplot', () => ({
  default: class {
    constructor(opts: { series: { label?: string }[] }, data: number[][], el: HTMLElement) {
      plots.push({ opts, data });
      el.appendChild(document.createElement('canvas'));
    }
    setSize() {}
    destroy() {}
  },
}));

function byId(id: number) {
  const s = fx.historyItems.find((i) => Number(i.id) === id)!;
  const r = id === 8 ? fx.cnpjEmpresa : id === 5 ? fx.olderCpf : id === 4 ? null : fx.cpfRegular;
  return fx.entry(s, r);
}

const base = {
  history_search: () => fx.historyPage,
  history_stats: () => fx.stats,
  history_get: (a: { id: number }) => byId(a.id),
};

describe('Histórico', () => {
  it('lists the latest lookups on open, with status and outcome', async () => {
    const calls = mockCommands(base);
    render(Historico);
    const rows = await screen.findAllByTestId('history-row');
    expect(rows).toHaveLength(4);
    expect(rows[0]!.textContent).toContain('404.428.201-35');
    expect(rows[0]!.textContent).toContain('Regular');
    expect(rows[3]!.dataset.outcome).toBe('notFound');
    expect(rows[3]!.textContent).toContain('Não encontrado');
    expect(callsOf(calls, 'history_search')[0]!.args.query).toEqual({
      text: null,
      profileId: null,
      outcome: null,
      from: null,
      to: null,
      beforeId: null,
      limit: 50,
    });
    expect(screen.getByTestId('history-total').textContent).toBe('4 consultas exibidas');
    expect(screen.queryByTestId('history-more')).toBeNull();
  });

  it('searches by number or name, dates typed as dd/mm/aaaa (sent as ISO days) and outcome', async () => {
    const calls = mockCommands(base);
    render(Historico);
    await screen.findAllByTestId('history-row');
    await fireEvent.input(screen.getByTestId('history-search'), { target: { value: ' maria ' } });
    await fireEvent.input(screen.getByTestId('history-from'), { target: { value: '01/11/2026' } });
    await fireEvent.input(screen.getByTestId('history-to'), { target: { value: '30112026' } });
    expect((screen.getByTestId('history-to') as HTMLInputElement).value).toBe('30/11/2026');
    await fireEvent.change(screen.getByTestId('history-outcome'), { target: { value: 'notFound' } });
    await fireEvent.click(screen.getByTestId('history-submit'));
    await waitFor(() => expect(callsOf(calls, 'history_search')).toHaveLength(2));
    expect(callsOf(calls, 'history_search')[1]!.args.query).toMatchObject({
      text: 'maria',
      from: '2026-11-01',
      to: '2026-11-30',
      outcome: 'notFound',
      beforeId: null,
    });
  });

  it('shows loading, then the empty state', async () => {
    const d = deferred<typeof fx.historyPage>();
    mockCommands({ ...base, history_search: () => d.promise, history_stats: () => fx.emptyStats });
    render(Historico);
    expect(await screen.findByTestId('history-loading')).toBeTruthy();
    d.resolve({ items: [], nextBeforeId: null });
    expect(await screen.findByTestId('history-empty')).toBeTruthy();
    expect(await screen.findByTestId('chart-empty')).toBeTruthy();
  });

  it('shows a locked history as an error with its message', async () => {
    mockCommands({ ...base, history_search: fail('HistoryLocked'), history_stats: fail('HistoryLocked') });
    render(Historico);
    const err = await screen.findByTestId('history-error');
    expect(err.dataset.code).toBe('HistoryLocked');
    expect(err.textContent).toBe(fx.messages.HistoryLocked);
    expect((await screen.findByTestId('chart-error')).textContent).toBe(fx.messages.HistoryLocked);
  });

  it('pages with beforeId', async () => {
    const calls = mockCommands({
      ...base,
      history_search: (a: { query: { beforeId: number | null } }) =>
        a.query.beforeId === null
          ? { items: fx.historyItems.slice(0, 2), nextBeforeId: 8 }
          : { items: fx.historyItems.slice(2), nextBeforeId: null },
    });
    render(Historico);
    await fireEvent.click(await screen.findByTestId('history-more'));
    await waitFor(() => expect(screen.getAllByTestId('history-row')).toHaveLength(4));
    expect((callsOf(calls, 'history_search')[1]!.args.query as { beforeId: number }).beforeId).toBe(8);
    expect(screen.queryByTestId('history-more')).toBeNull();
  });

  it('opens an entry as a result with its age, makes it the receipt target, and goes back', async () => {
    mockCommands(base);
    render(Historico);
    const open = await screen.findAllByTestId('history-open-entry');
    await fireEvent.click(open[1]!);
    expect((await screen.findByTestId('result-cnpj')).textContent).toContain('Empresa Exemplo Ltda');
    expect(screen.getByTestId('result-history-age').textContent).toMatch(/Do histórico/);
    expect(app.current?.source).toBe('history');
    expect(app.current?.formatted).toBe('34.238.864/0001-68');
    await fireEvent.click(screen.getByTestId('history-back'));
    expect(await screen.findByTestId('history-filters')).toBeTruthy();
  });

  it('opens a not-found entry with its message and no record', async () => {
    mockCommands(base);
    render(Historico);
    const open = await screen.findAllByTestId('history-open-entry');
    await fireEvent.click(open[3]!);
    expect((await screen.findByTestId('history-open-no-record')).textContent).toContain(fx.messages.NotFound);
  });

  it('compares the two selected entries, older on the left', async () => {
    mockCommands(base);
    render(Historico);
    const boxes = await screen.findAllByTestId('history-select');
    expect((screen.getByTestId('history-compare') as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(boxes[0]!);
    await fireEvent.click(boxes[2]!);
    await fireEvent.click(screen.getByTestId('history-compare'));
    await waitFor(() => expect(app.screen).toBe('comparar'));
    expect(app.compareSeed?.left?.record).toMatchObject({ name: 'Nome Antigo' });
    expect(app.compareSeed?.right?.record).toMatchObject({ name: 'Nome do CPF 404.428.201-35' });
  });

  it('purges only after confirmation, and reports how many entries went', async () => {
    const calls = mockCommands({ ...base, history_purge: () => 4 });
    render(Historico);
    await screen.findAllByTestId('history-row');
    await fireEvent.click(screen.getByTestId('history-purge'));
    expect(screen.getByTestId('purge-confirm').textContent).toContain('auditoria é mantido');
    await fireEvent.click(screen.getByTestId('purge-no'));
    expect(callsOf(calls, 'history_purge')).toHaveLength(0);
    await fireEvent.click(screen.getByTestId('history-purge'));
    await fireEvent.click(screen.getByTestId('purge-yes'));
    await waitFor(() => expect(screen.getByTestId('history-notice').textContent).toBe('4 consultas apagadas.'));
    expect(callsOf(calls, 'history_purge')).toHaveLength(1);
  });

  it('exports history and audit CSV for the chosen period, shows the path written and «Abrir pasta» names no path', async () => {
    const calls = mockCommands({
      ...base,
      history_export: (a: { kind: string }) => `/home/atendente/Documentos/balcao-${a.kind}.csv`,
      export_open_folder: () => null,
    });
    render(Historico);
    await screen.findAllByTestId('history-row');
    await fireEvent.input(screen.getByTestId('history-from'), { target: { value: '01/11/2026' } });
    await fireEvent.click(screen.getByTestId('history-export'));
    await waitFor(() =>
      expect(screen.getByTestId('history-export-path').textContent).toBe(
        'Arquivo gravado em /home/atendente/Documentos/balcao-history.csv',
      ),
    );
    expect(callsOf(calls, 'history_export')[0]!.args).toEqual({ kind: 'history', from: '2026-11-01', to: null });
    await fireEvent.click(screen.getByTestId('history-export-open-folder'));
    await waitFor(() =>
      expect(screen.getByTestId('history-export-folder').textContent?.trim()).toBe('Pasta aberta no gerenciador de arquivos.'),
    );
    expect(callsOf(calls, 'export_open_folder')[0]!.args).toEqual({});
    await fireEvent.click(screen.getByTestId('history-export-audit'));
    await waitFor(() => expect(callsOf(calls, 'history_export')).toHaveLength(2));
    expect(callsOf(calls, 'history_export')[1]!.args.kind).toBe('audit');
  });

  it('a «Salvar como…» closed without a file writes nothing and says so calmly, with no error', async () => {
    mockCommands({ ...base, history_export: () => null });
    render(Historico);
    await screen.findAllByTestId('history-row');
    await fireEvent.click(screen.getByTestId('history-export'));
    await waitFor(() => expect(screen.getByTestId('history-notice').textContent).toMatch(/^Nada foi gravado/));
    expect(screen.queryByTestId('history-export-path')).toBeNull();
    expect(screen.queryByTestId('history-error')).toBeNull();
  });

  // uPlot is mocked here and happy-dom has no layout nor canvas: this checks what the chart is given (series, labels,
  // sums), not that anything is drawn. tests/e2e/window.test.mjs reads the canvas pixels in the real window.
  it('hands uPlot 30 days of lookups and per-API calls with pt-BR labels, and shows the same data as tables', async () => {
    plots.length = 0;
    const calls = mockCommands(base);
    render(Historico);
    await screen.findByTestId('history-chart');
    await waitFor(() => expect(plots).toHaveLength(2));
    expect(callsOf(calls, 'history_stats')[0]!.args).toEqual({ days: 30 });
    const [lookups, perApi] = plots;
    expect(lookups!.data[0]).toHaveLength(30);
    expect(lookups!.data[1]!.reduce((a, b) => a + b, 0)).toBe(7);
    expect(lookups!.data[2]!.reduce((a, b) => a + b, 0)).toBe(6);
    expect(perApi!.opts.series.map((s) => s.label)).toEqual(['Dia', 'SERPRO Consulta CPF v2', 'SERPRO Consulta CNPJ v2']);
    expect(lookups!.opts.series[0]!.label).toBe('Dia');
    expect(perApi!.data[1]!.reduce((a, b) => a + b, 0)).toBe(5);
    expect(screen.getByTestId('chart-table').querySelectorAll('tbody tr')).toHaveLength(2);
    const quota = screen.getAllByTestId('quota-row');
    expect(quota[0]!.textContent).toContain('40');
  });
});
