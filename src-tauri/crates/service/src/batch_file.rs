//! Reading Lote's file from the path the shell got (system dialog or drop): the size is checked on the metadata before
//! anything is read, and never more than the limit is read, then the bytes go to the preview.

use std::io::Read;
use std::path::{Path, PathBuf};

use balcao_batch::MAX_BYTES;
use balcao_core::batch_api::{BatchOptions, BatchPreview};
use balcao_core::{AppError, ErrorCode};

use crate::BatchService;

/// The extensions Lote opens (case-insensitive).
const EXTENSIONS: [&str; 2] = ["csv", "txt"];

fn file_error(message: String) -> AppError {
    AppError::new(ErrorCode::Config, message)
}

fn too_large(bytes: u64) -> AppError {
    const MIB: u64 = 1024 * 1024;
    file_error(format!(
        "O arquivo tem {} MB; o limite é {} MB. Divida a lista em arquivos menores.",
        bytes / MIB,
        MAX_BYTES / (1024 * 1024)
    ))
}

/// Reads a CSV or TXT file of at most [`MAX_BYTES`]: its name and bytes. Refused before any read when it is not a
/// regular file, has another extension or is larger than the limit; a file that grows while read is refused too.
pub fn read_batch_file(path: &Path) -> Result<(String, Vec<u8>), AppError> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let ext_ok =
        path.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)));
    if !ext_ok {
        return Err(file_error(format!("O Lote abre arquivos CSV ou TXT; «{name}» não é um deles.")));
    }
    let unreadable = |e: std::io::Error| {
        tracing::warn!(error = %crate::errors::cause_chain(&e), "batch file unreadable");
        file_error(format!("Não foi possível ler «{name}»: {}.", balcao_core::error::io_reason(&e)))
    };
    // Before opening: opening a pipe or a device could block or never end.
    if !std::fs::metadata(path).map_err(unreadable)?.is_file() {
        return Err(file_error(format!("«{name}» não é um arquivo comum: escolha um CSV ou TXT.")));
    }
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let meta = file.metadata().map_err(unreadable)?;
    let limit = u64::try_from(MAX_BYTES).unwrap_or(u64::MAX);
    if !meta.is_file() {
        return Err(file_error(format!("«{name}» não é um arquivo comum: escolha um CSV ou TXT.")));
    }
    if meta.len() > limit {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(unreadable)?;
    if bytes.len() > MAX_BYTES {
        return Err(too_large(u64::try_from(bytes.len()).unwrap_or(u64::MAX)));
    }
    Ok((name, bytes))
}

async fn read_off_thread(path: PathBuf) -> Result<(String, Vec<u8>), AppError> {
    tokio::task::spawn_blocking(move || read_batch_file(&path))
        .await
        .map_err(|e| crate::errors::interrupted("A leitura do arquivo", &e))?
}

impl BatchService {
    /// [`BatchService::preview`] of the file at `path`, read here.
    pub async fn preview_path(&self, path: PathBuf, options: BatchOptions) -> Result<BatchPreview, AppError> {
        let (name, bytes) = read_off_thread(path).await?;
        self.preview(name, bytes, options).await
    }

    /// [`BatchService::open_saved`] with the file at `path`, read here.
    pub async fn open_saved_path(&self, path: PathBuf) -> Result<BatchPreview, AppError> {
        let (name, bytes) = read_off_thread(path).await?;
        self.open_saved(name, bytes).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_or_txt_is_read_whole_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["lista.csv", "LISTA.TXT"] {
            let p = dir.path().join(name);
            std::fs::write(&p, b"cpf\n40442820135\n").unwrap();
            assert_eq!(read_batch_file(&p).unwrap(), (name.to_owned(), b"cpf\n40442820135\n".to_vec()));
        }
    }

    #[test]
    fn a_file_over_the_limit_is_refused_from_its_size_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("enorme.csv");
        // 64 GiB, sparse: reading it whole would exhaust memory (and take minutes); the size alone refuses it.
        std::fs::File::create(&p).unwrap().set_len(64 << 30).unwrap();
        let started = std::time::Instant::now();
        let e = read_batch_file(&p).unwrap_err();
        assert_eq!(e.code, ErrorCode::Config);
        assert!(e.message.contains("65536 MB") && e.message.contains("limite"), "{}", e.message);
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "not read: {:?}", started.elapsed());
        // One byte over the limit is refused too; exactly the limit is not refused for its size.
        let limit = u64::try_from(MAX_BYTES).unwrap();
        std::fs::File::create(&p).unwrap().set_len(limit + 1).unwrap();
        assert!(read_batch_file(&p).unwrap_err().message.contains("limite"));
    }

    #[test]
    fn other_kinds_of_file_are_refused_without_reading() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("planilha.xlsx");
        std::fs::write(&exe, b"PK").unwrap();
        assert!(read_batch_file(&exe).unwrap_err().message.contains("CSV ou TXT"));
        let folder = dir.path().join("pasta.csv");
        std::fs::create_dir(&folder).unwrap();
        assert!(read_batch_file(&folder).unwrap_err().message.contains("não é um arquivo comum"));
        assert!(read_batch_file(&dir.path().join("sumiu.csv")).unwrap_err().message.contains("Não foi possível ler"));
        #[cfg(unix)]
        {
            // A named pipe would block the read for ever: refused from its metadata.
            let fifo = dir.path().join("fila.csv");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
            assert!(made.success());
            assert!(read_batch_file(&fifo).unwrap_err().message.contains("não é um arquivo comum"));
        }
        #[cfg(unix)]
        {
            // A link to an endless device, named like a list.
            let zero = dir.path().join("zero.csv");
            std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
            assert!(read_batch_file(&zero).unwrap_err().message.contains("não é um arquivo comum"));
        }
    }
}
