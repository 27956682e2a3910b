//! Exports saved where the clerk chooses: the system «Salvar como…» dialog opened by Rust (the page never supplies a
//! path nor receives a file's content), and the last saved file remembered for «Abrir pasta».

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use balcao_core::{AppError, ErrorCode};
use tauri::{Manager, Runtime, Window};
use tauri_plugin_dialog::DialogExt;

/// What an export writes: its dialog's filter (GTK matches patterns case-sensitively, hence both cases) and the
/// extension a name typed without one gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Csv,
    Pdf,
}

impl Kind {
    fn filter(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Kind::Csv => ("Planilha CSV", &["csv", "CSV"]),
            Kind::Pdf => ("Documento PDF", &["pdf", "PDF"]),
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Kind::Csv => "csv",
            Kind::Pdf => "pdf",
        }
    }
}

/// The last file an export wrote, for «Abrir pasta» (the page names no path).
#[derive(Debug, Default)]
pub struct LastSaved(Mutex<Option<PathBuf>>);

impl LastSaved {
    pub fn set(&self, path: &str) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(PathBuf::from(path));
    }

    /// The last saved file, if it is still there.
    pub fn get(&self) -> Result<PathBuf, AppError> {
        let path = self.0.lock().unwrap_or_else(PoisonError::into_inner).clone();
        path.filter(|p| p.is_file()).ok_or_else(|| {
            AppError::new(
                ErrorCode::NotFound,
                "O arquivo exportado não está mais lá. Exporte de novo para abrir a pasta.",
            )
        })
    }
}

/// Opens «Salvar como…» on `window`, offering `name` in the Downloads folder, and waits for the clerk: `None` when
/// the dialog was closed without a file. A name typed without an extension gets the kind's.
pub async fn ask<R: Runtime>(
    window: &Window<R>,
    title: &str,
    name: &str,
    kind: Kind,
) -> Result<Option<PathBuf>, AppError> {
    let with_extension = |p: PathBuf| if p.extension().is_some() { p } else { p.with_extension(kind.extension()) };
    #[cfg(debug_assertions)]
    if let Some(answer) = crate::seams::dialog_answer() {
        return Ok(answer.map(with_extension));
    }
    let (filter, extensions) = kind.filter();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut dialog =
        window.dialog().file().set_parent(window).set_title(title).set_file_name(name).add_filter(filter, extensions);
    if let Ok(dir) = window.path().download_dir()
        && dir.is_dir()
    {
        dialog = dialog.set_directory(dir);
    }
    dialog.save_file(move |chosen| {
        let _ = tx.send(chosen);
    });
    let chosen = rx.await.map_err(|_| dialog_error())?;
    Ok(chosen.map(|p| p.into_path().map_err(|_| dialog_error())).transpose()?.map(with_extension))
}

fn dialog_error() -> AppError {
    AppError::new(ErrorCode::Internal, "A janela «Salvar como…» fechou sem resposta. Tente de novo.")
}

/// The folder to open when the file manager cannot point at the file itself.
pub fn folder_of(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_of_a_saved_file_and_the_last_saved_file_must_still_exist() {
        assert_eq!(folder_of(Path::new("/tmp/x/r.csv")), Path::new("/tmp/x"));
        let dir = tempfile::tempdir().unwrap();
        let saved = LastSaved::default();
        assert_eq!(saved.get().unwrap_err().code, ErrorCode::NotFound, "nothing saved yet");
        let file = dir.path().join("r.csv");
        std::fs::write(&file, "x").unwrap();
        saved.set(&file.to_string_lossy());
        assert_eq!(saved.get().unwrap(), file);
        std::fs::remove_file(&file).unwrap();
        assert_eq!(saved.get().unwrap_err().code, ErrorCode::NotFound, "moved or removed since");
    }
}
