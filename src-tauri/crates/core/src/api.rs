//! The request and response types of the app's commands: the contract between the Rust shell and the UI.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::doc::DocKind;
use crate::history_api::{DailyStat, QuotaUsage, RetentionPolicy};
use crate::record::{CnpjView, Lookup};

/// Who runs the gateway a profile talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Serpro,
    Conecta,
}

/// Which environment a profile is in; Demonstração is the embedded simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Environment {
    Demonstracao,
    SerproTrial,
    Homologacao,
    Producao,
    Custom,
}

impl Environment {
    pub fn label(self) -> &'static str {
        match self {
            Environment::Demonstracao => "Demonstração",
            Environment::SerproTrial => "SERPRO trial",
            Environment::Homologacao => "Homologação",
            Environment::Producao => "Produção",
            Environment::Custom => "Base personalizada",
        }
    }
}

/// The active profile as the UI shows it (never any credential).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfileSummary {
    pub id: String,
    pub name: String,
    pub provider: Provider,
    pub environment: Environment,
    /// True when every call stays on this machine (the embedded simulator).
    pub is_demo: bool,
}

/// What the window needs at start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub profile: ProfileSummary,
    /// The agency requires a purpose (or protocol number) on every lookup.
    pub purpose_required: bool,
}

/// A lookup as the clerk asks for it: the text typed, never a pre-validated number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LookupRequest {
    pub input: String,
    /// For a CNPJ: which view (defaults to the widest the profile has).
    pub view: Option<CnpjView>,
    /// Finalidade or protocol number, for the audit trail.
    pub purpose: Option<String>,
    /// e-CAC authorisation code, when the citizen gave one.
    pub authorization_code: Option<String>,
    /// "Não registrar": keep this lookup out of the history (the audit line is still written).
    pub do_not_record: bool,
}

/// A lookup's answer: the normalized record and where it is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LookupResponse {
    pub lookup: Lookup,
    /// The history entry's id (absent when "não registrar" was asked).
    pub history_id: Option<i64>,
    pub kind: DocKind,
    pub formatted: String,
}

/// The result of validating one input locally (no call).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Validation {
    pub input: String,
    pub kind: Option<DocKind>,
    pub valid: bool,
    pub canonical: Option<String>,
    pub formatted: Option<String>,
    pub error: Option<crate::error::AppError>,
}

/// Agency and clerk settings. The retention policy is kept in the history database itself (so the CLI applies
/// the same one); everything else in settings.json in the data folder. No secret ever goes here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// The clerk's CPF: sent as `x-cpf-usuario` to Conecta and written in the audit trail.
    pub clerk_cpf: Option<String>,
    /// The agency requires a purpose (or protocol number) on every lookup.
    pub purpose_required: bool,
    pub retention: RetentionPolicy,
    /// Hide personal data after this many idle minutes (None: never).
    pub idle_lock_minutes: Option<u32>,
    /// The active profile's id.
    pub active_profile: String,
    /// The first-run explanation was shown.
    pub first_run_done: bool,
    /// What the agency's managed policy sets (shown «Definido pela TI» and refused on save). Filled by Balcão when
    /// the settings are read; what the window sends back here is ignored.
    pub managed: ManagedSettings,
}

/// What the agency's managed policy (policy.toml, deployed by IT) sets on this PC: each `true` field is the
/// policy's value, shown «Definido pela TI» in Configurações and refused in Rust when changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct ManagedSettings {
    /// The policy file in force; absent when this PC has no managed policy.
    pub policy_file: Option<String>,
    /// Why the policy file was refused (pt-BR, naming the file and the line): then nothing can be changed here and
    /// only the Demonstração works, until IT fixes the file.
    pub broken: Option<String>,
    pub purpose_required: bool,
    pub retention: bool,
    pub idle_lock_minutes: bool,
    /// The lock's PIN cannot be removed.
    pub pin_required: bool,
    /// The clerk may not add profiles of their own (only the agency's are listed).
    pub no_clerk_profiles: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            clerk_cpf: None,
            purpose_required: false,
            retention: RetentionPolicy::default(),
            idle_lock_minutes: Some(10),
            active_profile: crate::profile::DEMO_PROFILE_ID.to_owned(),
            first_run_done: false,
            managed: ManagedSettings::default(),
        }
    }
}

/// What the status bar shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StatusInfo {
    pub profile: ProfileSummary,
    /// When the cached access token expires (RFC 3339), if one is held.
    pub token_valid_until: Option<String>,
    /// Billable calls counted on each API the active profile contracts (its CPF API first, then its CNPJ API), each
    /// with its limit and whether it is near it: the bar names the API of each count.
    pub quotas: Vec<crate::profile::QuotaStatus>,
    /// The agency store (#18), when the managed policy names one.
    pub agency: Option<AgencyStatus>,
}

/// The agency store as the status bar shows it: lines waiting to reach it, whether it answers, the offline allowance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AgencyStatus {
    /// Audit lines and offline units in the outbox, not yet in the store.
    pub waiting: u64,
    /// The last attempt reached the store (false while it cannot be reached or is not configured).
    pub reachable: bool,
    /// Units spent today from the offline allowance on the last credential and API that needed it.
    pub offline_spent: u32,
    pub offline_allowance: u32,
    /// Why the store cannot be used, in pt-BR, when it cannot.
    pub problem: Option<String>,
}

/// The Histórico screen's charts: lookups per day and quota used per API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryStats {
    pub daily: Vec<DailyStat>,
    pub quota: Vec<QuotaUsage>,
}

/// Which table a CSV export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ExportKind {
    History,
    Audit,
}
