//! Commands of the Histórico screen: search, open, snapshot, purge, export and statistics.

use balcao_command::command;
use balcao_core::AppError;
use balcao_core::api::{ExportKind, HistoryStats};
use balcao_core::history_api::{HistoryEntry, HistoryPage, HistoryQuery};
use tauri::{Runtime, State, Window};

use crate::AppState;
use crate::saving::{self, LastSaved};

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

/// Asks where to save («Salvar como…», opened by Rust) and writes the history or audit CSV there; returns the path
/// written, `None` when the clerk closed the dialog (nothing written).
#[command]
pub async fn history_export<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    saved: State<'_, LastSaved>,
    kind: ExportKind,
    from: Option<String>,
    to: Option<String>,
) -> Result<Option<String>, AppError> {
    let services = state.get().await?;
    let title = match kind {
        ExportKind::History => "Salvar o histórico como",
        ExportKind::Audit => "Salvar a auditoria como",
    };
    let name = balcao_service::HistoryService::export_name(kind);
    let Some(path) = saving::ask(&window, title, &name, saving::Kind::Csv).await? else { return Ok(None) };
    let written = services.history().export_file(&path, kind, from, to).await?;
    saved.set(&written);
    Ok(Some(written))
}

#[command]
pub async fn history_stats(state: State<'_, AppState>, days: u32) -> Result<HistoryStats, AppError> {
    state.get().await?.history().stats(days).await
}
