//! UI types of the shell's safety features: the idle lock, the updater (check, progress) — what those commands return.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

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
