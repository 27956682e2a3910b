//! The Tauri shell: environment fixes, logging, plugins, state and the command table. Everything else lives in the crates.

mod activity;
mod commands;
pub mod desktop;
pub mod diagnostics;
pub mod files;
pub mod idle_lock;
pub mod logging;
pub mod receipt_pdf;
pub mod saving;
#[cfg(debug_assertions)]
pub mod seams;
mod state;
pub mod updater;
pub mod window_state;

use std::ffi::OsStr;

use tauri::{Manager, Runtime};

pub use activity::Activity;
pub use commands::{COMMANDS, Command, LockPolicy};
pub use state::AppState;

/// Starts Balcão.
pub fn run() {
    // First: no core dump of this process or of the WebKit processes it starts (they inherit the limit).
    let dumps = balcao_platform::forbid_core_dumps();
    platform_env();
    let data_dir = balcao_platform::data_dir();
    let _ = logging::init(&logging::log_dir(&data_dir));
    tracing::info!(version = env!("CARGO_PKG_VERSION"), os = %diagnostics::os_description(), "Balcão starting");
    if let Err(e) = dumps {
        tracing::warn!("core dumps could not be turned off: {e}");
    }
    // The single-instance plugin goes first: a second launch must stop before anything else starts.
    let builder = tauri::Builder::default().plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
        // A second launch focuses the window already open.
        if let Some(w) = app.get_webview_window("main") {
            let _ = w.unminimize();
            let _ = w.show();
            let _ = w.set_focus();
        }
    }));
    configure(builder)
        .setup(move |app| {
            // Start the simulator and open the history off the main thread, while the window paints. (Started only
            // once the page was ready, a screen opened at once found the lock's state unknown and its first command
            // refused: the gate fails closed until start-up has read the lock.)
            start_services(app.handle());
            if let Some(window) = app.get_webview_window("main") {
                window_state::restore(&window, &balcao_platform::data_dir());
            }
            #[cfg(debug_assertions)]
            seams::start(app.handle());
            // Look for an update once the window is up; the clerk is told and chooses when to install.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                let _ = updater::check_on_start(handle, data_dir).await;
            });
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("Balcão could not start its window");
}

/// Starts the simulator, the keyring, the history and the lock off the main thread (the first command that needs
/// them waits for that start; a start already done or under way is not repeated).
pub(crate) fn start_services<R: Runtime>(app: &tauri::AppHandle<R>) {
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(e) = handle.state::<AppState>().get().await {
            tracing::warn!(code = ?e.code, "start-up incomplete");
        }
    });
}

/// Everything but the window and the OS integration: the updater plugin (configured at run time from the build's
/// key and IT's endpoints), the file dialog (used from Rust only: no page permission), files dropped on the window,
/// the state and the command table. Tests build it on Tauri's mock runtime.
pub fn configure<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_updater::Builder::new().build())
        .plugin(tauri_plugin_dialog::init())
        .on_window_event(|window, event| match event {
            tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) => {
                files::on_drop(window.app_handle(), paths);
            }
            tauri::WindowEvent::Moved(_) | tauri::WindowEvent::Resized(_) => window_state::changed(window),
            _ => {}
        })
        .manage(AppState::default())
        .manage(files::BatchFile::default())
        .manage(saving::LastSaved::default())
        .manage(window_state::WindowState::default())
        .manage(commands::BatchFollower::default())
        .manage(Activity::default())
        .manage(updater::Updates::default())
        .invoke_handler(commands::handler())
}

/// The Linux rule for WebKitGTK's DMA-BUF renderer (a blank window on some GPUs): turn it off, unless the user
/// already chose a value — even an empty one. Returns the variable to set, if any.
pub fn dmabuf_override(current: Option<&OsStr>) -> Option<(&'static str, &'static str)> {
    match current {
        Some(_) => None,
        None => Some(("WEBKIT_DISABLE_DMABUF_RENDERER", "1")),
    }
}

fn platform_env() {
    #[cfg(target_os = "linux")]
    if let Some((key, value)) = dmabuf_override(std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").as_deref()) {
        set_env_before_threads(key, value);
    }
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn set_env_before_threads(key: &str, value: &str) {
    // SAFETY: run() calls this first, on the main thread, before any other thread exists.
    unsafe { std::env::set_var(key, value) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dmabuf_is_turned_off_only_when_the_user_did_not_choose() {
        assert_eq!(dmabuf_override(None), Some(("WEBKIT_DISABLE_DMABUF_RENDERER", "1")));
        assert_eq!(dmabuf_override(Some(OsStr::new("0"))), None, "the user's 0 is kept");
        assert_eq!(dmabuf_override(Some(OsStr::new("1"))), None);
        assert_eq!(dmabuf_override(Some(OsStr::new(""))), None, "even an empty value is the user's choice");
    }
}
