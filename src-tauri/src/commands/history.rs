//! Commands of the Histórico screen: search, open, snapshot, purge, export and statistics.

use balcao_command::command;
use balcao_core::AppError;
use balcao_core::api::{ExportKind, HistoryStats};
use balcao_core::history_api::{HistoryEntry, HistoryPage, HistoryQuery};
use tauri::State;

use crate::AppState;

#[command]
pub async fn history_search(state: State<'_, AppState>, query: HistoryQuery) -> Result<HistoryPage, AppError> {
    state.get().await?.history().search(query).await
}

#[command]
pub async fn history_get(state: State<'_, AppState>, id: i64) -> Result<HistoryEntry, AppError> {
    state.get().await?.history().get(id).await
}

#[command]
pub async fn history_previous(state: State<'_, AppState>, id: i64) -> Result<Option<HistoryEntry>, AppError> {
    state.get().await?.history().previous(id).await
}

#[command]
pub async fn history_purge(state: State<'_, AppState>) -> Result<u64, AppError> {
    state.get().await?.history().purge().await
}

#[command]
pub async fn history_export(
    state: State<'_, AppState>,
    kind: ExportKind,
    from: Option<String>,
    to: Option<String>,
) -> Result<String, AppError> {
    state.get().await?.history().export(kind, from, to).await
}

#[command]
pub async fn history_stats(state: State<'_, AppState>, days: u32) -> Result<HistoryStats, AppError> {
    state.get().await?.history().stats(days).await
}
