// capitalSocial end to end, UI side (issue #15): the same fixture the simulator and client tests read
// (balcao-sim tests/contract/answers.rs, balcao-gov tests/answers.rs) gives, per shape, the centavos the record
// carries; the result screen must show each as the R$ text listed there. Sources: apis.md §1.3, §6.4, §8 A6.
import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import CnpjResult from '../components/CnpjResult.svelte';
import type { CnpjRecord } from '../lib/bindings/CnpjRecord';
import { reais } from '../lib/format';
import { shownFromLookup } from '../lib/state.svelte';
import shapes from './capital-shapes.json';
import * as fx from './fixtures';

/** The browser's currency format puts a no-break space after «R$»: compare the visible text. */
const visible = (s: string) => s.replace(/\u00a0/g, ' ');

describe('capital social in every shape', () => {
  it.each(shapes.cases)('$shape → $shown', ({ capitalCents, shown }) => {
    expect(visible(reais(capitalCents))).toBe(shown);
    const record: CnpjRecord = { ...fx.cnpjEmpresa, capitalCents: capitalCents };
    render(CnpjResult, {
      shown: shownFromLookup(fx.response(record), {
        input: 'x',
        view: null,
        purpose: null,
        authorizationCode: null,
        doNotRecord: false,
      }),
      record,
    });
    expect(visible(screen.getByTestId('result-capital').textContent ?? '').trim()).toBe(shown);
  });

  it('shows «—» when the API gave no capital', () => {
    expect(reais(null)).toBe('—');
  });
});
