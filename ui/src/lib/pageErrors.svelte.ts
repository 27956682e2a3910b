//! Errors thrown in the page (`error` events, unhandled promise rejections): each written to Balcão's log through
//! `page_error`, and a calm notice shown instead of a frozen screen (components/app/PageErrorNotice.svelte).

import { ipc } from './ipc';

/** Whether the notice shows, and how many errors the page met (the notice says it once, however many). */
class PageErrors {
  open = $state(false);
  count = $state(0);
}

export const pageErrors = new PageErrors();

/** Reports sent to the log in this window: a page failing in a loop sends a few, not thousands (Rust caps too). */
const MAX_SENT = 20;
let sent = 0;

function describe(value: unknown): { message: string; source: string } {
  if (value instanceof Error) return { message: `${value.name}: ${value.message}`, source: value.stack ?? '' };
  if (typeof value === 'object' && value !== null && 'message' in value) {
    const m = (value as { message: unknown }).message;
    return { message: typeof m === 'string' ? m : String(m), source: '' };
  }
  return { message: String(value), source: '' };
}

/** Logs one error and shows the notice. Never throws: a failure here must not start a loop. */
export function report(kind: 'error' | 'rejection', value: unknown, where = ''): void {
  try {
    pageErrors.count += 1;
    pageErrors.open = true;
    if (sent >= MAX_SENT) return;
    sent += 1;
    const { message, source } = describe(value);
    ipc.pageError(kind, message, [where, source].filter(Boolean).join(' ')).catch(() => {});
  } catch {
    // Nothing more can be done from the page.
  }
}

/** Listens for both kinds on `target` (the window); returns the function that stops listening. */
export function listen(target: Window = window): () => void {
  const onError = (e: ErrorEvent) => {
    // A resource that failed to load also fires `error` (without an Error object, on the element): not a page bug.
    if (!(e instanceof ErrorEvent)) return;
    report('error', e.error ?? e.message, e.filename ? `${e.filename}:${e.lineno}:${e.colno}` : '');
  };
  const onRejection = (e: PromiseRejectionEvent) => report('rejection', e.reason);
  target.addEventListener('error', onError);
  target.addEventListener('unhandledrejection', onRejection);
  return () => {
    target.removeEventListener('error', onError);
    target.removeEventListener('unhandledrejection', onRejection);
  };
}
