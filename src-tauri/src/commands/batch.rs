//! Commands of the Lote screen: choose a file (system dialog) or open the one dropped on the window, preview it, start,
//! follow (progress streamed through a channel), cancel, resume, export, discard. The page never sends a path or the
//! file's bytes: Rust reads it.

use balcao_command::command;
use std::sync::{Arc, Mutex};

use balcao_core::AppError;
use balcao_core::batch_api::{BatchOptions, BatchPreview, BatchProgress, BatchSaved, BatchState};
use balcao_service::ProgressSink;
use tauri::ipc::Channel;
use tauri::{Runtime, State, Window};

use crate::files::{self, BatchFile};
use crate::saving::{self, LastSaved};
use crate::{Activity, AppState, desktop};

/// Opens the system dialog and previews the chosen file (`reopen`: reopens the saved batch with it instead);
/// `None` when the clerk closed the dialog.
#[command]
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
#[command]
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
#[command]
pub async fn batch_refresh(
    state: State<'_, AppState>,
    file: State<'_, BatchFile>,
    options: BatchOptions,
) -> Result<BatchPreview, AppError> {
    files::refresh(&state, &file, options).await
}

/// The page's listener for files dropped on the window (it then shows Lote, which opens the file).
#[command]
pub fn window_drops(file: State<'_, BatchFile>, on_drop: Channel<()>) {
    file.listen(on_drop);
}

/// The Lote screen's progress channel (the latest one it opened): every progress of a running batch goes there.
#[derive(Default)]
pub struct BatchFollower(Arc<Mutex<Option<Channel<BatchProgress>>>>);

impl std::fmt::Debug for BatchFollower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let open = self.0.lock().map(|c| c.is_some()).unwrap_or(false);
        f.debug_struct("BatchFollower").field("channel", &open).finish()
    }
}

impl BatchFollower {
    fn follow(&self, channel: Channel<BatchProgress>) {
        if let Ok(mut c) = self.0.lock() {
            *c = Some(channel);
        }
    }

    /// A progress sink that streams each progress to the screen's channel and holds the app busy (no update
    /// install) until the batch reaches a final state; the service always sends one, also when the run is refused or
    /// its task fails. At that final state the desktop is told when `window` is not focused.
    fn sink<R: Runtime>(&self, activity: &Activity, window: Window<R>) -> ProgressSink {
        let guard = Mutex::new(Some(activity.begin_owned()));
        let channel = self.0.clone();
        Arc::new(move |p: BatchProgress| {
            let done = matches!(p.state, BatchState::Completed | BatchState::Cancelled | BatchState::Stopped);
            if let Some(c) = channel.lock().ok().as_deref().and_then(Option::as_ref)
                && let Err(e) = c.send(p.clone())
            {
                tracing::warn!(error = %e, "batch: the progress did not reach the window");
            }
            if done {
                guard.lock().map(|mut g| g.take()).ok();
                desktop::batch_ended(&window, &p);
            }
        })
    }
}

/// Starts the previewed batch; its progress streams to the channel of `batch_follow`.
#[command]
pub async fn batch_start<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    activity: State<'_, Activity>,
    follower: State<'_, BatchFollower>,
) -> Result<BatchProgress, AppError> {
    state.get().await?.batch().start(follower.sink(&activity, window)).await
}

/// The batch's progress now (`None`: no batch), and every later one on `on_progress` (the screen calls it when it
/// opens; the latest channel replaces the one before).
#[command]
pub async fn batch_follow(
    state: State<'_, AppState>,
    follower: State<'_, BatchFollower>,
    on_progress: Channel<BatchProgress>,
) -> Result<Option<BatchProgress>, AppError> {
    follower.follow(on_progress);
    Ok(state.get().await?.batch().progress().await)
}

#[command]
pub async fn batch_cancel(state: State<'_, AppState>) -> Result<(), AppError> {
    state.get().await?.batch().cancel().await
}

#[command]
pub async fn batch_saved(state: State<'_, AppState>) -> Result<Option<BatchSaved>, AppError> {
    state.get().await?.batch().saved().await
}

#[command]
pub async fn batch_resume<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    activity: State<'_, Activity>,
    follower: State<'_, BatchFollower>,
    retry_failed: bool,
) -> Result<BatchProgress, AppError> {
    state.get().await?.batch().resume(retry_failed, follower.sink(&activity, window)).await
}

/// Asks where to save («Salvar como…», opened by Rust) and writes the result CSV there; returns the path written,
/// `None` when the clerk closed the dialog (nothing written).
#[command]
pub async fn batch_export<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    saved: State<'_, LastSaved>,
) -> Result<Option<String>, AppError> {
    let services = state.get().await?;
    let name = services.batch().export_name().await?;
    let Some(path) = saving::ask(&window, "Salvar o resultado do lote como", &name, saving::Kind::Csv).await? else {
        return Ok(None);
    };
    let written = services.batch().export_file(&path).await?;
    saved.set(&written);
    Ok(Some(written))
}

#[command]
pub async fn batch_discard(state: State<'_, AppState>) -> Result<(), AppError> {
    state.get().await?.batch().discard().await
}
