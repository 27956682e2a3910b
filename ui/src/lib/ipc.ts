//! The one typed wrapper over Tauri commands: every screen calls the Rust side through here, and tests mock only `invoke`.
//! Command names, arguments and answers come from the generated `bindings/commands.ts`: a misspelt command or a
//! wrong argument fails `svelte-check`.

import { Channel, invoke } from '@tauri-apps/api/core';
import type { ApiKind } from './bindings/ApiKind';
import type { AppError } from './bindings/AppError';
import type { BaseLookupRequest } from './bindings/BaseLookupRequest';
import type { BatchOptions } from './bindings/BatchOptions';
import type { BatchProgress } from './bindings/BatchProgress';
import type { CnpjRecord } from './bindings/CnpjRecord';
import type { CommandName, Commands } from './bindings/commands';
import type { CpfRecord } from './bindings/CpfRecord';
import type { Declaration } from './bindings/Declaration';
import type { DocKind } from './bindings/DocKind';
import type { ErrorCode } from './bindings/ErrorCode';
import type { ExportKind } from './bindings/ExportKind';
import type { HistoryQuery } from './bindings/HistoryQuery';
import type { LookupRequest } from './bindings/LookupRequest';
import type { OfficialRecord } from './bindings/OfficialRecord';
import type { Profile } from './bindings/Profile';
import type { Settings } from './bindings/Settings';
import type { UpdateProgress } from './bindings/UpdateProgress';
import { t } from './i18n/pt-BR';

/** Every error code Rust can answer; a code added to the Rust enum and missing here fails `svelte-check`. */
const CODES: Record<ErrorCode, true> = {
  InvalidDocument: true,
  NotFound: true,
  Unauthorized: true,
  Forbidden: true,
  MinorDataBlocked: true,
  RateLimited: true,
  QuotaExhausted: true,
  Upstream: true,
  Network: true,
  Timeout: true,
  Tls: true,
  KeychainUnavailable: true,
  HistoryLocked: true,
  Config: true,
  PurposeRequired: true,
  Busy: true,
  Internal: true,
};

function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(CODES, code);
}

/** Turns anything a command rejected with into an AppError the UI can show. */
export function toAppError(e: unknown): AppError {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    const { code, message } = e as { code: unknown; message: unknown };
    if (typeof code === 'string' && isErrorCode(code) && typeof message === 'string') {
      return { code, message };
    }
  }
  return { code: 'Internal', message: t.errors.unexpected };
}

/** The arguments of `cmd`: none, or the object Tauri reads them from. */
type Args<C extends CommandName> = Commands[C]['args'] extends Record<string, never> ? [] : [Commands[C]['args']];

async function call<C extends CommandName>(cmd: C, ...args: Args<C>): Promise<Commands[C]['answer']> {
  try {
    return await invoke<Commands[C]['answer']>(cmd, args[0]);
  } catch (e) {
    throw toAppError(e);
  }
}

export const ipc = {
  appInfo: () => call('app_info'),
  lookup: (request: LookupRequest) => call('lookup', { request }),
  basesOffers: (kind: DocKind) => call('bases_offers', { kind }),
  basesLookup: (request: BaseLookupRequest) => call('bases_lookup', { request }),
  basesOfEntry: (id: number) => call('bases_of_entry', { id }),
  /** The own credential of a profile's extra base (`credential = "own"`). */
  profileSetBaseCredentials: (id: string, baseId: string, clientId: string, clientSecret: string) =>
    call('profile_set_base_credentials', { id, baseId, clientId, clientSecret }),

  historySearch: (query: HistoryQuery) => call('history_search', { query }),
  historyGet: (id: number) => call('history_get', { id }),
  historyPrevious: (id: number) => call('history_previous', { id }),
  historyPurge: () => call('history_purge'),
  /** «Salvar como…» opened by Rust, then the CSV written there: the path, or null when the clerk closed it. */
  historyExport: (kind: ExportKind, from: string | null, to: string | null) =>
    call('history_export', { kind, from, to }),
  historyStats: (days: number) => call('history_stats', { days }),

  compareRecords: (left: OfficialRecord, right: OfficialRecord) =>
    call('compare_records', { left, right }),
  checkDeclaration: (record: CpfRecord, declared: Declaration) =>
    call('check_declaration', { record, declared }),
  findPartner: (record: CnpjRecord, query: string) => call('find_partner', { record, query }),

  statusInfo: () => call('status_info'),

  profilesList: () => call('profiles_list'),
  profileSave: (profile: Profile) => call('profile_save', { profile }),
  profileDelete: (id: string) => call('profile_delete', { id }),
  profileActivate: (id: string) => call('profile_activate', { id }),
  profileSetCredentials: (id: string, clientId: string, clientSecret: string) =>
    call('profile_set_credentials', { id, api: null, clientId, clientSecret }),
  /** One API's own credential (Conecta: one per API); `profileSetCredentials` writes the shared one. */
  profileSetApiCredentials: (id: string, api: ApiKind, clientId: string, clientSecret: string) =>
    call('profile_set_credentials', { id, api, clientId, clientSecret }),
  profileTest: (id: string) => call('profile_test', { id }),

  settingsGet: () => call('settings_get'),
  settingsSave: (settings: Settings) => call('settings_save', { settings }),

  /** Opens the system "Abrir" dialog (from Rust) and previews the chosen file; null when the clerk closed it. The
   * page never sees the path or the bytes. `reopen`: the file reopens the saved batch instead. */
  batchChooseFile: (reopen: boolean, options: BatchOptions) =>
    call('batch_choose_file', { reopen, options }),
  /** Previews the file last dropped on the window (once); null when none is waiting. */
  batchOpenDropped: (reopen: boolean, options: BatchOptions) =>
    call('batch_open_dropped', { reopen, options }),
  /** Reads the current file again with other options. */
  batchRefresh: (options: BatchOptions) => call('batch_refresh', { options }),
  /** Calls `onDrop` each time a file is dropped on the window (Rust keeps the file for `batchOpenDropped`). */
  windowDrops: (onDrop: () => void) => {
    const channel = new Channel<null>();
    channel.onmessage = () => onDrop();
    return call('window_drops', { onDrop: channel });
  },
  batchStart: () => call('batch_start'),
  /** The batch's progress now (null: no batch), then every later one through `onProgress`, streamed by Rust while a
   * batch runs (the latest call's channel replaces the one before). */
  batchFollow: (onProgress: (p: BatchProgress) => void) => {
    const channel = new Channel<BatchProgress>();
    channel.onmessage = onProgress;
    return call('batch_follow', { onProgress: channel });
  },
  batchCancel: () => call('batch_cancel'),
  batchSaved: () => call('batch_saved'),
  batchResume: (retryFailed: boolean) => call('batch_resume', { retryFailed }),
  /** «Salvar como…» opened by Rust, then the result CSV written there: the path, or null when the clerk closed it. */
  batchExport: () => call('batch_export'),
  /** Shows the file the last export saved in the file manager (Rust knows which; the page names no path). */
  exportOpenFolder: () => call('export_open_folder'),
  /** «Salvar como…» opened by Rust, then the Recibo on screen printed there as PDF: the path, or null when closed. */
  receiptSavePdf: () => call('receipt_save_pdf'),
  batchDiscard: () => call('batch_discard'),

  /** What keeps Balcão in its safe mode (a degraded start); empty when it works fully. */
  appHealth: () => call('app_health'),
  /** «Tentar de novo»: re-opens what failed at start; returns what is still missing. */
  appRetry: () => call('app_retry'),
  lockStatus: () => call('lock_status'),
  lockNow: () => call('lock_now'),
  lockUnlock: (pin: string | null) => call('lock_unlock', { pin }),
  /** Sets, changes or (pin null) removes the PIN; `current` is required when one is set. */
  lockSetPin: (pin: string | null, current: string | null) => call('lock_set_pin', { pin, current }),
  /** The clerks of this PC (names, masked CPFs) and the agency's rules about them. */
  clerksList: () => call('clerks_list'),
  /** «Quem está atendendo?»: signs a clerk in with their own PIN. */
  clerkSignIn: (cpf: string, pin: string) => call('clerk_sign_in', { cpf, pin }),
  /** Another clerk takes the counter: locks, nobody signed in. */
  clerkSwitch: () => call('clerk_switch'),
  clerkAdd: (cpf: string, name: string, pin: string) => call('clerk_add', { cpf, name, pin }),
  clerkRemove: (cpf: string) => call('clerk_remove', { cpf }),
  /** Sets a clerk's first PIN, or changes it (`current` required then). */
  clerkSetPin: (cpf: string, pin: string, current: string | null) =>
    call('clerk_set_pin', { cpf, pin, current }),

  updateStatus: () => call('update_status'),
  updateCheck: () => call('update_check'),
  /** Downloads, verifies and installs the update found by the last check, then the app restarts into it. */
  updateInstall: (onProgress: (p: UpdateProgress) => void) => {
    const channel = new Channel<UpdateProgress>();
    channel.onmessage = onProgress;
    return call('update_install', { onProgress: channel });
  },

  diagnostics: () => call('diagnostics'),

  uiReady: (millis: number) => call('ui_ready', { millis: Math.round(millis) }),
  /** Writes an error thrown in the page to Balcão's log (masked as every line). */
  pageError: (kind: 'error' | 'rejection', message: string, source: string) =>
    call('page_error', { kind, message, source }),
};

export type Ipc = typeof ipc;
