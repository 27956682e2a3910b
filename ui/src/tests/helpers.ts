// Test helpers: one IPC mock for every command (defaults from the fixtures), call recording, app state reset.
import { mockIPC } from '@tauri-apps/api/mocks';
import type { AppError } from '../lib/bindings/AppError';
import type { CommandName } from '../lib/bindings/commands';
import { app } from '../lib/state.svelte';
import * as fx from './fixtures';

/** A command's name, from the generated command table: a misspelt one fails `svelte-check`. */
export type Command = CommandName;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (args: any) => unknown;
export type Call = { cmd: string; args: Record<string, unknown> };

const DEFAULTS: Partial<Record<Command, Handler>> = {
  app_info: () => fx.appInfoDemo,
  settings_get: () => fx.settings,
  status_info: () => fx.statusDemo,
  ui_ready: () => null,
  window_drops: () => null,
  history_previous: () => null,
  lock_status: () => ({ locked: false, pinSet: false, retryAfterSecs: null }),
  clerks_list: () => ({ required: false, pcMayAdd: true, clerks: [] }),
  app_health: () => [],
  app_retry: () => [],
  update_status: () => ({
    state: 'upToDate',
    currentVersion: '0.1.0',
    offeredVersion: null,
    date: null,
    notes: null,
    message: 'O Balcão está atualizado.',
  }),
};

/** Mocks the Rust side: `handlers` override the defaults; an unmocked command rejects as Internal. */
export function mockCommands(handlers: Partial<Record<Command, Handler>> = {}): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, args) => {
    const a = (args ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args: a });
    const h = handlers[cmd as Command] ?? DEFAULTS[cmd as Command];
    if (!h) throw { code: 'Internal', message: `comando sem mock: ${cmd}` } satisfies AppError;
    return h(a);
  });
  return calls;
}

/** A command that fails with `code` (and the Rust default message for it). */
export function fail(code: AppError['code'], message = fx.messages[code]): Handler {
  return () => {
    throw { code, message } satisfies AppError;
  };
}

/** A promise whose resolution the test controls (to see loading states). */
export function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export function callsOf(calls: Call[], cmd: Command): Call[] {
  return calls.filter((c) => c.cmd === cmd);
}

export function resetApp(): void {
  app.info = null;
  app.status = null;
  app.settings = null;
  app.screen = 'consulta';
  app.current = null;
  app.compareSeed = null;
  app.helpOpen = false;
  app.locked = false;
  app.lock = null;
  app.health = [];
  app.update = null;
  app.drops = 0;
}
