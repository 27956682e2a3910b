//! Command types not yet in bindings/: exact mirrors of the Rust types (balcao-core compare.rs, history_api.rs, api.rs),
//! to be replaced by re-exports of the generated files as they land.

import type { ApiKind } from './bindings/ApiKind';
import type { AppError } from './bindings/AppError';
import type { CallMeta } from './bindings/CallMeta';
import type { CnpjView } from './bindings/CnpjView';
import type { DocKind } from './bindings/DocKind';
import type { Environment } from './bindings/Environment';
import type { ErrorCode } from './bindings/ErrorCode';
import type { Lookup } from './bindings/Lookup';
import type { Status } from './bindings/Status';

export type { Profile } from './bindings/Profile';
export type { Settings } from './bindings/Settings';
export type { StatusInfo } from './bindings/StatusInfo';

/** A history id as it crosses IPC (a JSON number; ts-rs types i64 as bigint). */
export type Id = number | bigint;

// ---------- compare (balcao_core::compare) ----------

export type DiffSide = 'both' | 'left' | 'right';

/** One item of a list field (a partner, a phone, a secondary CNAE), compared as a set. */
export type DiffItem = { value: string; side: DiffSide };

export type FieldDiff = {
  /** Stable key (`name`, `address.cep`, `partners`, `extra.<key>`…). */
  key: string;
  label: string;
  left: string | null;
  right: string | null;
  changed: boolean;
  /** List fields only. */
  items: DiffItem[];
};

export type RecordDiff = {
  leftKind: DocKind;
  rightKind: DocKind;
  leftNumber: string;
  rightNumber: string;
  sameDocument: boolean;
  fields: FieldDiff[];
  changedCount: number;
};

/** What the citizen declared; `birthDate` accepts dd/mm/aaaa, ddmmaaaa or aaaa-mm-dd. */
export type Declaration = { name: string | null; birthDate: string | null; motherName: string | null };

export type MatchLevel = 'match' | 'close' | 'different' | 'missing';

export type FieldCheck = {
  key: string;
  label: string;
  declared: string | null;
  official: string | null;
  level: MatchLevel;
  levelLabel: string;
  /** 0..1 */
  score: number;
  /** pt-BR: why this level. */
  note: string;
};

export type DeclarationCheck = {
  fields: FieldCheck[];
  overall: MatchLevel;
  overallLabel: string;
  /** One pt-BR line explaining the rule. */
  rule: string;
};

export type PartnerVerdict = 'sim' | 'nao' | 'naoConfirmavel';
export type PartnerQueryKind = 'cpf' | 'cnpj' | 'name' | 'invalidDocument' | 'empty';
export type PartnerMatchBy = 'document' | 'maskedDocument' | 'name';

export type PartnerMatch = {
  index: number;
  name: string;
  role: string;
  document: string | null;
  matchedBy: PartnerMatchBy;
  score: number;
  level: MatchLevel;
};

export type PartnerCheck = {
  query: string;
  queryKind: PartnerQueryKind;
  verdict: PartnerVerdict;
  verdictLabel: string;
  explanation: string;
  partnersPresent: boolean;
  partnersHaveDocuments: boolean;
  partnerCount: number;
  matches: PartnerMatch[];
};

// ---------- history (balcao_core::history_api) ----------

export type Outcome = 'found' | 'partial' | 'notFound' | 'failed';

export type HistoryQuery = {
  text: string | null;
  profileId: string | null;
  outcome: Outcome | null;
  from: string | null;
  to: string | null;
  beforeId: Id | null;
  limit: number | null;
};

export type HistorySummary = {
  id: Id;
  at: string;
  day: string;
  profileId: string;
  profileName: string;
  environment: Environment;
  api: ApiKind | null;
  view: CnpjView | null;
  kind: DocKind;
  number: string;
  formatted: string;
  name: string | null;
  status: Status | null;
  outcome: Outcome;
  errorCode: ErrorCode | null;
  httpStatus: number | null;
  billable: boolean;
};

export type HistoryPage = { items: HistorySummary[]; nextBeforeId: Id | null };

export type HistoryEntry = {
  summary: HistorySummary;
  lookup: Lookup | null;
  error: AppError | null;
  meta: CallMeta | null;
  raw: string | null;
};

export type ApiCount = { api: ApiKind; count: number };

export type DailyStat = { day: string; lookups: number; billable: number; byApi: ApiCount[] };

export type QuotaUsage = {
  profileId: string;
  api: ApiKind;
  usedToday: number | bigint;
  usedThisMonth: number | bigint;
  usedTotal: number | bigint;
};

export type HistoryStats = { daily: DailyStat[]; quota: QuotaUsage[] };

export type ExportKind = 'history' | 'audit';
