// «Outras bases» (#19): the declared bases that apply to the record on screen, asked with what they need, their
// labelled fields and «nada consta»; the ones IT marked asked with the lookup; a repeated label never breaks it.
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import BasesPanel from '../components/BasesPanel.svelte';
import type { BaseAnswer } from '../lib/bindings/BaseAnswer';
import type { BaseOffer } from '../lib/bindings/BaseOffer';
import type { Shown } from '../lib/state.svelte';
import * as fx from './fixtures';
import { callsOf, fail, mockCommands } from './helpers';

const shown: Shown = {
  record: { kind: 'cpf', ...fx.cpfRegular },
  formatted: '404.428.201-35',
  consultedAt: '2026-12-07T10:00:00Z',
  historyId: 7,
  meta: null,
  partial: false,
  raw: null,
  purpose: 'Protocolo 9',
  source: 'live',
  profileName: 'Demonstração',
  environment: 'demonstracao',
  clerkCpf: null,
};

const offers: BaseOffer[] = [
  { id: 'renda', name: 'Consulta Renda', needs: ['autorizacao'], fetchWithLookup: false },
  { id: 'cadunico', name: 'CadÚnico', needs: [], fetchWithLookup: false },
];

function answer(found: boolean): BaseAnswer {
  return {
    baseId: 'cadunico',
    name: 'CadÚnico',
    found,
    fields: found
      ? [
          { label: 'Situação', value: 'Cadastrado (2)', items: [], unexpected: false },
          { label: 'Situação', value: null, items: [], unexpected: false },
        ]
      : [],
    meta: { api: 'extraBase', httpStatus: found ? 200 : 404, latencyMs: 3, activityId: null, billable: true },
    consultedAt: '2026-12-07T10:01:00Z',
    raw: '{}',
  };
}

describe('BasesPanel', () => {
  it('asks a base with the lookup’s number, entry and purpose and shows its labelled fields', async () => {
    const calls = mockCommands({
      bases_offers: () => offers,
      bases_lookup: () => ({ answer: answer(true), saved: true, changed: [], previousAt: undefined }),
    });
    render(BasesPanel, { shown });
    await fireEvent.click(await screen.findByTestId('base-ask-cadunico'));
    const fields = await screen.findByTestId('base-fields-cadunico');
    expect(fields.textContent).toContain('Cadastrado (2)');
    expect(fields.textContent).toContain('não informado');
    const sent = callsOf(calls, 'bases_lookup')[0]!.args['request'] as Record<string, unknown>;
    expect(sent).toMatchObject({ baseId: 'cadunico', input: '404.428.201-35', historyId: 7, purpose: 'Protocolo 9' });
  });

  it('refuses before any call a base whose e-CAC code is missing, and shows «nada consta»', async () => {
    const calls = mockCommands({
      bases_offers: () => offers,
      bases_lookup: () => ({ answer: answer(false), saved: true, changed: [], previousAt: undefined }),
    });
    render(BasesPanel, { shown });
    await fireEvent.click(await screen.findByTestId('base-ask-renda'));
    expect((await screen.findByTestId('base-error-renda')).textContent).toContain('e-CAC');
    expect(callsOf(calls, 'bases_lookup')).toHaveLength(0);
    await fireEvent.click(screen.getByTestId('base-ask-cadunico'));
    await screen.findByTestId('base-not-found-cadunico');
  });

  it('asks the bases IT marked with the lookup and shows a failure in pt-BR', async () => {
    const calls = mockCommands({
      bases_offers: () => [{ ...offers[1]!, fetchWithLookup: true }],
      bases_lookup: fail('QuotaExhausted', 'A cota de 1 consultas de «CadÚnico» deste perfil acabou.'),
    });
    render(BasesPanel, { shown });
    await waitFor(() => expect(callsOf(calls, 'bases_lookup')).toHaveLength(1));
    expect((await screen.findByTestId('base-error-cadunico')).textContent).toContain('cota');
  });
});
