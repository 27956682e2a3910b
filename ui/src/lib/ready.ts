//! The start-up signal: tells the shell, once per window, that the lookup input is focused and ready (for the benchmark).

import { ipc } from './ipc';

let sent = false;

export function readyOnce(millis: number): void {
  if (sent) return;
  sent = true;
  ipc.uiReady(millis).catch(() => {
    // A shell without the command (or a test) must not break the screen.
  });
}
