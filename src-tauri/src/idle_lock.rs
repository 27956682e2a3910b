//! The idle lock's commands, and the rule that refuses every command that could show personal data while locked.

use balcao_core::lock_api::LockStatus;
use balcao_core::{AppError, ErrorCode};
use balcao_service::lock::IdleLock;
use tauri::State;

use crate::AppState;

/// Commands the window may still call while locked: nothing among them returns personal data.
pub const ALLOWED_WHILE_LOCKED: &[&str] =
    &["app_info", "status_info", "ui_ready", "lock_status", "lock_now", "lock_unlock", "update_status", "update_check"];

/// The refusal for anything else while locked.
pub fn locked_error() -> AppError {
    AppError::new(
        ErrorCode::Unauthorized,
        "A tela está bloqueada por inatividade. Desbloqueie para continuar; nenhum dado pessoal foi exibido.",
    )
}

/// Whether `command` may run now.
pub fn allowed(lock: &IdleLock, command: &str) -> bool {
    !lock.is_locked() || ALLOWED_WHILE_LOCKED.contains(&command)
}

#[tauri::command]
pub async fn lock_status(state: State<'_, AppState>, lock: State<'_, IdleLock>) -> Result<LockStatus, AppError> {
    state.get().await?.lock_status(&lock)
}

/// Hides personal data now: the UI calls it when the agency's idle time has passed (or the clerk asks).
#[tauri::command]
pub async fn lock_now(state: State<'_, AppState>, lock: State<'_, IdleLock>) -> Result<LockStatus, AppError> {
    lock.lock();
    state.get().await?.lock_status(&lock)
}

/// Unlocks with the PIN; without a PIN set, `pin` may be null (a confirmation).
#[tauri::command]
pub async fn lock_unlock(
    state: State<'_, AppState>,
    lock: State<'_, IdleLock>,
    pin: Option<String>,
) -> Result<LockStatus, AppError> {
    state.get().await?.lock_unlock(&lock, pin.map(Into::into))
}

/// Sets, changes (`pin`) or removes (`pin` null) the PIN; `current` is required when one is set.
#[tauri::command]
pub async fn lock_set_pin(
    state: State<'_, AppState>,
    lock: State<'_, IdleLock>,
    pin: Option<String>,
    current: Option<String>,
) -> Result<LockStatus, AppError> {
    state.get().await?.lock_set_pin(&lock, pin.map(Into::into), current.map(Into::into))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_harmless_commands_run_while_locked() {
        let lock = IdleLock::default();
        assert!(allowed(&lock, "history_search"));
        lock.lock();
        for c in [
            "lookup",
            "history_search",
            "history_get",
            "history_export",
            "settings_get",
            "diagnostics",
            "compare_records",
        ] {
            assert!(!allowed(&lock, c), "{c} must be refused while locked");
        }
        for c in ALLOWED_WHILE_LOCKED {
            assert!(allowed(&lock, c));
        }
    }
}
