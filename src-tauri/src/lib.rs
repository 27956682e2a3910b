//! The Tauri shell: environment fixes, plugins, state and the command table. Everything else lives in the crates.

mod commands;
mod state;

use tauri::Manager;

pub use state::AppState;

/// Starts Balcão.
pub fn run() {
    platform_env();
    init_logging();
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            // A second launch focuses the window already open.
            if let Some(w) = app.get_webview_window("main") {
                let _ = w.unminimize();
                let _ = w.set_focus();
            }
        }))
        .manage(AppState::default())
        .setup(|app| {
            // Start the simulator and open the history off the main thread, while the window paints.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                if let Err(e) = handle.state::<AppState>().get().await {
                    tracing::warn!(code = ?e.code, "start-up incomplete");
                }
            });
            Ok(())
        })
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!())
        .expect("Balcão could not start its window");
}

/// WebKitGTK renders a blank window on some GPUs with the DMA-BUF renderer: turn it off unless the user chose.
fn platform_env() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        set_env_before_threads("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    }
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn set_env_before_threads(key: &str, value: &str) {
    // SAFETY: run() calls this first, on the main thread, before any other thread exists.
    unsafe { std::env::set_var(key, value) }
}

fn init_logging() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("BALCAO_LOG").unwrap_or_else(|_| "warn,balcao=info".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
