//! The command contract's types in one import: re-exports of the generated bindings, plus the id type as it crosses IPC.


export type { ApiCredentialsState } from './bindings/ApiCredentialsState';
export type { CredentialsState } from './bindings/CredentialsState';
export type { Profile } from './bindings/Profile';
export type { ProfileEntry } from './bindings/ProfileEntry';
export type { Settings } from './bindings/Settings';
export type { StatusInfo } from './bindings/StatusInfo';

/** A history id as it crosses IPC (a JSON number; ts-rs types i64 as bigint). */
export type Id = number | bigint;

// ---------- compare (generated) ----------

export type { DiffItem } from './bindings/DiffItem';
export type { DiffSide } from './bindings/DiffSide';
export type { FieldDiff } from './bindings/FieldDiff';
export type { RecordDiff } from './bindings/RecordDiff';
export type { Declaration } from './bindings/Declaration';
export type { DeclarationCheck } from './bindings/DeclarationCheck';
export type { FieldCheck } from './bindings/FieldCheck';
export type { MatchLevel } from './bindings/MatchLevel';
export type { PartnerCheck } from './bindings/PartnerCheck';
export type { PartnerMatch } from './bindings/PartnerMatch';
export type { PartnerMatchBy } from './bindings/PartnerMatchBy';
export type { PartnerQueryKind } from './bindings/PartnerQueryKind';
export type { PartnerVerdict } from './bindings/PartnerVerdict';

// ---------- history (generated) ----------

export type { ApiCount } from './bindings/ApiCount';
export type { DailyStat } from './bindings/DailyStat';
export type { ExportKind } from './bindings/ExportKind';
export type { HistoryEntry } from './bindings/HistoryEntry';
export type { HistoryPage } from './bindings/HistoryPage';
export type { HistoryQuery } from './bindings/HistoryQuery';
export type { HistoryStats } from './bindings/HistoryStats';
export type { HistorySummary } from './bindings/HistorySummary';
export type { Outcome } from './bindings/Outcome';
export type { QuotaUsage } from './bindings/QuotaUsage';
export type { RetentionPolicy } from './bindings/RetentionPolicy';

// ---------- batch (generated) ----------

export type { ApiEstimate } from './bindings/ApiEstimate';
export type { BatchCounts } from './bindings/BatchCounts';
export type { BatchEstimate } from './bindings/BatchEstimate';
export type { BatchOptions } from './bindings/BatchOptions';
export type { BatchPreview } from './bindings/BatchPreview';
export type { BatchProgress } from './bindings/BatchProgress';
export type { BatchSaved } from './bindings/BatchSaved';
export type { BatchState } from './bindings/BatchState';
export type { Delimiter } from './bindings/Delimiter';
export type { InputEncoding } from './bindings/InputEncoding';
export type { InvalidRow } from './bindings/InvalidRow';

// ---------- idle lock, updates (generated) ----------

export type { LockStatus } from './bindings/LockStatus';
export type { ClerkSummary } from './bindings/ClerkSummary';
export type { ClerkEntry } from './bindings/ClerkEntry';
export type { ClerksView } from './bindings/ClerksView';
export type { HealthIssue } from './bindings/HealthIssue';
export type { HealthArea } from './bindings/HealthArea';
export type { UpdateCheck } from './bindings/UpdateCheck';
export type { UpdateProgress } from './bindings/UpdateProgress';
export type { UpdateState } from './bindings/UpdateState';
