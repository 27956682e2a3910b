//! Keyboard shortcuts: one table (shown in the help overlay) and a matcher from key events to named actions.

import { t } from './i18n/pt-BR';
import type { ScreenId } from './state.svelte';

export type Action =
  | { kind: 'screen'; screen: ScreenId }
  | { kind: 'focusInput' }
  | { kind: 'receipt' }
  | { kind: 'help' }
  | { kind: 'lock' }
  | { kind: 'switchClerk' }
  | { kind: 'escape' }
  | { kind: 'local'; name: LocalAction };

/** Actions a screen or panel handles while it is mounted. */
export type LocalAction =
  | 'compareCurrent'
  | 'declaration'
  | 'partner'
  | 'noRecord'
  | 'purpose'
  | 'view'
  | 'theme'
  | 'historySearch'
  | 'bases';

export type Shortcut = { keys: string; label: string };

const SCREEN_KEYS: Record<string, ScreenId> = {
  Digit1: 'consulta',
  Digit2: 'comparar',
  Digit3: 'historico',
  Digit4: 'recibo',
  Digit5: 'config',
  Digit6: 'inicio',
  Digit7: 'lote',
};

const ALT_LOCAL: Record<string, LocalAction> = {
  KeyC: 'compareCurrent',
  KeyD: 'declaration',
  KeyS: 'partner',
  KeyN: 'noRecord',
  KeyF: 'purpose',
  KeyV: 'view',
  KeyT: 'theme',
  KeyB: 'historySearch',
  KeyO: 'bases',
};

function typing(target: EventTarget | null): boolean {
  if (!target || !(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable;
}

/** The action a key event asks for, or null to let the event through. */
export function match(e: KeyboardEvent): Action | null {
  const ctrl = e.ctrlKey || e.metaKey;
  if (e.key === 'F1') return { kind: 'help' };
  if (e.key === 'Escape') return { kind: 'escape' };
  if (e.altKey && !ctrl && !e.shiftKey) {
    const screen = SCREEN_KEYS[e.code];
    if (screen) return { kind: 'screen', screen };
    const local = ALT_LOCAL[e.code];
    if (local) return { kind: 'local', name: local };
  }
  if (ctrl && !e.altKey && e.shiftKey && e.code === 'KeyA') return { kind: 'switchClerk' };
  if (ctrl && !e.altKey && !e.shiftKey) {
    if (e.code === 'KeyK') return { kind: 'focusInput' };
    if (e.code === 'KeyP') return { kind: 'receipt' };
    // Ctrl+L locks at once, also while typing in a field (a clerk stepping away from the counter).
    if (e.code === 'KeyL') return { kind: 'lock' };
  }
  if (e.key === '?' && !ctrl && !e.altKey && !typing(e.target)) return { kind: 'help' };
  return null;
}

const handlers = new Map<LocalAction, Set<() => void>>();

/** Registers a handler for a local action; returns the function that removes it (use in an $effect). */
export function onAction(name: LocalAction, fn: () => void): () => void {
  let set = handlers.get(name);
  if (!set) {
    set = new Set();
    handlers.set(name, set);
  }
  set.add(fn);
  return () => set.delete(fn);
}

/** Runs the handlers of a local action; false when none is mounted. */
export function runAction(name: LocalAction): boolean {
  const set = handlers.get(name);
  if (!set || set.size === 0) return false;
  for (const fn of [...set]) fn();
  return true;
}

const ORDER = [
  'consulta',
  'comparar',
  'historico',
  'recibo',
  'config',
  'inicio',
  'lote',
  'focusInput',
  'lookup',
  'escape',
  'receipt',
  'compareCurrent',
  'declaration',
  'partner',
  'view',
  'purpose',
  'noRecord',
  'historySearch',
  'theme',
  'bases',
  'lock',
  'switchClerk',
  'help',
] as const satisfies readonly (keyof typeof t.keys & keyof typeof t.shortcuts)[];

/** The table the help overlay shows. */
export function table(): Shortcut[] {
  return ORDER.map((k) => ({ keys: t.keys[k], label: t.shortcuts[k] }));
}
