//! The bench floor: a bare Tauri 2 window whose page reports `ui_ready` exactly as Balcão's Consulta does.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::sync::OnceLock;

static READY: OnceLock<f64> = OnceLock::new();

/// The page calls this once its input is focused; the first report is printed as Balcão prints it.
#[tauri::command]
fn ui_ready(millis: f64) {
    if READY.set(millis).is_ok() {
        eprintln!("BALCAO_UI_READY_MS={millis:.1}");
    }
}

fn main() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ui_ready])
        .run(tauri::generate_context!())
        .expect("hello-bench could not start its window");
}
