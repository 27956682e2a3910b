//! The Recibo saved as PDF: the window's own page printed by WebKitGTK to a file (GTK's «Print to File» printer, no
//! print dialog) where the clerk chose in «Salvar como…». Linux only: on Windows and macOS the clerk prints to PDF
//! through the system print dialog («Imprimir»).

use std::path::Path;

use balcao_core::{AppError, ErrorCode};
use tauri::{Runtime, Webview};

fn failed(detail: &str) -> AppError {
    tracing::warn!(detail, "receipt PDF not written");
    AppError::new(
        ErrorCode::Config,
        "Não foi possível gravar o recibo em PDF. Use «Imprimir» e escolha «Imprimir para arquivo» (PDF).",
    )
}

/// Prints `webview`'s page (the Recibo on screen; its print style hides the buttons) to a PDF at `target`: written
/// beside it first and renamed into place once complete.
#[cfg(target_os = "linux")]
pub async fn write<R: Runtime>(webview: &Webview<R>, target: &Path) -> Result<(), AppError> {
    use std::sync::{Arc, Mutex};
    use webkit2gtk::PrintOperationExt;

    balcao_platform::check_result_path(target, &[]).map_err(AppError::from)?;
    let folder = crate::saving::folder_of(target);
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let partial = folder.join(format!(".{name}.{}.parcial.pdf", std::process::id()));
    let uri = tauri::Url::from_file_path(&partial).map_err(|()| failed("not an absolute path"))?;
    let (tx, rx) = tokio::sync::oneshot::channel::<Result<(), String>>();
    let tx = Arc::new(Mutex::new(Some(tx)));
    let done = move |r: Result<(), String>| {
        if let Some(tx) = tx.lock().ok().and_then(|mut t| t.take()) {
            let _ = tx.send(r);
        }
    };
    webview
        .with_webview(move |platform| {
            let op = webkit2gtk::PrintOperation::new(&platform.inner());
            let settings = gtk::PrintSettings::new();
            // The file printer's name is translated by GTK: asked in GTK's own language.
            settings.set_printer(&webkit2gtk::glib::dgettext(Some("gtk30"), "Print to File"));
            settings.set(gtk::PRINT_SETTINGS_OUTPUT_FILE_FORMAT, Some("pdf"));
            settings.set(gtk::PRINT_SETTINGS_OUTPUT_URI, Some(uri.as_str()));
            op.set_print_settings(&settings);
            let on_failed = done.clone();
            op.connect_failed(move |_, e| on_failed(Err(e.to_string())));
            op.connect_finished(move |_| done(Ok(())));
            op.print();
        })
        .map_err(|e| failed(&e.to_string()))?;
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(30), rx).await;
    let cleanup = || {
        let _ = std::fs::remove_file(&partial);
    };
    match outcome {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => {
            cleanup();
            return Err(failed(&e));
        }
        _ => {
            cleanup();
            return Err(failed("the print operation never finished"));
        }
    }
    let head = std::fs::read(&partial).ok().and_then(|b| b.get(..5).map(<[u8]>::to_vec));
    if head.as_deref() != Some(b"%PDF-") {
        cleanup();
        return Err(failed("the printed file is not a PDF"));
    }
    balcao_platform::make_private(&partial).map_err(|e| failed(&e.to_string()))?;
    std::fs::rename(&partial, target).map_err(|e| {
        cleanup();
        failed(&e.to_string())
    })
}

#[cfg(not(target_os = "linux"))]
pub async fn write<R: Runtime>(_webview: &Webview<R>, _target: &Path) -> Result<(), AppError> {
    Err(failed("saving the receipt as PDF is only built on Linux"))
}
