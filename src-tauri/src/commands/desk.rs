//! Commands of the desk's files: «Abrir pasta» for the file an export just saved, and the Recibo saved as PDF (the
//! page names no path and sends no content: Rust asks where and prints the window's page).

use balcao_command::command;
use balcao_core::AppError;
use tauri::{Runtime, State, Webview};

use crate::saving::{self, LastSaved};
use crate::{AppState, desktop, receipt_pdf};

/// Shows the last exported file in the file manager (or opens its folder).
#[command]
pub async fn export_open_folder(saved: State<'_, LastSaved>) -> Result<(), AppError> {
    let file = saved.get()?;
    desktop::show_in_folder(&file).await
}

/// Asks where to save («Salvar como…») and prints the Recibo on screen there as PDF, with a line in the audit trail;
/// returns the path written, `None` when the clerk closed the dialog (nothing written).
#[command]
pub async fn receipt_save_pdf<R: Runtime>(
    webview: Webview<R>,
    state: State<'_, AppState>,
    saved: State<'_, LastSaved>,
) -> Result<Option<String>, AppError> {
    let services = state.get().await?;
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let name = format!("balcao-recibo-{stamp}.pdf");
    let window = webview.window();
    let Some(path) = saving::ask(&window, "Salvar o recibo como PDF", &name, saving::Kind::Pdf).await? else {
        return Ok(None);
    };
    receipt_pdf::write(&webview, &path).await?;
    // A saved copy of a lookup leaves its trace in the audit trail; one that cannot is taken back.
    if let Err(e) = services.history().audit_file_export("recibo de consulta (PDF)".to_owned(), 1).await {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    let written = path.to_string_lossy().into_owned();
    saved.set(&written);
    Ok(Some(written))
}
