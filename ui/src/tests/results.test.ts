// Result shapes: CPF (regular, deceased, partial, from history) and CNPJ (empresa, basica, filial qsa), view switch.
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import CnpjResult from '../components/CnpjResult.svelte';
import CpfResult from '../components/CpfResult.svelte';
import type { CnpjRecord } from '../lib/bindings/CnpjRecord';
import type { CpfRecord } from '../lib/bindings/CpfRecord';
import { shownFromEntry, shownFromLookup, type Shown } from '../lib/state.svelte';
import * as fx from './fixtures';

function live(r: CpfRecord | CnpjRecord, opts: Parameters<typeof fx.response>[1] = {}): Shown {
  return shownFromLookup(fx.response(r, opts), {
    input: 'x',
    view: null,
    purpose: null,
    authorizationCode: null,
    doNotRecord: false,
  });
}

function text(id: string): string {
  return screen.getByTestId(id).textContent?.replace(/\s+/g, ' ').trim() ?? '';
}

describe('CPF result', () => {
  it('shows verdict, names, dates with age, contact and every extra field', () => {
    render(CpfResult, { shown: live(fx.cpfRegular), record: fx.cpfRegular });
    expect(screen.getByTestId('result-verdict').dataset.severity).toBe('ok');
    expect(screen.getByTestId('result-verdict').className).toContain('sev-ok');
    expect(text('result-status')).toBe('Regular');
    expect(text('result-number')).toBe('404.428.201-35');
    expect(text('result-name')).toBe('Nome do CPF 404.428.201-35');
    expect(text('result-social-name')).toBe('Nome Social Exemplo');
    expect(text('result-birth-date')).toMatch(/^15\/01\/1980 \(\d+ anos\)$/);
    expect(text('result-registration-date')).toBe('02/06/1998');
    expect(text('result-mother-name')).toBe('Mãe Exemplo da Silva');
    expect(text('result-address')).toContain('Rua das Flores, 100, apto 12');
    expect(text('result-address')).toContain('70040-010');
    expect(text('result-address')).toContain('Brasília/DF');
    expect(text('result-phones')).toBe('(61) 3333-4444');
    expect(text('result-resident-abroad')).toBe('Não');
    expect(screen.queryByTestId('result-foreigner')).toBeNull();
    expect(text('extra-tituloEleitor')).toBe('0123 4567 8901');
    expect(text('result-consulted-at')).toMatch(/^Consultado em 26\/11\/2026 \d\d:\d\d$/);
    expect(text('result-api')).toContain('SERPRO Consulta CPF v2');
    expect(screen.queryByTestId('result-death-year')).toBeNull();
    expect(screen.queryByTestId('result-partial')).toBeNull();
    expect(screen.getByTestId('result-raw').textContent).toContain('Ver resposta original');
  });

  it('shows a deceased holder as a danger verdict with the death year, age at death', () => {
    render(CpfResult, { shown: live(fx.cpfDeceased), record: fx.cpfDeceased });
    expect(screen.getByTestId('result-verdict').dataset.severity).toBe('danger');
    expect(text('result-status')).toBe('Titular falecido');
    expect(text('result-death-year')).toBe('2019');
    expect(text('result-age')).toBe('(38 anos)');
    expect(screen.queryByTestId('result-extra')).toBeNull();
  });

  it('marks a partial (206) answer and a lookup kept out of the history', () => {
    render(CpfResult, { shown: live(fx.cpfRegular, { partial: true, historyId: null }), record: fx.cpfRegular });
    expect(text('result-partial')).toMatch(/parcial/);
    expect(text('result-not-recorded')).toBe('Não registrado no histórico');
  });

  it('shows the age of a record opened from the history', () => {
    const e = fx.entry(fx.summary(3, fx.cpfRegular, '2020-01-01T12:00:00Z'), fx.cpfRegular);
    const shown = shownFromEntry(e)!;
    render(CpfResult, { shown, record: fx.cpfRegular });
    expect(text('result-history-age')).toMatch(/^Do histórico — consulta feita há \d+ anos$/);
  });

  it('copies the number and the name', async () => {
    render(CpfResult, { shown: live(fx.cpfRegular), record: fx.cpfRegular });
    await fireEvent.click(screen.getByTestId('copy-number'));
    expect(navigator.clipboard.writeText).toHaveBeenCalledWith('404.428.201-35');
    await fireEvent.click(screen.getByTestId('copy-name'));
    expect(navigator.clipboard.writeText).toHaveBeenCalledWith('Nome do CPF 404.428.201-35');
    expect(screen.getByTestId('copy-name').textContent?.trim()).toBe('Copiado');
  });

  it('shows a dash for what the API did not give', () => {
    const bare: CpfRecord = {
      ...fx.cpfRegular,
      name: null,
      socialName: null,
      birthDate: null,
      registrationDate: 'anterior a 10/11/1990',
      motherName: null,
      sex: null,
      address: null,
      phones: [],
      residentAbroad: null,
      updatedOn: null,
      extra: [],
      status: { code: '7', label: 'Situação 7', severity: 'neutral', date: null, reason: null, unknown: true },
    };
    render(CpfResult, { shown: live(bare), record: bare });
    expect(text('result-name')).toBe('—');
    expect(text('result-birth-date')).toBe('—');
    expect(text('result-registration-date')).toBe('anterior a 10/11/1990');
    expect(screen.getByTestId('result-verdict').dataset.severity).toBe('neutral');
    expect(screen.queryByTestId('copy-name')).toBeNull();
  });

  // Issue #15: a code outside SERPRO's table (apis.md §1.2, §8 A3) keeps its code and the API's own label, flagged.
  it('shows an unknown situação with its code and the API label, flagged as unknown', () => {
    const odd: CpfRecord = {
      ...fx.cpfRegular,
      status: {
        code: '7',
        label: 'Cancelada por Óbito Sem Espólio',
        severity: 'neutral',
        date: null,
        reason: null,
        unknown: true,
      },
    };
    render(CpfResult, { shown: live(odd), record: odd });
    expect(text('result-status')).toBe('Cancelada por Óbito Sem Espólio (código 7, não reconhecido)');
    expect(screen.getByTestId('result-status').dataset.unknown).toBe('true');
    expect(text('result-status-unknown')).toContain('O código 7 não consta das tabelas');
  });

  it('shows a known situação without the unknown flag', () => {
    render(CpfResult, { shown: live(fx.cpfRegular), record: fx.cpfRegular });
    expect(screen.getByTestId('result-status').dataset.unknown).toBeUndefined();
    expect(screen.queryByTestId('result-status-unknown')).toBeNull();
  });
});

describe('CNPJ result', () => {
  it('shows an empresa view in full: status date and reason, matriz, CNAEs, capital in reais, Simples/MEI, partners', () => {
    render(CnpjResult, { shown: live(fx.cnpjEmpresa), record: fx.cnpjEmpresa, onview: vi.fn() });
    expect(text('result-number')).toBe('34.238.864/0001-68');
    expect(text('result-status')).toBe('Ativa');
    expect(text('result-status-date')).toBe('Data da situação: 03/11/2005');
    expect(text('result-status-reason')).toBe('Motivo: Sem motivo');
    expect(text('result-establishment')).toBe('Matriz');
    expect(text('result-name')).toBe('Empresa Exemplo Ltda');
    expect(text('result-trade-name')).toBe('Exemplo');
    expect(text('result-legal-nature')).toBe('2062 — Sociedade Empresária Limitada');
    expect(text('result-opening-date')).toBe('03/11/2005');
    expect(text('result-main-activity')).toContain('6201501 — Desenvolvimento');
    expect(text('result-secondary-activities')).toContain('6204000 — Consultoria');
    expect(text('result-address')).toContain('Avenida Central, 1');
    expect(text('result-phones')).toBe('(61) 99999-8888');
    expect(text('result-email')).toBe('contato@exemplo.com.br');
    expect(text('result-capital')).toMatch(/^R\$\s123\.456,78$/);
    expect(text('result-size')).toBe('03 — Empresa de pequeno porte');
    expect(text('result-simples')).toContain('Optante');
    expect(text('result-simples')).toContain('de 01/01/2010 até 31/12/2015');
    expect(text('result-simples')).toContain('desde 01/01/2018');
    expect(text('result-mei')).toBe('Não optante');
    const rows = screen.getAllByTestId('partner-row');
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByText('49 — Sócio-Administrador')).toBeTruthy();
    expect(rows[1]!.textContent).toContain('Representante Exemplo');
    expect(rows[1]!.textContent).toContain('(Procurador)');
    expect(rows[1]!.textContent).toContain('Estados Unidos');
    expect((screen.getByTestId('view-empresa') as HTMLInputElement).checked).toBe(true);
  });

  it('shows the basica view without partners, Simples or MEI, and says why', () => {
    render(CnpjResult, { shown: live(fx.cnpjBasica), record: fx.cnpjBasica, onview: vi.fn() });
    expect(text('partners-none')).toMatch(/visão básica/);
    expect(text('result-simples')).toBe('Não vem na visão básica');
    expect(text('result-establishment')).toBe('Estabelecimento: não informado pela API');
    expect(text('result-capital')).toBe('—');
  });

  it('shows a filial as the API states it, with a danger verdict', () => {
    render(CnpjResult, { shown: live(fx.cnpjFilialQsa), record: fx.cnpjFilialQsa, onview: vi.fn() });
    expect(text('result-establishment')).toBe('Filial');
    expect(text('result-number')).toBe('12.ABC.345/01DE-35');
    expect(screen.getByTestId('result-verdict').dataset.severity).toBe('danger');
    expect(text('result-status-reason')).toContain('Extinção');
    expect(screen.getAllByTestId('partner-row')[0]!.textContent).toContain('—');
  });

  it('switches the view through the callback', async () => {
    const onview = vi.fn();
    render(CnpjResult, { shown: live(fx.cnpjBasica), record: fx.cnpjBasica, onview });
    await fireEvent.click(screen.getByTestId('view-qsa'));
    expect(onview).toHaveBeenCalledWith('qsa');
  });

  it('disables the view switch while a lookup runs or when no switch is possible', () => {
    render(CnpjResult, { shown: live(fx.cnpjBasica), record: fx.cnpjBasica });
    expect((screen.getByTestId('view-qsa') as HTMLInputElement).disabled).toBe(true);
  });
});
