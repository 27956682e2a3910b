//! The history and audit types the UI and CLI exchange with the history store.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::Environment;
use crate::doc::DocKind;
use crate::error::{AppError, ErrorCode};
use crate::record::{ApiKind, CallMeta, CnpjView, Lookup, Status};

/// How a lookup ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// The record came back whole (200).
    Found,
    /// The record came back without a field the API treats as mandatory (206).
    Partial,
    /// The number is valid but the base has no record for it (404, billed).
    NotFound,
    /// Any other failure; the entry's `errorCode` says which.
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Found => "found",
            Outcome::Partial => "partial",
            Outcome::NotFound => "notFound",
            Outcome::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Outcome::Found, Outcome::Partial, Outcome::NotFound, Outcome::Failed].into_iter().find(|o| o.as_str() == s)
    }

    /// pt-BR label for lists and exports.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Found => "Encontrado",
            Outcome::Partial => "Encontrado (parcial)",
            Outcome::NotFound => "Não encontrado",
            Outcome::Failed => "Falhou",
        }
    }

    /// The outcome of an error: `NotFound` for the code of that name, `Failed` otherwise.
    pub fn of_error(code: ErrorCode) -> Self {
        if code == ErrorCode::NotFound { Outcome::NotFound } else { Outcome::Failed }
    }
}

/// A history search. Every filter is optional; results come newest first, `limit` at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct HistoryQuery {
    /// A CPF/CNPJ in any format (exact match), or word starts of the name, in any order (accents and case ignored).
    pub text: Option<String>,
    pub profile_id: Option<String>,
    pub outcome: Option<Outcome>,
    /// First day included, `AAAA-MM-DD` (local day).
    pub from: Option<String>,
    /// Last day included, `AAAA-MM-DD` (local day).
    pub to: Option<String>,
    /// Continue after this id (the `nextBeforeId` of the previous page).
    pub before_id: Option<i64>,
    /// Page size (default 50, at most 500).
    pub limit: Option<u32>,
}

/// One line of the history list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistorySummary {
    pub id: i64,
    /// When the lookup was made (RFC 3339, UTC).
    pub at: String,
    /// The local day of `at`, `AAAA-MM-DD`.
    pub day: String,
    pub profile_id: String,
    pub profile_name: String,
    pub environment: Environment,
    pub api: Option<ApiKind>,
    pub view: Option<CnpjView>,
    pub kind: DocKind,
    /// Canonical number (11 digits, or 14 characters upper case).
    pub number: String,
    pub formatted: String,
    /// The person's name or the company's legal name, when the record had one.
    pub name: Option<String>,
    pub status: Option<Status>,
    pub outcome: Outcome,
    pub error_code: Option<ErrorCode>,
    pub http_status: Option<u16>,
    pub billable: bool,
}

/// A page of history lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    pub items: Vec<HistorySummary>,
    /// Pass as `beforeId` to get the next (older) page; absent on the last page.
    pub next_before_id: Option<i64>,
}

/// One history entry in full: the record as it was, the raw response, the call's metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub summary: HistorySummary,
    /// The lookup as received (found or partial outcomes).
    pub lookup: Option<Lookup>,
    /// The error (not-found and failed outcomes).
    pub error: Option<AppError>,
    /// The call's metadata (also inside `lookup` when there is one).
    pub meta: Option<CallMeta>,
    /// The response body as received, when there was one.
    pub raw: Option<String>,
}

/// How much history is kept. `None` means no limit of that kind. The audit trail is never purged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RetentionPolicy {
    /// Entries older than this many days are purged.
    pub max_age_days: Option<u32>,
    /// Only this many newest entries are kept.
    pub max_entries: Option<u32>,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self { max_age_days: Some(90), max_entries: Some(20_000) }
    }
}

/// What "purge now" removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum PurgeScope {
    /// Every history entry (the audit trail and quota counters stay).
    All,
    /// What the stored retention policy no longer allows.
    Policy,
    /// Entries older than `days` days.
    OlderThan { days: u32 },
}

/// What a purge did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PurgeResult {
    pub removed: u64,
    pub remaining: u64,
}

/// Billable calls of one API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ApiCount {
    pub api: ApiKind,
    pub count: u32,
}

/// One day of the activity chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DailyStat {
    /// `AAAA-MM-DD` (local day).
    pub day: String,
    /// Lookups attempted (from the audit trail: includes "não registrar" and purged entries).
    pub lookups: u32,
    /// Billable calls, all APIs.
    pub billable: u32,
    pub by_api: Vec<ApiCount>,
}

/// Billable calls used by one profile on one API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuotaUsage {
    pub profile_id: String,
    pub api: ApiKind,
    pub used_today: u64,
    pub used_this_month: u64,
    pub used_total: u64,
}

/// What an audit line records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum AuditEvent {
    Lookup,
    Export,
    Purge,
    /// The history was bound to the user's keyring again with the agency's recovery key (`admin recover`).
    Recovery,
}

impl AuditEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditEvent::Lookup => "lookup",
            AuditEvent::Export => "export",
            AuditEvent::Purge => "purge",
            AuditEvent::Recovery => "recovery",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [AuditEvent::Lookup, AuditEvent::Export, AuditEvent::Purge, AuditEvent::Recovery]
            .into_iter()
            .find(|e| e.as_str() == s)
    }
}

/// One line of the append-only audit trail. Numbers appear masked only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub day: String,
    pub event: AuditEvent,
    /// The clerk's CPF, when the profile has one.
    pub clerk_cpf: Option<String>,
    pub os_user: String,
    pub profile_id: Option<String>,
    pub profile_name: Option<String>,
    pub environment: Option<Environment>,
    pub kind: Option<DocKind>,
    /// `***.428.201-**` / `**.***.345/01DE-**`.
    pub number_masked: Option<String>,
    pub purpose: Option<String>,
    pub authorization_code: Option<String>,
    pub outcome: Option<Outcome>,
    pub error_code: Option<ErrorCode>,
    pub api: Option<ApiKind>,
    pub http_status: Option<u16>,
    pub billable: bool,
    /// Whether a history entry was kept ("não registrar" unchecked).
    pub recorded: bool,
    /// Free text for export and purge events (period, counts).
    pub detail: Option<String>,
    /// Where the line came from; `None` on lines written before origins were recorded.
    pub origin: Option<AuditOrigin>,
}

/// Where an audit line came from: the window or `balcao-cli`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum AuditOrigin {
    App,
    Cli,
}

impl AuditOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOrigin::App => "app",
            AuditOrigin::Cli => "cli",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "app" => Some(AuditOrigin::App),
            "cli" => Some(AuditOrigin::Cli),
            _ => None,
        }
    }

    /// As the audit export shows it.
    pub fn label(self) -> &'static str {
        match self {
            AuditOrigin::App => "aplicativo",
            AuditOrigin::Cli => "linha de comando (balcao-cli)",
        }
    }
}

/// A page of audit lines, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    pub next_before_id: Option<i64>,
}

/// A day range for exports and audit listings, both ends included (`AAAA-MM-DD`, local days).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct DayRange {
    pub from: Option<String>,
    pub to: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_strings_round_trip() {
        for o in [Outcome::Found, Outcome::Partial, Outcome::NotFound, Outcome::Failed] {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
        assert_eq!(Outcome::of_error(ErrorCode::NotFound), Outcome::NotFound);
        assert_eq!(Outcome::of_error(ErrorCode::Network), Outcome::Failed);
    }

    #[test]
    fn audit_event_strings_round_trip() {
        for e in [AuditEvent::Lookup, AuditEvent::Export, AuditEvent::Purge, AuditEvent::Recovery] {
            assert_eq!(AuditEvent::parse(e.as_str()), Some(e));
            assert_eq!(serde_json::to_value(e).unwrap(), e.as_str());
        }
    }

    #[test]
    fn query_defaults_from_partial_json() {
        let q: HistoryQuery = serde_json::from_str(r#"{"text":"maria"}"#).unwrap();
        assert_eq!(q.text.as_deref(), Some("maria"));
        assert_eq!(q.limit, None);
        let scope: PurgeScope = serde_json::from_str(r#"{"kind":"olderThan","days":30}"#).unwrap();
        assert_eq!(scope, PurgeScope::OlderThan { days: 30 });
    }
}
