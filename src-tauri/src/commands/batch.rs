//! Commands of the Lote screen: choose a file (system dialog) or open the one dropped on the window, preview it, start,
//! follow (polled), cancel, resume, export, discard. The page never sends a path or the file's bytes: Rust reads it.

use std::sync::{Arc, Mutex};

use balcao_core::AppError;
use balcao_core::batch_api::{BatchOptions, BatchPreview, BatchProgress, BatchSaved, BatchState};
use balcao_service::ProgressSink;
use tauri::ipc::Channel;
use tauri::{Runtime, State, Window};

use crate::files::{self, BatchFile};
use crate::{Activity, AppState};

/// Opens the system dialog and previews the chosen file (`reopen`: reopens the saved batch with it instead);
/// `None` when the clerk closed the dialog.
#[tauri::command]
pub async fn batch_choose_file<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    file: State<'_, BatchFile>,
    reopen: bool,
    options: BatchOptions,
) -> Result<Option<BatchPreview>, AppError> {
    let Some(path) = files::pick(&window).await? else { return Ok(None) };
    files::open(&state, &file, path, reopen, options).await.map(Some)
}

/// Previews the file last dropped on the window (taken once); `None` when none is waiting.
#[tauri::command]
pub async fn batch_open_dropped(
    state: State<'_, AppState>,
    file: State<'_, BatchFile>,
    reopen: bool,
    options: BatchOptions,
) -> Result<Option<BatchPreview>, AppError> {
    let Some(path) = file.take_dropped() else { return Ok(None) };
    files::open(&state, &file, path, reopen, options).await.map(Some)
}

/// Reads the current file again with the options changed.
#[tauri::command]
pub async fn batch_refresh(
    state: State<'_, AppState>,
    file: State<'_, BatchFile>,
    options: BatchOptions,
) -> Result<BatchPreview, AppError> {
    files::refresh(&state, &file, options).await
}

/// The page's listener for files dropped on the window (it then shows Lote, which opens the file).
#[tauri::command]
pub fn window_drops(file: State<'_, BatchFile>, on_drop: Channel<()>) {
    file.listen(on_drop);
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
    state.get().await?.batch().start(busy_until_done(&activity)).await
}

#[tauri::command]
pub async fn batch_progress(state: State<'_, AppState>) -> Result<Option<BatchProgress>, AppError> {
    Ok(state.get().await?.batch().progress().await)
}

#[tauri::command]
pub async fn batch_cancel(state: State<'_, AppState>) -> Result<(), AppError> {
    state.get().await?.batch().cancel().await
}

#[tauri::command]
pub async fn batch_saved(state: State<'_, AppState>) -> Result<Option<BatchSaved>, AppError> {
    state.get().await?.batch().saved().await
}

#[tauri::command]
pub async fn batch_resume(
    state: State<'_, AppState>,
    activity: State<'_, Activity>,
    retry_failed: bool,
) -> Result<BatchProgress, AppError> {
    state.get().await?.batch().resume(retry_failed, busy_until_done(&activity)).await
}

/// Writes the result CSV to the clerk's Downloads folder and returns its path.
#[tauri::command]
pub async fn batch_export(state: State<'_, AppState>) -> Result<String, AppError> {
    state.get().await?.batch().export().await
}

#[tauri::command]
pub async fn batch_discard(state: State<'_, AppState>) -> Result<(), AppError> {
    state.get().await?.batch().discard().await
}
