//! The idle lock's commands, and the gate that refuses every command that could show personal data or change
//! settings while locked — and before start-up knows whether it is locked (it fails closed).

use balcao_command::command;
use balcao_core::lock_api::{ClerksView, LockStatus};
use balcao_core::{AppError, ErrorCode};
use balcao_service::Balcao;
use tauri::State;

use crate::AppState;
use crate::commands::{LockPolicy, lock_policy};

/// The refusal for anything else while locked.
pub fn locked_error() -> AppError {
    AppError::new(
        ErrorCode::Unauthorized,
        "A tela está bloqueada. Desbloqueie para continuar; nenhum dado pessoal foi exibido.",
    )
}

/// Whether `command` may run now, given the services if they have started (`None`: the lock's state is not known
/// yet, so the lock is closed). What may run while locked is declared with each command (`src-tauri/commands.rs`):
/// nothing that returns personal data or changes settings. The sign-in screen lists the clerks (names and masked
/// CPFs), signs one in with their PIN, switches clerk (which locks), and lets a clerk set their first PIN or change it
/// with the current one (with their back-off); none of them unlocks otherwise. `app_retry` only re-opens what failed
/// at start, and re-reads the PIN the lock needs.
pub fn allowed(services: Option<&Balcao>, command: &str) -> bool {
    lock_policy(command) == Some(LockPolicy::Runs) || services.is_some_and(|b| !b.idle_lock().is_locked())
}

#[command]
pub async fn lock_status(state: State<'_, AppState>) -> Result<LockStatus, AppError> {
    Ok(state.get().await?.lock().status())
}

/// Hides personal data now: the UI calls it when the agency's idle time has passed (or the clerk asks).
#[command]
pub async fn lock_now(state: State<'_, AppState>) -> Result<LockStatus, AppError> {
    Ok(state.get().await?.lock().lock_now())
}

/// Unlocks with the PIN; without a PIN set, `pin` may be null (a confirmation).
#[command]
pub async fn lock_unlock(state: State<'_, AppState>, pin: Option<String>) -> Result<LockStatus, AppError> {
    state.get().await?.lock().unlock(pin.map(Into::into)).await
}

/// Sets, changes (`pin`) or removes (`pin` null) the PIN; `current` is required when one is set.
#[command]
pub async fn lock_set_pin(
    state: State<'_, AppState>,
    pin: Option<String>,
    current: Option<String>,
) -> Result<LockStatus, AppError> {
    state.get().await?.lock().set_pin(pin.map(Into::into), current.map(Into::into)).await
}

/// The clerks of this PC and the agency's rules (names and masked CPFs: the sign-in screen lists them).
#[command]
pub async fn clerks_list(state: State<'_, AppState>) -> Result<ClerksView, AppError> {
    Ok(state.get().await?.lock().clerks().await)
}

/// «Quem está atendendo?»: signs the clerk `cpf` in with their PIN.
#[command]
pub async fn clerk_sign_in(state: State<'_, AppState>, cpf: String, pin: String) -> Result<LockStatus, AppError> {
    state.get().await?.lock().clerk_sign_in(&cpf, pin.into()).await
}

/// Another clerk takes the counter: locks, nobody signed in.
#[command]
pub async fn clerk_switch(state: State<'_, AppState>) -> Result<LockStatus, AppError> {
    Ok(state.get().await?.lock().clerk_switch())
}

/// Adds a clerk on this PC (when the agency allows), with their PIN.
#[command]
pub async fn clerk_add(
    state: State<'_, AppState>,
    cpf: String,
    name: String,
    pin: String,
) -> Result<ClerksView, AppError> {
    state.get().await?.lock().clerk_add(&cpf, &name, pin.into()).await
}

/// Removes a clerk added on this PC.
#[command]
pub async fn clerk_remove(state: State<'_, AppState>, cpf: String) -> Result<ClerksView, AppError> {
    state.get().await?.lock().clerk_remove(&cpf).await
}

/// Sets a clerk's first PIN, or changes it (`current` required then).
#[command]
pub async fn clerk_set_pin(
    state: State<'_, AppState>,
    cpf: String,
    pin: String,
    current: Option<String>,
) -> Result<ClerksView, AppError> {
    state.get().await?.lock().clerk_set_pin(&cpf, pin.into(), current.map(Into::into)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::COMMANDS;

    /// What runs while locked, as reviewed: none returns personal data or changes settings. Declaring another
    /// command `Runs` in commands.rs fails here until this list (and its review) changes too.
    const REVIEWED_RUNS_WHILE_LOCKED: [&str; 15] = [
        "app_health",
        "app_info",
        "app_retry",
        "clerk_set_pin",
        "clerk_sign_in",
        "clerk_switch",
        "clerks_list",
        "lock_now",
        "lock_status",
        "lock_unlock",
        "page_error",
        "status_info",
        "ui_ready",
        "update_check",
        "update_status",
    ];

    #[test]
    fn only_the_reviewed_harmless_commands_are_declared_to_run_while_locked() {
        let mut runs: Vec<_> = COMMANDS.iter().filter(|c| c.while_locked == LockPolicy::Runs).map(|c| c.name).collect();
        runs.sort_unstable();
        assert_eq!(runs, REVIEWED_RUNS_WHILE_LOCKED);
    }

    #[test]
    fn before_start_up_knows_the_lock_only_harmless_commands_run() {
        for c in ["lookup", "history_search", "history_export", "settings_get", "settings_save", "lock_set_pin"] {
            assert!(!allowed(None, c), "{c} must be refused before the lock's state is known");
        }
        for c in COMMANDS {
            assert_eq!(allowed(None, c.name), c.while_locked == LockPolicy::Runs, "{}", c.name);
        }
        for c in ["not_a_command", "plugin:updater|check", "plugin:fs|read_file", ""] {
            assert!(!allowed(None, c), "{c:?} is not a command of Balcão's: refused while the lock is closed");
        }
    }
}
