//! Files from and for the user: reading one within a size limit, and result files (batch results, exports): where
//! one may be written, and writing it private (0600) and atomically.
//!
//! A result file holds names and CPFs. [`check_result_path`] refuses, before any work is done, a destination that
//! is not a plain file (a folder, a device such as `/dev/full`, a FIFO), a symbolic link (never followed), a file
//! given as input, anything inside Balcão's data folder (the encrypted history and audit trail), and a folder that
//! does not exist (never created silently). [`write_private_atomically`] writes through a fresh temporary file in
//! the same folder, created 0600 with `O_EXCL`, renamed over the destination only when complete, and removed on
//! every failure: a failed write never leaves a half-written file behind.

use std::io::Write;
use std::path::{Path, PathBuf};

use balcao_core::error::io_reason;
use balcao_core::{AppError, ErrorCode};

use crate::dirs::data_dir;

/// Why a destination was refused. [`AppError::from`] gives the pt-BR message naming the path.
#[derive(Debug, thiserror::Error)]
pub enum ResultPathError {
    #[error("destination is a folder")]
    Folder(PathBuf),
    #[error("destination is a symbolic link")]
    Symlink(PathBuf),
    #[error("destination is not a regular file")]
    NotRegular(PathBuf),
    #[error("destination is the input file")]
    IsInput(PathBuf),
    #[error("destination is inside the data folder")]
    InDataFolder { path: PathBuf, data: PathBuf },
    #[error("the destination's folder does not exist")]
    NoFolder(PathBuf),
    #[error("destination has no file name")]
    NoFileName(PathBuf),
    #[error("destination cannot be checked")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl From<ResultPathError> for AppError {
    fn from(e: ResultPathError) -> Self {
        tracing::warn!(error = %e, source = ?std::error::Error::source(&e), "result file refused");
        let message = match e {
            ResultPathError::Folder(p) => format!("O destino {} é uma pasta: indique um arquivo.", p.display()),
            ResultPathError::Symlink(p) => format!(
                "O destino {} é um link simbólico; ele não é seguido. Indique o arquivo de verdade.",
                p.display()
            ),
            ResultPathError::NotRegular(p) => format!(
                "O destino {} não é um arquivo comum (dispositivo, fila ou soquete); nada foi gravado.",
                p.display()
            ),
            ResultPathError::IsInput(p) => {
                format!(
                    "O destino {} é o próprio arquivo de entrada; escolha outro nome para o resultado.",
                    p.display()
                )
            }
            ResultPathError::InDataFolder { path, data } => format!(
                "O destino {} fica na pasta de dados do Balcão ({}), onde estão o histórico e a auditoria; \
                 grave o resultado em outra pasta.",
                path.display(),
                data.display()
            ),
            ResultPathError::NoFolder(p) => {
                format!("A pasta {} não existe; crie-a antes ou escolha outra (ela não é criada sozinha).", p.display())
            }
            ResultPathError::NoFileName(p) => format!("O destino {} não tem nome de arquivo.", p.display()),
            ResultPathError::Io { path, source } => {
                format!("Não foi possível verificar o destino {}: {}.", path.display(), io_reason(&source))
            }
        };
        AppError::new(ErrorCode::Config, message)
    }
}

/// Checks that a result may be written at `path` (see the module comment); `inputs` are files the command reads.
pub fn check_result_path(path: &Path, inputs: &[&Path]) -> Result<(), ResultPathError> {
    let io = |source| ResultPathError::Io { path: path.to_path_buf(), source };
    let Some(name) = path.file_name() else { return Err(ResultPathError::NoFileName(path.to_path_buf())) };
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => return Err(ResultPathError::Symlink(path.to_path_buf())),
        Ok(meta) if meta.is_dir() => return Err(ResultPathError::Folder(path.to_path_buf())),
        Ok(meta) if !meta.is_file() => return Err(ResultPathError::NotRegular(path.to_path_buf())),
        Ok(meta) => {
            for input in inputs {
                if std::fs::metadata(input).is_ok_and(|m| same_file(&meta, &m)) {
                    return Err(ResultPathError::IsInput(path.to_path_buf()));
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let folder = match std::fs::canonicalize(parent) {
        Ok(f) => f,
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => {
            return Err(ResultPathError::NoFolder(parent.to_path_buf()));
        }
        Err(e) => return Err(io(e)),
    };
    if !folder.is_dir() {
        return Err(ResultPathError::NoFolder(parent.to_path_buf()));
    }
    let data = data_dir();
    let data = std::fs::canonicalize(&data).unwrap_or(data);
    if folder.join(name).starts_with(&data) {
        return Err(ResultPathError::InDataFolder { path: path.to_path_buf(), data });
    }
    Ok(())
}

/// Why [`read_limited`] gave up.
#[derive(Debug, thiserror::Error)]
pub enum LimitedReadError {
    #[error("cannot read")]
    Io(#[source] std::io::Error),
    #[error("is a folder")]
    Folder,
    /// Over the limit: `bytes` is the file's size, or (a FIFO, a device) how much was read before giving up.
    #[error("over the limit ({bytes} bytes)")]
    TooLarge { bytes: u64 },
}

impl LimitedReadError {
    /// The reason in pt-BR, without the path (the caller names the file and says what it is).
    pub fn reason(&self, limit: u64) -> String {
        match self {
            LimitedReadError::Io(e) => io_reason(e),
            LimitedReadError::Folder => "é uma pasta, não um arquivo".to_owned(),
            LimitedReadError::TooLarge { bytes } => {
                format!("o arquivo tem {} e o limite é {}", human_size(*bytes), human_size(limit))
            }
        }
    }
}

/// `bytes` in KiB or MB, as a pt-BR message shows it.
fn human_size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 { format!("{} MB", bytes / (1024 * 1024)) } else { format!("{} KiB", bytes.div_ceil(1024)) }
}

/// Reads a whole file of at most `limit` bytes, never holding more than `limit + 1` of it: a folder is refused, a
/// regular file over the limit is refused by its size before it is read, and a stream without a size (a FIFO,
/// `/dev/stdin`) is read one byte past the limit to notice that it is longer.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, LimitedReadError> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(LimitedReadError::Io)?;
    if meta.is_dir() {
        return Err(LimitedReadError::Folder);
    }
    if meta.is_file() && meta.len() > limit {
        return Err(LimitedReadError::TooLarge { bytes: meta.len() });
    }
    // Sized from the metadata: growing by doubling would hold up to three times the file at once.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len().min(limit)).unwrap_or(0).saturating_add(1));
    let file = std::fs::File::open(path).map_err(LimitedReadError::Io)?;
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(LimitedReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(LimitedReadError::TooLarge { bytes: bytes.len() as u64 });
    }
    Ok(bytes)
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    a.len() == b.len() && a.modified().ok() == b.modified().ok() && a.created().ok() == b.created().ok()
}

/// A temporary file that is removed unless it was renamed into place.
struct Temp {
    path: PathBuf,
    kept: bool,
}

impl Drop for Temp {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn create_new_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Replaces `path` with what `write` produces, created 0600 (owner only) through a fresh temporary file in the same
/// folder, renamed into place only after `write` succeeded and the data reached the disk; on any failure the
/// temporary file is removed and `path` is untouched. The destination is checked again just before the rename.
pub fn write_private_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let failed = |e: std::io::Error| {
        tracing::warn!(path = %path.display(), error = %e, "result file not written");
        AppError::new(ErrorCode::Config, format!("Não foi possível gravar {}: {}.", path.display(), io_reason(&e)))
    };
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let mut attempt = 0u32;
    let (file, temp) = loop {
        let candidate = folder.join(format!(".{name}.{}.{stamp:x}{attempt}.tmp", std::process::id()));
        match create_new_private(&candidate) {
            Ok(file) => break (file, Temp { path: candidate, kept: false }),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(failed(e)),
        }
    };
    let mut out = std::io::BufWriter::new(file);
    let value = write(&mut out)?;
    out.flush().map_err(failed)?;
    let file = out.into_inner().map_err(|e| failed(e.into_error()))?;
    file.sync_all().map_err(failed)?;
    drop(file);
    check_result_path(path, &[]).map_err(AppError::from)?;
    let mut temp = temp;
    std::fs::rename(&temp.path, path).map_err(failed)?;
    temp.kept = true;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_0600_and_leaves_nothing_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r.csv");
        write_private_atomically(&out, |w| w.write_all(b"ok").map_err(|_| AppError::from(ErrorCode::Internal)))
            .unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"ok");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let e = write_private_atomically(&out, |w| {
            let _ = w.write_all(b"half");
            Err::<(), _>(AppError::from(ErrorCode::Internal))
        })
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::Internal);
        assert_eq!(std::fs::read(&out).unwrap(), b"ok", "the old file stays");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, [std::ffi::OsString::from("r.csv")], "no temporary file left");
    }

    #[test]
    fn reads_whole_files_under_the_limit_only() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.txt");
        std::fs::write(&f, "12345").unwrap();
        assert_eq!(read_limited(&f, 5).unwrap(), b"12345");
        assert!(matches!(read_limited(&f, 4), Err(LimitedReadError::TooLarge { bytes: 5 })));
        assert!(matches!(read_limited(dir.path(), 4), Err(LimitedReadError::Folder)));
        let missing = read_limited(&dir.path().join("x"), 4).unwrap_err();
        assert_eq!(missing.reason(4), "o arquivo ou a pasta não existe");
        assert_eq!(
            LimitedReadError::TooLarge { bytes: 3 << 20 }.reason(1 << 20),
            "o arquivo tem 3 MB e o limite é 1 MB"
        );
    }

    #[test]
    fn refuses_folders_links_inputs_and_missing_folders() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.csv");
        std::fs::write(&input, "x").unwrap();
        assert!(matches!(check_result_path(dir.path(), &[]), Err(ResultPathError::Folder(_))));
        assert!(matches!(check_result_path(&input, &[&input]), Err(ResultPathError::IsInput(_))));
        assert!(matches!(
            check_result_path(&dir.path().join("falta").join("r.csv"), &[]),
            Err(ResultPathError::NoFolder(_))
        ));
        assert!(!dir.path().join("falta").exists());
        #[cfg(unix)]
        {
            let link = dir.path().join("l.csv");
            std::os::unix::fs::symlink(&input, &link).unwrap();
            assert!(matches!(check_result_path(&link, &[]), Err(ResultPathError::Symlink(_))));
            assert!(matches!(check_result_path(Path::new("/dev/null"), &[]), Err(ResultPathError::NotRegular(_))));
        }
        check_result_path(&dir.path().join("novo.csv"), &[&input]).unwrap();
    }
}
