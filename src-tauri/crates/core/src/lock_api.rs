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
