//! The desktop's own services, called from Rust: the file manager showing a saved file (D-Bus
//! `org.freedesktop.FileManager1.ShowItems`, else the folder opened) and a notification when a batch ends while the
//! window is not focused (D-Bus `org.freedesktop.Notifications`).

use std::path::Path;
#[cfg(target_os = "linux")]
use std::time::Duration;

use balcao_core::batch_api::{BatchProgress, BatchState};
use balcao_core::{AppError, ErrorCode};
use tauri::{Runtime, Window};

#[cfg(target_os = "linux")]
const DBUS_TIMEOUT: Duration = Duration::from_secs(5);

/// Shows `file` selected in the file manager; when the desktop has no FileManager1 service, opens its folder.
pub async fn show_in_folder(file: &Path) -> Result<(), AppError> {
    #[cfg(target_os = "linux")]
    {
        match show_items(file).await {
            Ok(()) => return Ok(()),
            Err(e) => tracing::info!(error = %e, "FileManager1.ShowItems unavailable: opening the folder"),
        }
        open_program("xdg-open", &[crate::saving::folder_of(file).as_os_str()])
    }
    #[cfg(target_os = "windows")]
    {
        let mut select = std::ffi::OsString::from("/select,");
        select.push(file.as_os_str());
        open_program("explorer", &[select.as_os_str()])
    }
    #[cfg(target_os = "macos")]
    {
        open_program("open", &[std::ffi::OsStr::new("-R"), file.as_os_str()])
    }
}

#[cfg(target_os = "linux")]
async fn show_items(file: &Path) -> Result<(), String> {
    let uri = tauri::Url::from_file_path(file).map_err(|()| "not an absolute path".to_owned())?;
    let call = async {
        let conn = zbus::Connection::session().await?;
        conn.call_method(
            Some("org.freedesktop.FileManager1"),
            "/org/freedesktop/FileManager1",
            Some("org.freedesktop.FileManager1"),
            "ShowItems",
            &(vec![uri.as_str()], ""),
        )
        .await?;
        Ok::<(), zbus::Error>(())
    };
    match tokio::time::timeout(DBUS_TIMEOUT, call).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err("timed out".to_owned()),
    }
}

/// Starts a program of the desktop and reaps it in the background.
fn open_program(program: &str, args: &[&std::ffi::OsStr]) -> Result<(), AppError> {
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| {
            tracing::warn!(program, error = %e, "could not open the folder");
            AppError::new(
                ErrorCode::Config,
                "Não foi possível abrir a pasta do arquivo: este computador não tem um gerenciador de arquivos \
                 disponível. O caminho do arquivo está na tela.",
            )
        })?;
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

/// The notification's title and text for a batch that ended; `None` for a batch the clerk cancelled (they are at
/// the window) or one not ended.
pub fn batch_message(p: &BatchProgress) -> Option<(String, String)> {
    let title = match p.state {
        BatchState::Completed => "Lote concluído",
        BatchState::Stopped => "Lote interrompido",
        _ => return None,
    };
    let errors = match p.errors {
        0 => "nenhum erro".to_owned(),
        1 => "1 erro".to_owned(),
        n => format!("{n} erros"),
    };
    Some((title.to_owned(), format!("{} de {} linhas processadas, {errors}.", p.done_rows, p.rows)))
}

/// When a batch ends while `window` is not focused, the desktop says so.
pub fn batch_ended<R: Runtime>(window: &Window<R>, p: &BatchProgress) {
    let Some((title, body)) = batch_message(p) else { return };
    if window.is_focused().unwrap_or(false) {
        return;
    }
    tauri::async_runtime::spawn(async move {
        if let Err(e) = notify(&title, &body).await {
            tracing::info!(error = %e, "the batch's notification was not shown");
        }
    });
}

#[cfg(target_os = "linux")]
async fn notify(title: &str, body: &str) -> Result<(), String> {
    use std::collections::HashMap;
    let call = async {
        let conn = zbus::Connection::session().await?;
        let hints: HashMap<&str, zbus::zvariant::Value<'_>> = HashMap::from([("urgency", 1u8.into())]);
        conn.call_method(
            Some("org.freedesktop.Notifications"),
            "/org/freedesktop/Notifications",
            Some("org.freedesktop.Notifications"),
            "Notify",
            &("Balcão", 0u32, "br.gov.balcao", title, body, Vec::<&str>::new(), hints, -1i32),
        )
        .await?;
        Ok::<(), zbus::Error>(())
    };
    match tokio::time::timeout(DBUS_TIMEOUT, call).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err("timed out".to_owned()),
    }
}

/// Windows and macOS: not built yet (no toast/UNUserNotification integration); the batch screen shows the end.
#[cfg(not(target_os = "linux"))]
async fn notify(_title: &str, _body: &str) -> Result<(), String> {
    Err("desktop notifications are only wired on Linux".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(state: BatchState, done_rows: u32, rows: u32, errors: u32) -> BatchProgress {
        BatchProgress {
            state,
            rows,
            done_rows,
            found: 0,
            not_found: 0,
            invalid: 0,
            empty: 0,
            errors,
            reused: 0,
            numbers_total: 0,
            numbers_done: 0,
            calls: 0,
            billable_calls: 0,
            per_second: 0.0,
            seconds_left: None,
            elapsed_seconds: 0,
            stop: None,
            resume_hint: None,
        }
    }

    #[test]
    fn the_batch_notification_says_how_many_were_done_and_failed_and_is_not_sent_when_cancelled() {
        let (title, body) = batch_message(&progress(BatchState::Completed, 6, 6, 0)).unwrap();
        assert_eq!((title.as_str(), body.as_str()), ("Lote concluído", "6 de 6 linhas processadas, nenhum erro."));
        let (title, body) = batch_message(&progress(BatchState::Stopped, 3, 10, 2)).unwrap();
        assert_eq!((title.as_str(), body.as_str()), ("Lote interrompido", "3 de 10 linhas processadas, 2 erros."));
        assert_eq!(
            batch_message(&progress(BatchState::Completed, 1, 1, 1)).unwrap().1,
            "1 de 1 linhas processadas, 1 erro."
        );
        for state in [BatchState::Cancelled, BatchState::Running, BatchState::Cancelling, BatchState::Ready] {
            assert_eq!(batch_message(&progress(state, 1, 2, 0)), None, "{state:?}");
        }
    }
}
