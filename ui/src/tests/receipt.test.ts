// Recibo: empty state, every field of one lookup (live and from history), the demo note, printing.
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { app, shownFromEntry, shownFromLookup } from '../lib/state.svelte';
import Recibo from '../screens/Recibo.svelte';
import * as fx from './fixtures';
import { callsOf, mockCommands } from './helpers';

describe('Recibo', () => {
  it('explains how to get a receipt when nothing was looked up', () => {
    mockCommands();
    render(Recibo);
    expect(screen.getByTestId('receipt-empty').textContent).toMatch(/Alt\+1/);
    expect(screen.queryByTestId('receipt-print')).toBeNull();
  });

  it('shows what was consulted, verdict, when, clerk, profile and environment, and prints', async () => {
    mockCommands();
    app.info = fx.appInfoProd;
    app.settings = fx.settings;
    app.current = shownFromLookup(fx.response(fx.cpfRegular, { historyId: 9 }), {
      input: '404.428.201-35',
      view: null,
      purpose: 'Protocolo 55/2026',
      authorizationCode: null,
      doNotRecord: false,
    });
    render(Recibo);
    const txt = (id: string) => screen.getByTestId(id).textContent?.trim();
    expect(txt('receipt-number')).toBe('404.428.201-35');
    expect(txt('receipt-name')).toBe('Nome do CPF 404.428.201-35');
    expect(txt('receipt-verdict')).toBe('Regular');
    expect(txt('receipt-when')).toMatch(/^26\/11\/2026 \d\d:\d\d$/);
    expect(txt('receipt-clerk')).toBe('111.444.777-35');
    expect(txt('receipt-profile')).toBe('SERPRO Produção');
    expect(txt('receipt-environment')).toBe('Produção');
    expect(txt('receipt-purpose')).toBe('Protocolo 55/2026');
    expect(screen.getByTestId('receipt').textContent).toContain('act-123');
    expect(screen.queryByTestId('receipt-demo')).toBeNull();
    expect(document.activeElement).toBe(screen.getByTestId('receipt-print'));
    await fireEvent.click(screen.getByTestId('receipt-print'));
    expect(window.print).toHaveBeenCalledTimes(1);
  });

  it('marks a Demonstração receipt as having no value as proof', () => {
    mockCommands();
    app.current = shownFromEntry(fx.entry(fx.historyItems[1]!, fx.cnpjEmpresa));
    render(Recibo);
    expect(screen.getByTestId('receipt-environment').textContent?.trim()).toBe('Demonstração');
    expect(screen.getByTestId('receipt-demo').textContent).toMatch(/sem valor de comprovação/);
    expect(screen.getByTestId('receipt-clerk').textContent?.trim()).toBe('não configurado');
  });

  it('saves as PDF through Rust (no path or content from the page); a closed dialog writes nothing, calmly', async () => {
    let answer: string | null = null;
    const calls = mockCommands({ receipt_save_pdf: () => answer, export_open_folder: () => null });
    app.current = shownFromEntry(fx.entry(fx.historyItems[1]!, fx.cnpjEmpresa));
    render(Recibo);
    await fireEvent.click(screen.getByTestId('receipt-pdf'));
    await waitFor(() => expect(screen.getByTestId('receipt-pdf-cancelled').textContent).toMatch(/^Nada foi gravado/));
    answer = '/home/atendente/Documentos/recibo.pdf';
    await fireEvent.click(screen.getByTestId('receipt-pdf'));
    await waitFor(() =>
      expect(screen.getByTestId('receipt-pdf-path').textContent).toBe('Recibo gravado em /home/atendente/Documentos/recibo.pdf'),
    );
    expect(screen.queryByTestId('receipt-pdf-cancelled')).toBeNull();
    expect(callsOf(calls, 'receipt_save_pdf').map((c) => c.args)).toEqual([{}, {}]);
    await fireEvent.click(screen.getByTestId('receipt-pdf-open-folder'));
    await waitFor(() => expect(callsOf(calls, 'export_open_folder')).toHaveLength(1));
  });
});
