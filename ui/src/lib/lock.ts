//! Locking the window: every personal datum leaves the page first, then the shell locks (or signs the clerk out);
//! unlocking starts on an empty Consulta. Called by the window's shortcuts and idle timer and by Configurações.

import type { Action } from './action.svelte';
import type { LockStatus } from './bindings/LockStatus';
import { clearConsulta } from './consulta';
import { t } from './i18n/pt-BR';
import { ipc } from './ipc';
import { app } from './state.svelte';

/** Clears what the previous clerk saw: the lookup, the record on display, the comparison seed. */
function forget(): void {
  clearConsulta();
  app.current = null;
  app.compareSeed = null;
}

/** Clears every personal datum from the window and shows the lock screen. */
export function hideAll(): void {
  forget();
  app.helpOpen = false;
  app.screen = 'consulta';
  app.locked = true;
}

/** Hides everything and locks now: 'idle' from the idle timer, 'clerk' from Ctrl+L or «Bloquear agora». */
export async function lockWindow(reason: 'idle' | 'clerk'): Promise<void> {
  hideAll();
  app.lockReason = reason;
  try {
    app.lock = await ipc.lockNow();
  } catch {
    // The window is hidden anyway; unlocking asks the shell again.
  }
}

/** Another clerk takes the counter: the window is emptied first, then the shell signs the clerk out and locks. */
export async function switchClerk(): Promise<void> {
  hideAll();
  try {
    app.lock = await ipc.clerkSwitch();
  } catch {
    // The window is hidden anyway; signing in asks the shell again.
  }
}

/** The clerk unlocked: whoever signed in starts on an empty Consulta (nothing of the previous clerk's is kept). */
export function showUnlocked(): void {
  forget();
  app.locked = false;
}

/**
 * Tries to unlock (the PIN, or a clerk signing in) through `action`: the shell's new lock state, or null when the
 * shell refused (a wrong PIN: `onrefused` runs at once, then the lock is read again for its wait) or a try was
 * already running.
 */
export async function tryUnlock(
  action: Action,
  call: () => Promise<LockStatus>,
  onrefused: () => void,
): Promise<LockStatus | null> {
  let answer = null as LockStatus | null;
  const answered = await action.run(async () => {
    answer = await call();
    app.lock = answer;
  });
  if (answered) return answer;
  if (action.error !== null) {
    onrefused();
    try {
      app.lock = await ipc.lockStatus();
    } catch {
      // keep the last status
    }
  }
  return null;
}

/** Why a new PIN typed twice is refused (4 to 12 digits, both the same), or null when it is fine. */
export function refusePin(pin: string, again: string): string | null {
  if (!/^\d{4,12}$/.test(pin)) return t.lock.invalid;
  if (pin !== again) return t.lock.mismatch;
  return null;
}
