//! Lote's file, from the system "Abrir" dialog opened by Rust or a file dropped on the window: Rust keeps the path
//! and reads the file (through the service); the page gets only the preview, never a path or the bytes.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use balcao_core::batch_api::{BatchOptions, BatchPreview};
use balcao_core::{AppError, ErrorCode};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, Window};
use tauri_plugin_dialog::DialogExt;

use crate::AppState;

/// The dialog's title (the inside of the system dialog follows the OS language).
pub const DIALOG_TITLE: &str = "Abrir lista de CPFs e CNPJs para o Lote";
/// The dialog's file-type filter (GTK matches patterns case-sensitively, hence both cases).
const FILTER_NAME: &str = "Listas (CSV ou TXT)";
const FILTER_EXTENSIONS: &[&str] = &["csv", "txt", "CSV", "TXT"];

/// The batch file of this window: the one previewed (read again when the options change), the one dropped and not
/// yet opened, and the page's listener for drops.
#[derive(Default)]
pub struct BatchFile {
    current: Mutex<Option<PathBuf>>,
    dropped: Mutex<Option<PathBuf>>,
    listener: Mutex<Option<Channel<()>>>,
}

impl std::fmt::Debug for BatchFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchFile")
            .field("current", &slot(&self.current).is_some())
            .field("dropped", &slot(&self.dropped).is_some())
            .field("listener", &slot(&self.listener).is_some())
            .finish()
    }
}

fn slot<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl BatchFile {
    /// The page's listener: told (with no data) each time a file is dropped, so it shows Lote.
    pub fn listen(&self, channel: Channel<()>) {
        *slot(&self.listener) = Some(channel);
    }

    /// A file dropped on the window (the first, if several): kept for Lote, and the page is told. Ignored while the
    /// window is locked.
    pub fn dropped(&self, locked: bool, paths: &[PathBuf]) {
        let Some(path) = paths.first() else { return };
        if locked {
            return;
        }
        *slot(&self.dropped) = Some(path.clone());
        if let Some(ch) = slot(&self.listener).as_ref() {
            let _ = ch.send(());
        }
    }

    pub fn take_dropped(&self) -> Option<PathBuf> {
        slot(&self.dropped).take()
    }

    fn current(&self) -> Option<PathBuf> {
        slot(&self.current).clone()
    }
}

/// Handles the window's drag-and-drop events (wired in `run`).
pub fn on_drop<R: Runtime>(app: &AppHandle<R>, paths: &[PathBuf]) {
    // Fails closed: before the services have started the lock's state is not known.
    let locked = app.try_state::<AppState>().and_then(|s| s.started()).is_none_or(|b| b.idle_lock().is_locked());
    if let Some(files) = app.try_state::<BatchFile>() {
        files.dropped(locked, paths);
    }
}

/// Opens the system dialog on `window` and waits for the clerk: `None` when it was closed without a file.
pub async fn pick<R: Runtime>(window: &Window<R>) -> Result<Option<PathBuf>, AppError> {
    #[cfg(debug_assertions)]
    if let Some(answer) = crate::seams::dialog_answer() {
        return Ok(answer);
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    window
        .dialog()
        .file()
        .set_parent(window)
        .set_title(DIALOG_TITLE)
        .add_filter(FILTER_NAME, FILTER_EXTENSIONS)
        .pick_file(move |picked| {
            let _ = tx.send(picked);
        });
    let picked = rx.await.map_err(|_| dialog_error())?;
    picked.map(|p| p.into_path().map_err(|_| dialog_error())).transpose()
}

fn dialog_error() -> AppError {
    AppError::new(ErrorCode::Internal, "A janela de escolha de arquivo fechou sem resposta. Tente de novo.")
}

/// Reads and previews `path` (or reopens the saved batch with it), and keeps it as the current file.
pub async fn open(
    state: &AppState,
    files: &BatchFile,
    path: PathBuf,
    reopen: bool,
    options: BatchOptions,
) -> Result<BatchPreview, AppError> {
    let services = state.get().await?;
    let preview = if reopen {
        services.batch().open_saved_path(path.clone()).await?
    } else {
        services.batch().preview_path(path.clone(), options).await?
    };
    *slot(&files.current) = Some(path);
    Ok(preview)
}

/// Reads the current file again with other options (column, header, reuse, purpose).
pub async fn refresh(state: &AppState, files: &BatchFile, options: BatchOptions) -> Result<BatchPreview, AppError> {
    let path = files.current().ok_or_else(|| {
        AppError::new(
            ErrorCode::Config,
            "Nenhum arquivo aberto no Lote. Escolha um arquivo ou arraste-o para a janela.",
        )
    })?;
    state.get().await?.batch().preview_path(path, options).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drop_is_kept_once_and_ignored_while_locked() {
        let files = BatchFile::default();
        files.dropped(true, &[PathBuf::from("/tmp/a.csv")]);
        assert_eq!(files.take_dropped(), None, "nothing opens behind the lock screen");
        files.dropped(false, &[PathBuf::from("/tmp/a.csv"), PathBuf::from("/tmp/b.csv")]);
        assert_eq!(files.take_dropped(), Some(PathBuf::from("/tmp/a.csv")), "the first of several");
        assert_eq!(files.take_dropped(), None, "taken once");
        files.dropped(false, &[]);
        assert_eq!(files.take_dropped(), None);
    }
}
