//! The app's state: the services (simulator, clients, history, idle lock), started once and shared by every command;
//! a failed start is not kept (the next command tries again), and the safe mode's health and «Tentar de novo».

use balcao_command::command;
use std::sync::Arc;

use balcao_core::AppError;
use balcao_core::lock_api::HealthIssue;
use balcao_service::{Balcao, StartOptions};
use tauri::State;
use tokio::sync::OnceCell;

#[derive(Debug, Default)]
pub struct AppState {
    services: OnceCell<Arc<Balcao>>,
}

impl AppState {
    /// The services, started on first use (the setup hook starts them right after launch). A start that failed is
    /// not cached: the next call tries again.
    pub async fn get(&self) -> Result<Arc<Balcao>, AppError> {
        self.start_with(StartOptions::from_env).await
    }

    /// [`AppState::get`] with other options (tests start on a temporary folder and keyring).
    pub async fn start_with(&self, opts: impl FnOnce() -> StartOptions) -> Result<Arc<Balcao>, AppError> {
        self.services.get_or_try_init(|| async { Balcao::start(opts()).await.map(Arc::new) }).await.cloned()
    }

    /// The services if they have started, without waiting: the idle lock's gate asks this before every command.
    pub fn started(&self) -> Option<Arc<Balcao>> {
        self.services.get().cloned()
    }
}

/// What keeps Balcão in its safe mode now (empty when it works fully).
#[command]
pub async fn app_health(state: State<'_, AppState>) -> Result<Vec<HealthIssue>, AppError> {
    Ok(state.get().await?.health().await)
}

/// «Tentar de novo»: starts the services if their start failed, else re-opens what failed; returns what is still
/// missing.
#[command]
pub async fn app_retry(state: State<'_, AppState>) -> Result<Vec<HealthIssue>, AppError> {
    Ok(state.get().await?.retry().await)
}
