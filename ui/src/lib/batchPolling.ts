//! Following a running batch from Lote: asks the shell for its progress every 400 ms until the batch is over, and
//! refreshes the status bar's quota as the calls go. The one place that polls (issue 14 replaces it with a Channel).

import type { AppError } from './bindings/AppError';
import type { BatchProgress } from './contract';
import { ipc } from './ipc';
import { app } from './state.svelte';

const POLL_MS = 400;
const STATUS_EVERY = 5; // ticks: the status bar is refreshed every 2 s while a batch runs

/** Starts polling; `onprogress` gets each answer, `onerror` a failed ask (polling then stops). Returns the stop. */
export function pollBatchProgress(
  onprogress: (p: BatchProgress) => void,
  onerror: (e: AppError) => void,
): () => void {
  let ticks = 0;
  const timer = setInterval(async () => {
    try {
      const p = await ipc.batchProgress();
      if (p) onprogress(p);
      const over = !p || !(p.state === 'running' || p.state === 'cancelling');
      if (over) clearInterval(timer);
      // The status bar's quota follows the batch's calls: every few ticks, and once at the end.
      ticks += 1;
      if (over || ticks % STATUS_EVERY === 0) void app.refreshStatus();
    } catch (e) {
      onerror(e as AppError);
      clearInterval(timer);
    }
  }, POLL_MS);
  return () => clearInterval(timer);
}
