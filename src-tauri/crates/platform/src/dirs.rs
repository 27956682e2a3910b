//! Balcão's data directory (redirectable through `BALCAO_DATA_DIR` for tests) and the OS user name for the audit.

use std::path::{Path, PathBuf};

use balcao_core::{AppError, ErrorCode};

/// The app identifier; the OS data directory is named after it (as Tauri's `app_data_dir` does).
pub const APP_IDENTIFIER: &str = "br.gov.balcao";
/// Environment variable that redirects every Balcão data file (tests, e2e, portable installs).
pub const DATA_DIR_ENV: &str = "BALCAO_DATA_DIR";

/// Where Balcão keeps its files: `$BALCAO_DATA_DIR` when set (and not empty), else the OS app-data directory
/// for `br.gov.balcao`: `$XDG_DATA_HOME` (or `~/.local/share`) on Linux, `~/Library/Application Support`
/// on macOS, `%APPDATA%` on Windows. The directory is not created; see [`ensure_data_dir`].
pub fn data_dir() -> PathBuf {
    if let Some(dir) = redirect() {
        return dir;
    }
    os_data_base().join(APP_IDENTIFIER)
}

/// True when `BALCAO_DATA_DIR` redirects the data directory (tests, e2e): the UI can say so.
pub fn is_redirected() -> bool {
    redirect().is_some()
}

/// [`data_dir`], created if missing and made private to the user ([`secure_data_dir`]).
pub fn ensure_data_dir() -> Result<PathBuf, AppError> {
    let dir = data_dir();
    secure_data_dir(&dir)?;
    Ok(dir)
}

/// The OS account running Balcão (for the audit trail): `USER`/`LOGNAME` on Unix, `USERNAME` on Windows.
pub fn os_user_name() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .map(|s| s.trim().to_owned())
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| "desconhecido".to_owned())
}

fn redirect() -> Option<PathBuf> {
    std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()).map(PathBuf::from)
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

#[cfg(target_os = "macos")]
fn os_data_base() -> PathBuf {
    home().join("Library").join("Application Support")
}

#[cfg(target_os = "windows")]
fn os_data_base() -> PathBuf {
    std::env::var_os("APPDATA")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join("AppData").join("Roaming"))
}

#[cfg(not(any(target_os = "macos", target_os = "windows")))]
fn os_data_base() -> PathBuf {
    xdg_data_base(std::env::var_os("XDG_DATA_HOME").map(PathBuf::from), &home())
}

/// XDG: `$XDG_DATA_HOME` only when it is an absolute path, else `~/.local/share`.
#[cfg_attr(any(target_os = "macos", target_os = "windows"), allow(dead_code))]
fn xdg_data_base(xdg_data_home: Option<PathBuf>, home: &Path) -> PathBuf {
    match xdg_data_home {
        Some(p) if p.is_absolute() => p,
        _ => home.join(".local").join("share"),
    }
}

/// How deep [`secure_data_dir`] looks for files left readable by others (the data folder, `logs/`, `lote/`, `exports/`).
const TIGHTEN_DEPTH: usize = 3;

/// Creates `dir` if missing and makes it private to the user: on Unix the folder 0700 (also when an older version
/// left it 0755) and every file already in it 0600, sub-folders 0700, a few levels down, never following a link.
/// On Windows nothing is changed: the folder lives in the user's profile (`%APPDATA%`), whose ACL already grants
/// only the user, SYSTEM and administrators, and files inherit it.
pub fn secure_data_dir(dir: &Path) -> Result<(), AppError> {
    let fail = |e: std::io::Error| {
        AppError::new(
            ErrorCode::Config,
            format!(
                "Não foi possível proteger a pasta de dados do Balcão ({}): {e}. Verifique as permissões ou avise a TI.",
                dir.display()
            ),
        )
    };
    create_private_dir(dir).map_err(fail)?;
    tighten_tree(dir, TIGHTEN_DEPTH).map_err(fail)
}

/// Opens `path` for writing (created, or emptied), readable and writable by its owner only (0600 on Unix, also when
/// the file existed with a looser mode). For every file Balcão writes with personal data: settings, exports.
pub fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let file = o.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if file.metadata()?.permissions().mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(file)
}

/// Makes an existing file private (0600 on Unix); a missing file is not an error. No-op elsewhere.
pub fn make_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_file() && m.permissions().mode() & 0o077 != 0 => {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            }
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// From now on, files and folders this process creates are private to the user (umask 077 on Unix): covers the
/// files other libraries create for Balcão without a mode of their own (the daily log files at rotation, SQLite's
/// companions). No-op on Windows, where the profile's ACL applies.
pub fn restrict_new_files() {
    #[cfg(unix)]
    {
        use rustix::fs::Mode;
        rustix::process::umask(Mode::from_raw_mode(0o077));
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let m = std::fs::metadata(dir)?;
    if m.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Files 0600 and folders 0700 under `dir`, `depth` levels down; links are left alone (never followed).
#[cfg(unix)]
fn tighten_tree(dir: &Path, depth: usize) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let m = std::fs::symlink_metadata(&path)?;
        let mode = m.permissions().mode();
        if m.file_type().is_file() && mode & 0o077 != 0 {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        } else if m.file_type().is_dir() {
            if mode & 0o077 != 0 {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))?;
            }
            if depth > 1 {
                tighten_tree(&path, depth - 1)?;
            }
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten_tree(_dir: &Path, _depth: usize) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdg_rules() {
        let home = Path::new("/home/ana");
        assert_eq!(xdg_data_base(None, home), PathBuf::from("/home/ana/.local/share"));
        assert_eq!(xdg_data_base(Some("/xdg".into()), home), PathBuf::from("/xdg"));
        assert_eq!(xdg_data_base(Some("relative".into()), home), PathBuf::from("/home/ana/.local/share"));
    }

    #[test]
    fn os_user_is_never_empty() {
        assert!(!os_user_name().is_empty());
    }
}
