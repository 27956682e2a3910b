//! Commands of the Lote screen: preview a file, start, follow (polled), cancel, resume, export, discard.

use std::sync::{Arc, Mutex};

use balcao_core::batch_api::{BatchOptions, BatchPreview, BatchProgress, BatchSaved, BatchState};
use balcao_core::{AppError, ErrorCode};
use balcao_service::ProgressSink;
use base64::Engine;
use tauri::State;

use crate::{Activity, AppState};

/// The file arrives from the webview (a file the clerk chose) as base64: JSON has no bytes.
fn decode(bytes_base64: &str) -> Result<Vec<u8>, AppError> {
    base64::engine::general_purpose::STANDARD
        .decode(bytes_base64)
        .map_err(|_| AppError::new(ErrorCode::Internal, "O arquivo chegou corrompido à aplicação. Escolha-o de novo."))
}

#[tauri::command]
pub async fn batch_preview(
    state: State<'_, AppState>,
    file_name: String,
    bytes_base64: String,
    options: BatchOptions,
) -> Result<BatchPreview, AppError> {
    state.get().await?.batch_preview(file_name, decode(&bytes_base64)?, options).await
}

/// A progress sink that holds the app busy (no update install) until the batch reaches a final state; the service
/// always sends one, also when the run is refused or its task fails.
fn busy_until_done(activity: &Activity) -> ProgressSink {
    let guard = Mutex::new(Some(activity.begin_owned()));
    Arc::new(move |p: BatchProgress| {
        if matches!(p.state, BatchState::Completed | BatchState::Cancelled | BatchState::Stopped) {
            guard.lock().map(|mut g| g.take()).ok();
        }
    })
}

/// Starts the previewed batch; the window follows it with `batch_progress`.
#[tauri::command]
pub async fn batch_start(state: State<'_, AppState>, activity: State<'_, Activity>) -> Result<BatchProgress, AppError> {
    state.get().await?.batch_start(busy_until_done(&activity)).await
}

#[tauri::command]
pub async fn batch_progress(state: State<'_, AppState>) -> Result<Option<BatchProgress>, AppError> {
    Ok(state.get().await?.batch_progress().await)
}

#[tauri::command]
pub async fn batch_cancel(state: State<'_, AppState>) -> Result<(), AppError> {
    state.get().await?.batch_cancel().await
}

#[tauri::command]
pub async fn batch_saved(state: State<'_, AppState>) -> Result<Option<BatchSaved>, AppError> {
    state.get().await?.batch_saved().await
}

#[tauri::command]
pub async fn batch_open_saved(
    state: State<'_, AppState>,
    file_name: String,
    bytes_base64: String,
) -> Result<BatchPreview, AppError> {
    state.get().await?.batch_open_saved(file_name, decode(&bytes_base64)?).await
}

#[tauri::command]
pub async fn batch_resume(
    state: State<'_, AppState>,
    activity: State<'_, Activity>,
    retry_failed: bool,
) -> Result<BatchProgress, AppError> {
    state.get().await?.batch_resume(retry_failed, busy_until_done(&activity)).await
}

/// Writes the result CSV to the clerk's Downloads folder and returns its path.
#[tauri::command]
pub async fn batch_export(state: State<'_, AppState>) -> Result<String, AppError> {
    state.get().await?.batch_export().await
}

#[tauri::command]
pub async fn batch_discard(state: State<'_, AppState>) -> Result<(), AppError> {
    state.get().await?.batch_discard().await
}
