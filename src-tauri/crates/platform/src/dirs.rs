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

/// [`data_dir`], created if missing (private to the user on Unix).
pub fn ensure_data_dir() -> Result<PathBuf, AppError> {
    let dir = data_dir();
    create_private_dir(&dir).map_err(|e| {
        AppError::new(
            ErrorCode::Config,
            format!(
                "Não foi possível criar a pasta de dados do Balcão ({}): {e}. Verifique as permissões ou avise a TI.",
                dir.display()
            ),
        )
    })?;
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

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
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
    fn data_dir_ends_with_the_identifier_or_is_the_redirect() {
        let d = data_dir();
        if is_redirected() {
            assert_eq!(Some(d.as_os_str()), std::env::var_os(DATA_DIR_ENV).as_deref());
        } else {
            assert!(d.ends_with(APP_IDENTIFIER), "{}", d.display());
        }
    }

    #[test]
    fn os_user_is_never_empty() {
        assert!(!os_user_name().is_empty());
    }
}
