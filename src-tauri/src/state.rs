//! The app's state: the services (simulator, clients, history), started once and shared by every command.

use std::sync::Arc;

use balcao_core::AppError;
use balcao_service::{Balcao, StartOptions};
use tokio::sync::OnceCell;

#[derive(Debug, Default)]
pub struct AppState {
    services: OnceCell<Result<Arc<Balcao>, AppError>>,
}

impl AppState {
    /// The services, started on first use (the setup hook starts them right after launch).
    pub async fn get(&self) -> Result<Arc<Balcao>, AppError> {
        self.services
            .get_or_init(|| async { Balcao::start(StartOptions::from_env()).await.map(Arc::new) })
            .await
            .clone()
    }
}
