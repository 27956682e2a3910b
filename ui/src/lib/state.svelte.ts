//! The window's shared state (runes): app info, status, settings, current screen and the record on display. Data
//! only: what the window asks of its parts goes through small modules (`consulta.ts`, `lock.ts`), not callbacks here.

import type { AppInfo } from './bindings/AppInfo';
import type { CallMeta } from './bindings/CallMeta';
import type { Environment } from './bindings/Environment';
import type { LookupRequest } from './bindings/LookupRequest';
import type { LookupResponse } from './bindings/LookupResponse';
import type { OfficialRecord } from './bindings/OfficialRecord';
import type { HealthIssue } from './bindings/HealthIssue';
import type { HistoryEntry } from './bindings/HistoryEntry';
import type { LockStatus } from './bindings/LockStatus';
import type { Settings } from './bindings/Settings';
import type { StatusInfo } from './bindings/StatusInfo';
import type { UpdateCheck } from './bindings/UpdateCheck';
import { focusConsultaInput } from './consulta';
import { ipc } from './ipc';

export const SCREENS = ['consulta', 'comparar', 'historico', 'recibo', 'config', 'inicio', 'lote'] as const;
export type ScreenId = (typeof SCREENS)[number];

/** A record on display, from a lookup just made or from a history entry. */
export type Shown = {
  record: OfficialRecord;
  formatted: string;
  consultedAt: string;
  historyId: number | null;
  meta: CallMeta | null;
  partial: boolean;
  /** The response body as received ("ver resposta original"). */
  raw: string | null;
  purpose: string | null;
  source: 'live' | 'history';
  profileName: string | null;
  environment: Environment | null;
  clerkCpf: string | null;
};

export type CompareSeed = { left: Shown | null; right: Shown | null };

class AppState {
  info = $state<AppInfo | null>(null);
  status = $state<StatusInfo | null>(null);
  settings = $state<Settings | null>(null);
  screen = $state<ScreenId>('consulta');
  current = $state<Shown | null>(null);
  compareSeed = $state<CompareSeed | null>(null);
  helpOpen = $state(false);
  locked = $state(false);
  /** Why the window is locked: the idle timer ('idle'), or the clerk / a start with a PIN ('clerk'). */
  lockReason = $state<'idle' | 'clerk'>('clerk');
  /** The shell's lock (PIN set, wait after wrong PINs); null until asked. */
  lock = $state<LockStatus | null>(null);
  /** What keeps Balcão in its safe mode (history, active profile, PIN unreadable); empty when all works. */
  health = $state<HealthIssue[]>([]);
  /** The last update check (at start or asked in Configurações). */
  update = $state<UpdateCheck | null>(null);
  /** Counts files dropped on the window: Lote opens the one waiting in the shell each time it changes. */
  drops = $state(0);
  /** The e-CAC authorisation code typed with the last lookup: «Outras bases» fills `{autorizacao}` with it. */
  authorizationCode = $state<string | null>(null);

  go(screen: ScreenId): void {
    this.screen = screen;
    this.helpOpen = false;
    if (screen === 'consulta') queueMicrotask(focusConsultaInput);
  }

  showLookup(resp: LookupResponse, req: LookupRequest): void {
    this.current = shownFromLookup(resp, req);
  }

  async refreshStatus(): Promise<void> {
    try {
      this.status = await ipc.statusInfo();
    } catch {
      // The status bar keeps its last values; the lookup itself reports its own errors.
    }
  }
}

/** A lookup just made as a record on display. */
export function shownFromLookup(resp: LookupResponse, req: LookupRequest): Shown {
  const p = app.info?.profile ?? null;
  return {
    record: resp.lookup.record,
    formatted: resp.formatted,
    consultedAt: resp.lookup.consultedAt,
    historyId: resp.historyId,
    meta: resp.lookup.meta,
    partial: resp.lookup.partial,
    raw: resp.lookup.raw,
    purpose: req.purpose,
    source: 'live',
    profileName: p?.name ?? null,
    environment: p?.environment ?? null,
    // The clerk signed in made this lookup (their CPF went to the gateway and the audit trail).
    clerkCpf: app.lock?.clerk?.cpf ?? app.settings?.clerkCpf ?? null,
  };
}

/** A history entry as a record on display (null when the entry holds no record: not found or failed). */
export function shownFromEntry(e: HistoryEntry): Shown | null {
  if (!e.lookup) return null;
  return {
    record: e.lookup.record,
    formatted: e.summary.formatted,
    consultedAt: e.lookup.consultedAt,
    historyId: e.summary.id,
    meta: e.meta ?? e.lookup.meta,
    partial: e.lookup.partial,
    raw: e.raw ?? e.lookup.raw,
    purpose: null,
    source: 'history',
    profileName: e.summary.profileName,
    environment: e.summary.environment,
    // The history keeps no clerk per entry; this machine's clerk is the one who consulted, unless clerks sign in
    // (then another clerk may have made it: the audit trail names them, the receipt does not guess).
    clerkCpf: app.lock?.clerkSignIn ? null : (app.settings?.clerkCpf ?? null),
  };
}

export const app = new AppState();
