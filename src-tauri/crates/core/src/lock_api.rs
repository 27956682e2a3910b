//! UI types of the shell's safety features: the idle lock, the safe mode of a degraded start, the updater (check,
//! progress) — what those commands return.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::ErrorCode;

/// The idle lock as the lock screen and Configurações see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LockStatus {
    /// Personal data is hidden and every command that could show it is refused until the clerk unlocks.
    pub locked: bool,
    /// A PIN is set: unlocking asks for it. Without one, unlocking is a confirmation only.
    pub pin_set: bool,
    /// After too many wrong PINs: seconds to wait before the next try.
    pub retry_after_secs: Option<u32>,
    /// The lock screen asks «Quem está atendendo?»: this PC has clerks, each signs in with their own PIN.
    #[serde(default)]
    pub clerk_sign_in: bool,
    /// The clerk signed in (still named while locked: the same clerk unlocks with their PIN).
    #[serde(default)]
    pub clerk: Option<ClerkSummary>,
}

/// A clerk as the status bar and the sign-in screen name them: never the PIN nor its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ClerkSummary {
    /// The CPF, 11 digits: the id the sign-in sends.
    pub cpf: String,
    /// The CPF masked (`***.456.789-**`), for lists a citizen may see.
    pub masked: String,
    pub name: String,
}

/// One clerk of this PC, for Configurações.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ClerkEntry {
    pub clerk: ClerkSummary,
    /// Listed by the agency (managed policy): cannot be removed on the PC.
    pub managed: bool,
    /// A PIN is stored for this clerk (in the OS keyring, as an Argon2id hash).
    pub pin_set: bool,
}

/// The clerks of this PC and the agency's rules about them, for Configurações and the sign-in screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ClerksView {
    /// No lookup leaves (outside Demonstração) without a signed-in clerk.
    pub required: bool,
    /// Clerks may be added on this PC (else only the agency's list).
    pub pc_may_add: bool,
    pub clerks: Vec<ClerkEntry>,
}

/// What part of Balcão a [`HealthIssue`] concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum HealthArea {
    /// The encrypted history (and with it every lookup: each must be audited).
    History,
    /// The active profile: its credentials in the OS keyring, or its settings.
    ActiveProfile,
    /// The idle lock's PIN (kept in the OS keyring).
    Lock,
    /// The agency's managed policy file (policy.toml) could not be used: only the Demonstração works.
    Policy,
    /// The agency store the policy names cannot be used (its key, password or CA missing): real lookups are refused.
    AgencyStore,
}

/// One reason Balcão runs in its safe mode (a degraded start): the window opens, Configurações and Demonstração work,
/// and this says what is missing and how to fix it; «Tentar de novo» (`app_retry`) tries again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HealthIssue {
    pub area: HealthArea,
    pub code: ErrorCode,
    /// What is missing and how to fix it, in pt-BR.
    pub message: String,
}

/// What an update check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum UpdateState {
    /// No update source or key in this build or on this machine: nothing is checked.
    Disabled,
    /// IT turned off the check at start; the clerk can still check on demand.
    NotChecked,
    /// The server offers nothing newer than the installed version.
    UpToDate,
    /// A newer version is offered; the clerk chooses when to install it.
    Available,
}

/// The answer of `update_status` (the check made at start) and of `update_check` (on demand).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCheck {
    pub state: UpdateState,
    pub current_version: String,
    /// The version the server offered, newer or not.
    pub offered_version: Option<String>,
    /// Publication date (RFC 3339) and release notes, as the server gave them.
    pub date: Option<String>,
    pub notes: Option<String>,
    /// What to tell the clerk, in pt-BR.
    pub message: String,
}

/// Download progress of an update, sent on the channel given to `update_install`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UpdateProgress {
    pub downloaded: u64,
    /// Total size when the server said it.
    pub total: Option<u64>,
}
