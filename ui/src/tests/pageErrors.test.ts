// An error thrown in the page or a promise rejected with no handler: written to the log through `page_error` and
// explained by a calm pt-BR notice with the way to the diagnostics, instead of a frozen screen.
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import PageErrorNotice from '../components/app/PageErrorNotice.svelte';
import { listen, pageErrors } from '../lib/pageErrors.svelte';
import { app } from '../lib/state.svelte';
import { callsOf, mockCommands } from './helpers';

let stop: (() => void) | null = null;
afterEach(() => {
  stop?.();
  stop = null;
  pageErrors.open = false;
});

describe('errors thrown in the page', () => {
  it('an error event is logged through page_error and the notice offers the diagnostics', async () => {
    const calls = mockCommands({ page_error: () => null });
    render(PageErrorNotice);
    stop = listen(window);
    window.dispatchEvent(
      new ErrorEvent('error', { error: new TypeError('x is undefined'), message: 'x is undefined', filename: 'app.js', lineno: 3, colno: 7 }),
    );
    const notice = await screen.findByTestId('page-error');
    expect(notice.getAttribute('role')).toBe('alertdialog');
    expect(notice.textContent).toContain('Algo não saiu como esperado');
    expect(notice.textContent).toContain('Alt+5');
    await waitFor(() => expect(callsOf(calls, 'page_error')).toHaveLength(1));
    const args = callsOf(calls, 'page_error')[0]!.args;
    expect(args.kind).toBe('error');
    expect(args.message).toBe('TypeError: x is undefined');
    expect(String(args.source)).toContain('app.js:3:7');
    await fireEvent.click(screen.getByTestId('page-error-diagnostics'));
    expect(app.screen).toBe('config');
    expect(screen.queryByTestId('page-error')).toBeNull();
  });

  it('an unhandled rejection is logged as one too, and Esc closes the notice', async () => {
    const calls = mockCommands({ page_error: () => null });
    render(PageErrorNotice);
    stop = listen(window);
    const e = new Event('unhandledrejection') as PromiseRejectionEvent;
    Object.defineProperty(e, 'reason', { value: { code: 'Internal', message: 'falhou' } });
    window.dispatchEvent(e);
    const notice = await screen.findByTestId('page-error');
    await waitFor(() => expect(callsOf(calls, 'page_error')).toHaveLength(1));
    expect(callsOf(calls, 'page_error')[0]!.args).toMatchObject({ kind: 'rejection', message: 'falhou' });
    await fireEvent.keyDown(notice, { key: 'Escape' });
    expect(screen.queryByTestId('page-error')).toBeNull();
  });
});
