//! The Tauri shell: builds the app, registers commands and plugins.

pub fn run() {
    tauri::Builder::default().run(tauri::generate_context!()).expect("error while running Balcão");
}
