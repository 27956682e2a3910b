//! Commands of the desk's files: «Abrir pasta» for the file an export just saved (the page names no path).

use balcao_command::command;
use balcao_core::AppError;
use tauri::State;

use crate::desktop;
use crate::saving::LastSaved;

/// Shows the last exported file in the file manager (or opens its folder).
#[command]
pub async fn export_open_folder(saved: State<'_, LastSaved>) -> Result<(), AppError> {
    let file = saved.get()?;
    desktop::show_in_folder(&file).await
}
