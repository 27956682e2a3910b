// Lote: choose a file (the Rust-side dialog) or drop one, preview (reading, counts, invalid rows, cost) before any
// call, start and follow the progress, cancel, resume, export; a saved batch reopened by choosing the same file.
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Channel } from '@tauri-apps/api/core';
import type { BatchPreview } from '../lib/bindings/BatchPreview';
import type { BatchProgress } from '../lib/bindings/BatchProgress';
import type { BatchSaved } from '../lib/bindings/BatchSaved';
import { app } from '../lib/state.svelte';
import Lote from '../screens/Lote.svelte';
import { callsOf, deferred, fail, mockCommands } from './helpers';

const preview: BatchPreview = {
  fileName: 'lista.csv',
  encoding: 'utf8',
  delimiter: 'semicolon',
  hasHeader: true,
  columns: ['cpf', 'nome'],
  column: 1,
  sample: [
    ['40442820135', 'Ana'],
    ['40442820136', 'Bia'],
  ],
  counts: {
    rows: 4,
    empty: 0,
    invalid: 1,
    valid: 3,
    duplicates: 1,
    unique: 2,
    uniqueCpf: 2,
    uniqueCnpj: 0,
    ambiguous: 0,
    zerosRestored: 0,
  },
  invalidSample: [{ line: 3, input: '40442820136', message: 'CPF inválido: os dígitos verificadores não conferem.' }],
  estimate: {
    alreadyDone: 0,
    reused: 0,
    notContracted: 0,
    toLookUp: 2,
    calls: 2,
    billableMax: 2,
    byApi: [{ api: 'serproCpfV1', numbers: 2, calls: 2, quotaRemaining: 100 }],
    quotaExceeded: false,
    seconds: 125,
  },
};

/** Plays Rust's side of `batch_follow`: keeps the page's channel and sends progress through it. */
function follower() {
  let channel: Channel<BatchProgress> | null = null;
  return {
    handler: (now: BatchProgress | null) => (args: { onProgress: Channel<BatchProgress> }) => {
      channel = args.onProgress;
      return now;
    },
    send: (p: BatchProgress) => {
      if (!channel) throw new Error('the page has not followed the batch');
      channel.onmessage(p);
    },
  };
}

function prog(over: Partial<BatchProgress>): BatchProgress {
  return {
    state: 'running',
    rows: 4,
    doneRows: 1,
    found: 0,
    notFound: 0,
    invalid: 1,
    empty: 0,
    errors: 0,
    reused: 0,
    numbersTotal: 2,
    numbersDone: 0,
    calls: 0,
    billableCalls: 0,
    perSecond: 2.5,
    secondsLeft: 3,
    elapsedSeconds: 1,
    stop: null,
    resumeHint: null,
    ...over,
  };
}

const saved: BatchSaved = {
  fileName: 'lista.csv',
  startedAt: '2026-11-25T13:00:00Z',
  profileId: 'demo',
  profileName: 'Demonstração',
  numbersDone: 1,
};

/** Presses the pt-BR «Escolher arquivo…» button (the mock of `batch_choose_file` plays the dialog and Rust). */
async function choose() {
  await fireEvent.click(await screen.findByTestId('batch-file'));
}

afterEach(() => vi.useRealTimers());

describe('Lote', () => {
  it('offers a pt-BR button, not the OS file input, and tells that a file can be dropped', async () => {
    mockCommands({ batch_follow: () => null, batch_saved: () => null });
    render(Lote);
    const button = await screen.findByTestId('batch-file');
    expect(button.tagName).toBe('BUTTON');
    expect(button.textContent?.trim()).toBe('Escolher arquivo…');
    expect(button.getAttribute('aria-describedby')).toBe('batch-file-hint');
    expect(screen.getByTestId('batch-file-hint').textContent).toContain('arrastá-lo');
    expect(document.querySelector('input[type="file"]')).toBeNull();
  });

  it('previews the file before any call: reading, counts, invalid rows with reasons, cost', async () => {
    const calls = mockCommands({ batch_follow: () => null, batch_saved: () => null, batch_choose_file: () => preview });
    render(Lote);
    await choose();
    await screen.findByTestId('batch-preview');
    // The page sends no file, name or path: only what to do with the file Rust reads.
    const args = callsOf(calls, 'batch_choose_file')[0]!.args as { reopen: boolean; options: unknown };
    expect(Object.keys(args).sort()).toEqual(['options', 'reopen']);
    expect(args.reopen).toBe(false);
    expect(args.options).toEqual({
      column: null,
      hasHeader: null,
      reuseMaxAgeDays: null,
      ambiguousAs: null,
      purpose: null,
      view: null,
    });
    expect(screen.getByTestId('batch-encoding').textContent).toBe('UTF-8');
    expect(screen.getByTestId('batch-delimiter').textContent).toBe('ponto e vírgula');
    expect(screen.getByTestId('batch-count-rows').textContent).toBe('4');
    expect(screen.getByTestId('batch-count-valid').textContent).toBe('3');
    expect(screen.getByTestId('batch-count-invalid').textContent).toBe('1');
    expect(screen.getByTestId('batch-count-duplicates').textContent).toBe('1');
    const bad = screen.getAllByTestId('batch-invalid-row');
    expect(bad).toHaveLength(1);
    expect(bad[0]!.textContent).toContain('dígitos verificadores');
    expect(screen.getByTestId('batch-estimate-calls').textContent).toBe('2');
    expect(screen.getByTestId('batch-estimate-billable').textContent).toBe('2');
    expect(screen.getByTestId('batch-estimate-seconds').textContent).toBe('2 min 5 s');
    expect(screen.getByTestId('batch-estimate-api').textContent).toContain('SERPRO Consulta CPF v1');
    expect(screen.queryByTestId('batch-quota-exceeded')).toBeNull();
    expect(callsOf(calls, 'batch_start')).toHaveLength(0);
  });

  it('a dialog closed without a file changes nothing', async () => {
    const calls = mockCommands({ batch_follow: () => null, batch_saved: () => null, batch_choose_file: () => null });
    render(Lote);
    await choose();
    await waitFor(() => expect(callsOf(calls, 'batch_choose_file')).toHaveLength(1));
    await waitFor(() => expect((screen.getByTestId('batch-file') as HTMLButtonElement).disabled).toBe(false));
    expect(screen.queryByTestId('batch-preview')).toBeNull();
    expect(screen.queryByTestId('batch-error')).toBeNull();
  });

  it('opens a file dropped on the window, as if chosen', async () => {
    const calls = mockCommands({ batch_follow: () => null, batch_saved: () => null, batch_open_dropped: () => preview });
    render(Lote);
    await screen.findByTestId('batch-file');
    expect(callsOf(calls, 'batch_open_dropped')).toHaveLength(0);
    app.drops += 1;
    await screen.findByTestId('batch-preview');
    const args = callsOf(calls, 'batch_open_dropped')[0]!.args as { reopen: boolean };
    expect(Object.keys(args).sort()).toEqual(['options', 'reopen']);
    expect(args.reopen).toBe(false);
  });

  it('reads the file again when the clerk changes the column, header or reuse options', async () => {
    const calls = mockCommands({
      batch_follow: () => null,
      batch_saved: () => null,
      batch_choose_file: () => preview,
      batch_refresh: () => preview,
    });
    render(Lote);
    await choose();
    await screen.findByTestId('batch-preview');
    await fireEvent.change(screen.getByTestId('batch-column'), { target: { value: '2' } });
    await waitFor(() => expect(callsOf(calls, 'batch_refresh')).toHaveLength(1));
    expect((callsOf(calls, 'batch_refresh')[0]!.args as { options: { column: number } }).options.column).toBe(2);
    expect(Object.keys(callsOf(calls, 'batch_refresh')[0]!.args)).toEqual(['options']);
    await fireEvent.change(screen.getByTestId('batch-header'), { target: { value: 'no' } });
    await waitFor(() => expect(callsOf(calls, 'batch_refresh')).toHaveLength(2));
    expect((callsOf(calls, 'batch_refresh')[1]!.args as { options: { hasHeader: boolean } }).options.hasHeader).toBe(false);
    const reuse = screen.getByTestId('batch-reuse') as HTMLInputElement;
    await fireEvent.input(reuse, { target: { value: '30' } });
    await fireEvent.change(reuse);
    await waitFor(() => expect(callsOf(calls, 'batch_refresh')).toHaveLength(3));
    expect((callsOf(calls, 'batch_refresh')[2]!.args as { options: { reuseMaxAgeDays: number } }).options.reuseMaxAgeDays).toBe(30);
    expect(callsOf(calls, 'batch_choose_file')).toHaveLength(1);
  });

  it('warns before starting when the quota left is not enough', async () => {
    mockCommands({
      batch_follow: () => null,
      batch_saved: () => null,
      batch_choose_file: () => ({ ...preview, estimate: { ...preview.estimate, quotaExceeded: true } }),
    });
    render(Lote);
    await choose();
    expect((await screen.findByTestId('batch-quota-exceeded')).textContent).toContain('cota');
  });

  it('shows the reading error in pt-BR with its code', async () => {
    mockCommands({
      batch_follow: () => null,
      batch_saved: () => null,
      batch_choose_file: fail('Config', 'O arquivo está vazio. Escolha um CSV ou TXT com um número por linha.'),
    });
    render(Lote);
    await choose();
    const err = await screen.findByTestId('batch-error');
    expect(err.dataset.code).toBe('Config');
    expect(err.textContent).toContain('arquivo está vazio');
    expect(screen.queryByTestId('batch-preview')).toBeNull();
  });

  it('starts, shows each progress Rust streams until completed (then refreshes the status bar), exports; polls nothing', async () => {
    let exportAnswer: string | null = null;
    const stream = follower();
    const calls = mockCommands({
      batch_saved: () => null,
      batch_follow: stream.handler(null),
      batch_choose_file: () => preview,
      batch_start: () => prog({}),
      batch_export: () => exportAnswer,
    });
    render(Lote);
    await choose();
    await fireEvent.click(await screen.findByTestId('batch-start'));
    const box = await screen.findByTestId('batch-progress');
    expect(box.dataset.state).toBe('running');
    expect(screen.getByTestId('batch-rate').textContent).toBe('2,5 por segundo');
    expect(screen.getByTestId('batch-left').textContent).toBe('3 s');
    expect(screen.getByTestId('batch-cancel')).toBeTruthy();
    expect(screen.queryByTestId('batch-export')).toBeNull();
    // While it runs, the page asks Rust nothing: the progress comes to it.
    const running = calls.length;
    await new Promise((r) => setTimeout(r, 900));
    expect(calls.length).toBe(running);
    stream.send(prog({ doneRows: 3, found: 1, numbersDone: 1, calls: 1, billableCalls: 1 }));
    await waitFor(() => expect(screen.getByTestId('batch-done').textContent).toBe('3 de 4'));
    expect(screen.getByTestId('batch-progress').dataset.state).toBe('running');
    const statusBefore = callsOf(calls, 'status_info').length;
    stream.send(prog({ state: 'completed', doneRows: 4, found: 1, notFound: 1, numbersDone: 2, calls: 2, billableCalls: 2, secondsLeft: 0 }));
    await waitFor(() => expect(screen.getByTestId('batch-progress').dataset.state).toBe('completed'));
    // The quota follows the calls: the status bar is read again at the end.
    await waitFor(() => expect(callsOf(calls, 'status_info').length).toBeGreaterThan(statusBefore));
    expect(screen.getByTestId('batch-done').textContent).toBe('4 de 4');
    expect(screen.getByTestId('batch-found').textContent).toBe('1');
    expect(screen.getByTestId('batch-not-found').textContent).toBe('1');
    expect(screen.getByTestId('batch-invalid').textContent).toBe('1');
    expect(screen.getByTestId('batch-errors').textContent).toBe('0');
    expect((screen.getByTestId('batch-progress-bar') as HTMLProgressElement).value).toBe(4);
    expect(screen.queryByTestId('batch-cancel')).toBeNull();
    // «Salvar como…» closed without a file: nothing written, a calm line; then saved where the clerk chose.
    exportAnswer = null;
    await fireEvent.click(screen.getByTestId('batch-export'));
    expect((await screen.findByTestId('batch-export-cancelled')).textContent).toMatch(/^Nada foi gravado/);
    expect(screen.queryByTestId('batch-error')).toBeNull();
    exportAnswer = '/home/atendente/Downloads/lista-resultado.csv';
    await fireEvent.click(screen.getByTestId('batch-export'));
    expect((await screen.findByTestId('batch-export-path')).textContent).toContain('/home/atendente/Downloads/lista-resultado.csv');
    expect(screen.queryByTestId('batch-export-cancelled')).toBeNull();
    expect(screen.getByTestId('batch-export-open-folder').textContent?.trim()).toBe('Abrir pasta');
    // One subscription when the screen opened, one more just before the start (in case the first was refused while
    // start-up was reading the lock), and nothing asked again once finished.
    expect(callsOf(calls, 'batch_follow')).toHaveLength(2);
    const n = calls.length;
    await new Promise((r) => setTimeout(r, 900));
    expect(calls.length).toBe(n);
    expect(callsOf(calls, 'batch_export')).toHaveLength(2);
  });

  it('a start answered after Rust already streamed a newer progress does not take the screen back', async () => {
    const stream = follower();
    const started = deferred<BatchProgress>();
    mockCommands({
      batch_saved: () => null,
      batch_follow: stream.handler(null),
      batch_choose_file: () => preview,
      batch_start: () => started.promise,
    });
    render(Lote);
    await choose();
    await fireEvent.click(await screen.findByTestId('batch-start'));
    stream.send(prog({ state: 'completed', doneRows: 4, found: 1, notFound: 1, numbersDone: 2, secondsLeft: 0 }));
    await waitFor(() => expect(screen.getByTestId('batch-progress').dataset.state).toBe('completed'));
    started.resolve(prog({}));
    await new Promise((r) => setTimeout(r, 50));
    expect(screen.getByTestId('batch-progress').dataset.state).toBe('completed');
  });

  it('a batch already running when the screen opens is shown, and followed from then on', async () => {
    const stream = follower();
    const calls = mockCommands({ batch_follow: stream.handler(prog({ doneRows: 2, found: 1 })) });
    render(Lote);
    await waitFor(() => expect(screen.getByTestId('batch-done').textContent).toBe('2 de 4'));
    expect(callsOf(calls, 'batch_saved')).toHaveLength(0);
    stream.send(prog({ doneRows: 3, found: 2 }));
    await waitFor(() => expect(screen.getByTestId('batch-done').textContent).toBe('3 de 4'));
  });

  it('cancels at any moment, keeps what was done, and resumes', async () => {
    const stream = follower();
    const calls = mockCommands({
      batch_saved: () => null,
      batch_follow: stream.handler(prog({ doneRows: 2, found: 1 })),
      batch_cancel: () => {
        // Rust stops after the calls in flight, then streams the final state.
        setTimeout(() => {
          stream.send(prog({ state: 'cancelling', doneRows: 2, found: 1 }));
          stream.send(
            prog({ state: 'cancelled', doneRows: 2, found: 1, resumeHint: 'Retome o lote para consultar os 1 números restantes.' }),
          );
        }, 10);
        return null;
      },
      batch_resume: () => prog({ doneRows: 2, found: 1 }),
    });
    render(Lote);
    await fireEvent.click(await screen.findByTestId('batch-cancel'));
    await waitFor(() => expect(screen.getByTestId('batch-progress').dataset.state).toBe('cancelled'));
    expect(screen.getByTestId('batch-found').textContent).toBe('1');
    expect(screen.getByTestId('batch-resume-hint').textContent).toContain('Retome');
    expect(screen.getByTestId('batch-export')).toBeTruthy();
    await fireEvent.click(screen.getByTestId('batch-resume-retry'));
    await waitFor(() => expect(screen.getByTestId('batch-progress').dataset.state).toBe('running'));
    expect(callsOf(calls, 'batch_resume')[0]!.args).toEqual({ retryFailed: true });
  });

  it('shows why a batch stopped (quota) and offers to resume', async () => {
    mockCommands({
      batch_saved: () => null,
      batch_follow: () =>
        prog({
          state: 'stopped',
          stop: { code: 'QuotaExhausted', message: 'A cota contratada acabou.' },
          resumeHint: 'Retome quando a cota for renovada.',
        }),
    });
    render(Lote);
    const reason = await screen.findByTestId('batch-stop-reason');
    expect(reason.dataset.code).toBe('QuotaExhausted');
    expect(reason.textContent).toContain('cota contratada acabou');
    expect(screen.getByTestId('batch-resume')).toBeTruthy();
    expect(screen.getByTestId('batch-discard')).toBeTruthy();
  });

  it('offers a batch saved in an earlier session: the same file reopens it, then resumes', async () => {
    const calls = mockCommands({
      batch_follow: () => null,
      batch_saved: () => saved,
      batch_choose_file: () => ({ ...preview, estimate: { ...preview.estimate, alreadyDone: 1, toLookUp: 1, calls: 1, billableMax: 1 } }),
      batch_resume: () => prog({}),
    });
    render(Lote);
    expect((await screen.findByTestId('batch-saved')).textContent).toContain('lista.csv');
    await choose();
    await screen.findByTestId('batch-preview');
    expect((callsOf(calls, 'batch_choose_file')[0]!.args as { reopen: boolean }).reopen).toBe(true);
    expect(screen.getByTestId('batch-estimate-done').textContent).toBe('1');
    expect(screen.queryByTestId('batch-start')).toBeNull();
    await fireEvent.click(screen.getByTestId('batch-resume'));
    await screen.findByTestId('batch-progress');
    expect(callsOf(calls, 'batch_resume')[0]!.args).toEqual({ retryFailed: false });
  });

  it('discards a saved batch only after confirmation', async () => {
    const calls = mockCommands({ batch_follow: () => null, batch_saved: () => saved, batch_discard: () => null });
    render(Lote);
    await fireEvent.click(await screen.findByTestId('batch-discard'));
    expect(callsOf(calls, 'batch_discard')).toHaveLength(0);
    await fireEvent.click(screen.getByTestId('batch-discard-yes'));
    await waitFor(() => expect(screen.queryByTestId('batch-saved')).toBeNull());
    expect(callsOf(calls, 'batch_discard')).toHaveLength(1);
  });
});
