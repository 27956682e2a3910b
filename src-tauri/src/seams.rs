//! Test seams, compiled into debug builds only (`#[cfg(debug_assertions)]` in lib.rs): WebDriver cannot drive the GTK
//! file dialog nor fake a file drop, so the e2e tests answer them through files in `$BALCAO_TEST_SEAMS`.
//!
//! - `dialog-answer`: the next file dialog is not shown; it answers with the path the file holds (empty: closed
//!   without a file). The file is consumed.
//! - `drop`: within a tenth of a second, a drop of the path the file holds reaches the window's drop handler, as
//!   a real drop would. The file is consumed.
//!
//! Write each file elsewhere and rename it into place, so a half-written one is never read.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tauri::{AppHandle, Runtime};

/// The variable naming the seams' folder; unset, no seam is active.
pub const SEAMS_ENV: &str = "BALCAO_TEST_SEAMS";
const DIALOG_ANSWER: &str = "dialog-answer";
const DROP: &str = "drop";

fn dir() -> Option<PathBuf> {
    std::env::var_os(SEAMS_ENV).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// Takes (reads and removes) a seam file: its trimmed content.
fn take(file: &Path) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    std::fs::remove_file(file).ok()?;
    Some(text.trim().to_owned())
}

/// The answer queued for the next dialog: `Some(None)` = closed without a file; `None` = no answer queued.
pub fn dialog_answer() -> Option<Option<PathBuf>> {
    let text = take(&dir()?.join(DIALOG_ANSWER))?;
    Some((!text.is_empty()).then(|| PathBuf::from(text)))
}

/// Watches for queued drops while the app runs (only when `$BALCAO_TEST_SEAMS` is set).
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let Some(dir) = dir() else { return };
    tracing::warn!(dir = %dir.display(), "test seams active (debug build)");
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if let Some(path) = take(&dir.join(DROP)).filter(|p| !p.is_empty()) {
                crate::files::on_drop(&app, &[PathBuf::from(path)]);
            }
        }
    });
}
