//! The one typed wrapper over Tauri commands: every screen calls the Rust side through here, and tests mock only `invoke`.

import { Channel, invoke } from '@tauri-apps/api/core';
import type { ApiKind } from './bindings/ApiKind';
import type { AppError } from './bindings/AppError';
import type { AppInfo } from './bindings/AppInfo';
import type { CnpjRecord } from './bindings/CnpjRecord';
import type { CpfRecord } from './bindings/CpfRecord';
import type { ErrorCode } from './bindings/ErrorCode';
import type { LookupRequest } from './bindings/LookupRequest';
import type { LookupResponse } from './bindings/LookupResponse';
import type { OfficialRecord } from './bindings/OfficialRecord';
import type { Validation } from './bindings/Validation';
import type {
  BatchOptions,
  BatchPreview,
  BatchProgress,
  BatchSaved,
  Declaration,
  DeclarationCheck,
  HealthIssue,
  LockStatus,
  ClerksView,
  UpdateCheck,
  UpdateProgress,
  ExportKind,
  HistoryEntry,
  HistoryPage,
  HistoryQuery,
  HistoryStats,
  Id,
  PartnerCheck,
  Profile,
  ProfileEntry,
  RecordDiff,
  Settings,
  StatusInfo,
} from './contract';
import { t } from './i18n/pt-BR';

const CODES: readonly ErrorCode[] = [
  'InvalidDocument',
  'NotFound',
  'Unauthorized',
  'Forbidden',
  'MinorDataBlocked',
  'RateLimited',
  'QuotaExhausted',
  'Upstream',
  'Network',
  'Timeout',
  'Tls',
  'KeychainUnavailable',
  'HistoryLocked',
  'Config',
  'PurposeRequired',
  'Busy',
  'Internal',
];

/** Turns anything a command rejected with into an AppError the UI can show. */
export function toAppError(e: unknown): AppError {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    const { code, message } = e as { code: unknown; message: unknown };
    if (typeof code === 'string' && (CODES as readonly string[]).includes(code) && typeof message === 'string') {
      return { code: code as ErrorCode, message };
    }
  }
  return { code: 'Internal', message: t.errors.unexpected };
}

/** JSON has no bigint: ids cross IPC as numbers. */
function num(id: Id): number {
  return Number(id);
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toAppError(e);
  }
}

export const ipc = {
  appInfo: () => call<AppInfo>('app_info'),
  validateInput: (input: string) => call<Validation>('validate_input', { input }),
  lookup: (request: LookupRequest) => call<LookupResponse>('lookup', { request }),

  historySearch: (query: HistorySearch) =>
    call<HistoryPage>('history_search', {
      query: { ...query, beforeId: query.beforeId === null ? null : num(query.beforeId) },
    }),
  historyGet: (id: Id) => call<HistoryEntry>('history_get', { id: num(id) }),
  historyPrevious: (id: Id) => call<HistoryEntry | null>('history_previous', { id: num(id) }),
  historyPurge: () => call<number>('history_purge'),
  historyExport: (kind: ExportKind, from: string | null, to: string | null) =>
    call<string>('history_export', { kind, from, to }),
  historyStats: (days: number) => call<HistoryStats>('history_stats', { days }),

  compareRecords: (left: OfficialRecord, right: OfficialRecord) =>
    call<RecordDiff>('compare_records', { left, right }),
  checkDeclaration: (record: CpfRecord, declared: Declaration) =>
    call<DeclarationCheck>('check_declaration', { record, declared }),
  findPartner: (record: CnpjRecord, query: string) => call<PartnerCheck>('find_partner', { record, query }),

  statusInfo: () => call<StatusInfo>('status_info'),

  profilesList: () => call<ProfileEntry[]>('profiles_list'),
  profileSave: (profile: Profile) => call<void>('profile_save', { profile }),
  profileDelete: (id: string) => call<void>('profile_delete', { id }),
  profileActivate: (id: string) => call<AppInfo>('profile_activate', { id }),
  profileSetCredentials: (id: string, clientId: string, clientSecret: string) =>
    call<void>('profile_set_credentials', { id, clientId, clientSecret }),
  /** One API's own credential (Conecta: one per API); `profileSetCredentials` writes the shared one. */
  profileSetApiCredentials: (id: string, api: ApiKind, clientId: string, clientSecret: string) =>
    call<void>('profile_set_credentials', { id, api, clientId, clientSecret }),
  profileTest: (id: string) => call<string>('profile_test', { id }),

  settingsGet: () => call<Settings>('settings_get'),
  settingsSave: (settings: Settings) => call<void>('settings_save', { settings }),

  /** Opens the system "Abrir" dialog (from Rust) and previews the chosen file; null when the clerk closed it. The
   * page never sees the path or the bytes. `reopen`: the file reopens the saved batch instead. */
  batchChooseFile: (reopen: boolean, options: BatchOptions) =>
    call<BatchPreview | null>('batch_choose_file', { reopen, options }),
  /** Previews the file last dropped on the window (once); null when none is waiting. */
  batchOpenDropped: (reopen: boolean, options: BatchOptions) =>
    call<BatchPreview | null>('batch_open_dropped', { reopen, options }),
  /** Reads the current file again with other options. */
  batchRefresh: (options: BatchOptions) => call<BatchPreview>('batch_refresh', { options }),
  /** Calls `onDrop` each time a file is dropped on the window (Rust keeps the file for `batchOpenDropped`). */
  windowDrops: (onDrop: () => void) => {
    const channel = new Channel<null>();
    channel.onmessage = () => onDrop();
    return call<void>('window_drops', { onDrop: channel });
  },
  batchStart: () => call<BatchProgress>('batch_start'),
  batchProgress: () => call<BatchProgress | null>('batch_progress'),
  batchCancel: () => call<void>('batch_cancel'),
  batchSaved: () => call<BatchSaved | null>('batch_saved'),
  batchResume: (retryFailed: boolean) => call<BatchProgress>('batch_resume', { retryFailed }),
  batchExport: () => call<string>('batch_export'),
  batchDiscard: () => call<void>('batch_discard'),

  /** What keeps Balcão in its safe mode (a degraded start); empty when it works fully. */
  appHealth: () => call<HealthIssue[]>('app_health'),
  /** «Tentar de novo»: re-opens what failed at start; returns what is still missing. */
  appRetry: () => call<HealthIssue[]>('app_retry'),
  lockStatus: () => call<LockStatus>('lock_status'),
  lockNow: () => call<LockStatus>('lock_now'),
  lockUnlock: (pin: string | null) => call<LockStatus>('lock_unlock', { pin }),
  /** Sets, changes or (pin null) removes the PIN; `current` is required when one is set. */
  lockSetPin: (pin: string | null, current: string | null) => call<LockStatus>('lock_set_pin', { pin, current }),
  /** The clerks of this PC (names, masked CPFs) and the agency's rules about them. */
  clerksList: () => call<ClerksView>('clerks_list'),
  /** «Quem está atendendo?»: signs a clerk in with their own PIN. */
  clerkSignIn: (cpf: string, pin: string) => call<LockStatus>('clerk_sign_in', { cpf, pin }),
  /** Another clerk takes the counter: locks, nobody signed in. */
  clerkSwitch: () => call<LockStatus>('clerk_switch'),
  clerkAdd: (cpf: string, name: string, pin: string) => call<ClerksView>('clerk_add', { cpf, name, pin }),
  clerkRemove: (cpf: string) => call<ClerksView>('clerk_remove', { cpf }),
  /** Sets a clerk's first PIN, or changes it (`current` required then). */
  clerkSetPin: (cpf: string, pin: string, current: string | null) =>
    call<ClerksView>('clerk_set_pin', { cpf, pin, current }),

  updateStatus: () => call<UpdateCheck>('update_status'),
  updateCheck: () => call<UpdateCheck>('update_check'),
  /** Downloads, verifies and installs the update found by the last check, then the app restarts into it. */
  updateInstall: (onProgress: (p: { downloaded: number; total: number | null }) => void) => {
    const channel = new Channel<UpdateProgress>();
    channel.onmessage = (p) =>
      onProgress({ downloaded: Number(p.downloaded), total: p.total === null ? null : Number(p.total) });
    return call<void>('update_install', { onProgress: channel });
  },

  diagnostics: () => call<string>('diagnostics'),

  uiReady: (millis: number) => call<void>('ui_ready', { millis: Math.round(millis) }),
};

export type Ipc = typeof ipc;

/** A history search as the screens build it: the id to continue from may be a number (as JSON delivered it). */
export type HistorySearch = Omit<HistoryQuery, 'beforeId'> & { beforeId: Id | null };
