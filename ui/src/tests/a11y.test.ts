// Accessibility basics on every screen with data: each form control has a label, each button a name,
// ids are unique, and every screen has one top-level heading.
import { render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../App.svelte';
import { app, shownFromLookup } from '../lib/state.svelte';
import type { ScreenId } from '../lib/state.svelte';
import * as fx from './fixtures';
import { mockCommands } from './helpers';

function unlabelled(root: HTMLElement): string[] {
  const out: string[] = [];
  for (const el of root.querySelectorAll<HTMLElement>('input, select, textarea')) {
    const id = el.id;
    const byFor = id ? root.querySelector(`label[for="${id}"]`) : null;
    const wrapped = el.closest('label');
    const aria = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!byFor && !wrapped && !aria) out.push(el.outerHTML.slice(0, 120));
  }
  for (const b of root.querySelectorAll<HTMLButtonElement>('button')) {
    if (!b.textContent?.trim() && !b.getAttribute('aria-label')) out.push(b.outerHTML.slice(0, 120));
  }
  return out;
}

function duplicateIds(root: HTMLElement): string[] {
  const seen = new Map<string, number>();
  for (const el of root.querySelectorAll('[id]')) seen.set(el.id, (seen.get(el.id) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
}

const SCREENS: [ScreenId, string][] = [
  ['consulta', 'declaration-panel'],
  ['comparar', 'compare-left-input'],
  ['historico', 'history-table'],
  ['recibo', 'receipt'],
  ['config', 'settings-form'],
  ['inicio', 'first-run'],
];

describe('accessibility basics', () => {
  it.each(SCREENS)('%s: labelled controls, named buttons, unique ids', async (screenId, marker) => {
    mockCommands({
      history_search: () => fx.historyPage,
      history_stats: () => fx.emptyStats,
      profiles_list: () => fx.profiles,
    });
    const { container } = render(App);
    await screen.findByTestId('lookup-input');
    app.current = shownFromLookup(fx.response(fx.cpfRegular), {
      input: 'x',
      view: null,
      purpose: null,
      authorizationCode: null,
      doNotRecord: false,
    });
    app.go(screenId);
    await screen.findByTestId(marker);
    const visibleH1 = () => [...container.querySelectorAll('h1')].filter((h) => !h.closest('[hidden]'));
    await waitFor(() => expect(visibleH1()).toHaveLength(1));
    expect(unlabelled(container)).toEqual([]);
    expect(duplicateIds(container)).toEqual([]);
  });
});
