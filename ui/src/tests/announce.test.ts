// The lookup's verdict is said once to a screen reader: one live region, always in the page, filled when the lookup
// ends (record or error), emptied when the next one starts; the result area itself is not live, and the verdict
// shows text and an icon, never colour alone.
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../App.svelte';
import type { LookupResponse } from '../lib/bindings/LookupResponse';
import * as fx from './fixtures';
import { deferred, fail, mockCommands } from './helpers';

async function start(handlers: Parameters<typeof mockCommands>[0]) {
  mockCommands(handlers);
  render(App);
  return (await screen.findByTestId('lookup-input')) as HTMLInputElement;
}

async function lookUp(input: HTMLInputElement, value: string) {
  input.value = value;
  input.setSelectionRange(value.length, value.length);
  await fireEvent.input(input);
  await fireEvent.submit(input.form!);
}

/** Every text the live region took, in order (what a screen reader would be told). */
function record(region: HTMLElement): string[] {
  const said: string[] = [];
  new MutationObserver(() => said.push(region.textContent ?? '')).observe(region, {
    childList: true,
    characterData: true,
    subtree: true,
  });
  return said;
}

describe('lookup announcements', () => {
  it('says a CPF verdict exactly once when the lookup ends, and nothing else in the result is live', async () => {
    const d = deferred<LookupResponse>();
    const input = await start({ lookup: () => d.promise });
    const region = screen.getByTestId('lookup-announcer');
    expect(region.getAttribute('role')).toBe('status');
    expect(region.getAttribute('aria-live')).toBe('polite');
    const said = record(region);
    await lookUp(input, '404.428.201-35');
    await screen.findByTestId('lookup-loading');
    d.resolve(fx.response(fx.cpfRegular));
    await screen.findByTestId('result-name');
    await waitFor(() => expect(said.filter(Boolean)).toHaveLength(1));
    expect(said.filter(Boolean)[0]).toBe(
      'Consulta concluída: CPF 404.428.201-35, Nome do CPF 404.428.201-35. Situação cadastral: Regular.',
    );
    // No other live region inside the result: the record is not read out a second time.
    const live = [...document.querySelectorAll('[aria-live], [role="status"], [role="alert"]')].filter(
      (el) => el !== region && el.closest('.result-area'),
    );
    expect(live.map((el) => el.outerHTML.slice(0, 80))).toEqual([]);
    // The verdict: text and an icon, not colour alone.
    const verdict = screen.getByTestId('result-verdict');
    expect(verdict.querySelector('.glyph')?.textContent?.trim()).toBe('✓');
    expect(screen.getByTestId('result-status').textContent?.trim()).toBe('Regular');
  });

  it('says the same verdict again for a second lookup, and an error once', async () => {
    let n = 0;
    const input = await start({
      lookup: () => {
        n += 1;
        return n < 3 ? fx.response(fx.cpfRegular) : fail('Network')({});
      },
    });
    const region = screen.getByTestId('lookup-announcer');
    const said = record(region);
    await lookUp(input, '404.428.201-35');
    await waitFor(() => expect(said.filter(Boolean)).toHaveLength(1));
    await lookUp(input, '404.428.201-35');
    await waitFor(() => expect(said.filter(Boolean)).toHaveLength(2));
    expect(said.filter(Boolean)[1]).toBe(said.filter(Boolean)[0]);
    await lookUp(input, '404.428.201-35');
    await screen.findByTestId('lookup-error');
    await waitFor(() => expect(said.filter(Boolean)).toHaveLength(3));
    expect(said.filter(Boolean)[2]).toBe(`Consulta não concluída. ${fx.messages.Network}`);
    await new Promise((r) => setTimeout(r, 50));
    expect(said.filter(Boolean)).toHaveLength(3);
  });
});
