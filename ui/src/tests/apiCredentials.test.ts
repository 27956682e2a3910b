// Configurações: one credential per API for a Conecta profile (#15), the shared one only for SERPRO.
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import ApiCredentials from '../components/ApiCredentials.svelte';
import type { Profile } from '../lib/bindings/Profile';
import type { ProfileEntry } from '../lib/bindings/ProfileEntry';
import * as fx from './fixtures';
import { callsOf, mockCommands } from './helpers';

const conecta: Profile = {
  ...fx.profileList[1]!,
  id: 'conecta-h',
  name: 'Conecta homologação',
  provider: 'conecta',
  environment: 'homologacao',
  baseUrl: 'https://h-apigateway.conectagov.np.estaleiro.serpro.gov.br',
  cpfApi: 'conectaLight',
  cnpjViews: ['basica'],
  clerkCpf: '000.000.001-91',
};

const entry: ProfileEntry = {
  profile: conecta,
  credentials: 'missing',
  managed: false,
  apiCredentials: [
    { api: 'conectaCpfLight', state: 'defined' },
    { api: 'conectaCnpj', state: 'missing' },
  ],
};

describe('ApiCredentials', () => {
  it('shows one credential form per API of a Conecta profile, with its state and never a value', async () => {
    mockCommands({ profiles_list: () => [entry] });
    render(ApiCredentials, { profile: conecta, stored: entry.apiCredentials });
    const forms = await screen.findAllByTestId('api-credentials-form');
    expect(forms.map((f) => f.dataset.api)).toEqual(['conectaCpfLight', 'conectaCnpj']);
    await waitFor(() =>
      expect(screen.getAllByTestId('api-credentials-state')[0]!.textContent).toContain(
        'Conecta CPF Light: credencial própria definida',
      ),
    );
    expect(screen.getAllByTestId('api-credentials-state')[1]!.textContent).toContain('usa as credenciais comuns');
  });

  it('writes the CNPJ credential for the CNPJ API only and clears the fields', async () => {
    const calls = mockCommands({ profiles_list: () => [entry], profile_set_credentials: () => null });
    render(ApiCredentials, { profile: conecta, stored: entry.apiCredentials });
    const forms = await screen.findAllByTestId('api-credentials-form');
    const cnpj = forms[1]!;
    const id = cnpj.querySelector('[data-testid="api-client-id"]') as HTMLInputElement;
    const secret = cnpj.querySelector('[data-testid="api-client-secret"]') as HTMLInputElement;
    await fireEvent.input(id, { target: { value: ' cnpj-id ' } });
    await fireEvent.input(secret, { target: { value: 'cnpj-secret' } });
    await fireEvent.click(cnpj.querySelector('[data-testid="api-credentials-save"]')!);
    await waitFor(() => expect(callsOf(calls, 'profile_set_credentials')).toHaveLength(1));
    expect(callsOf(calls, 'profile_set_credentials')[0]!.args).toEqual({
      id: 'conecta-h',
      api: 'conectaCnpj',
      clientId: 'cnpj-id',
      clientSecret: 'cnpj-secret',
    });
    await waitFor(() =>
      expect(screen.getAllByTestId('api-credentials-state')[1]!.textContent).toContain('credencial própria definida'),
    );
    expect(id.value).toBe('');
    expect(secret.value).toBe('');
    expect(screen.getByTestId('api-credentials-message').textContent).toContain('Conecta Consulta CNPJ v2');
  });

  it('refuses an empty pair without calling Rust', async () => {
    const calls = mockCommands({ profiles_list: () => [entry], profile_set_credentials: () => null });
    render(ApiCredentials, { profile: conecta, stored: entry.apiCredentials });
    const forms = await screen.findAllByTestId('api-credentials-form');
    await fireEvent.click(forms[0]!.querySelector('[data-testid="api-credentials-save"]')!);
    expect(screen.getByTestId('api-credentials-message').textContent).toBe('Preencha o client ID e o secret.');
    expect(callsOf(calls, 'profile_set_credentials')).toHaveLength(0);
  });

  it('shows nothing for a SERPRO profile: its one credential is the shared one', async () => {
    mockCommands({ profiles_list: () => fx.profiles });
    render(ApiCredentials, { profile: fx.profileList[1]! });
    await Promise.resolve();
    expect(screen.queryByTestId('api-credentials')).toBeNull();
  });
});
