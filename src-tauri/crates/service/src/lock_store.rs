//! The idle lock's state that must survive a restart (whether a PIN is set, each clerk's wrong-PIN back-off), kept in
//! `lock-state.json` in the data folder: owner-only (0600 on Unix), written atomically.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use balcao_core::{AppError, ErrorCode};
use serde::{Deserialize, Serialize};

/// What `lock-state.json` holds. Never the PIN nor its hash (that stays in the OS keyring).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LockFile {
    /// Whether a PIN was set the last time the keyring could be read: decides the lock at start when the keyring
    /// cannot be read now. `None`: never known (then Balcão starts locked).
    pub pin_set: Option<bool>,
    /// Each clerk's back-off, by clerk id (today only [`crate::lock::DEFAULT_CLERK`]; per-clerk sign-in adds more).
    pub clerks: BTreeMap<String, SavedBackoff>,
}

/// One clerk's wrong-PIN back-off as saved: the count and the wall-clock second (Unix time) until which they wait.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SavedBackoff {
    pub failures: u32,
    pub blocked_until_unix: Option<i64>,
}

/// Seconds since the Unix epoch (0 for a clock set before 1970).
pub fn unix_secs(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The wait left at `now` until `until`, clamped to `max`: a clock moved backwards (so that `until` looks far in the
/// future) never makes the clerk wait longer than the longest wait; a wait already over is `None`.
pub fn remaining(until_unix: i64, now: SystemTime, max: Duration) -> Option<Duration> {
    let left = until_unix.checked_sub(unix_secs(now))?;
    let left = u64::try_from(left).ok().filter(|s| *s > 0)?;
    Some(Duration::from_secs(left).min(max))
}

/// Reads and writes `lock-state.json`.
#[derive(Debug, Clone)]
pub struct LockStore {
    path: PathBuf,
}

/// What [`LockStore::load`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    /// No file yet: nothing was ever recorded.
    Missing,
    Found(LockFile),
    /// The file is there but unreadable or not valid: the caller fails closed.
    Unreadable,
}

impl LockStore {
    pub fn new(data_dir: &Path) -> Self {
        Self { path: data_dir.join("lock-state.json") }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn load(&self) -> Loaded {
        match std::fs::read(&self.path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(f) => Loaded::Found(f),
                Err(e) => {
                    tracing::warn!(error = %e, "lock state file is not valid");
                    Loaded::Unreadable
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Loaded::Missing,
            Err(e) => {
                tracing::warn!(error = %e, "lock state file unreadable");
                Loaded::Unreadable
            }
        }
    }

    /// Writes the whole file through a temporary owner-only file and a rename, so a crash never leaves half a file.
    pub fn save(&self, file: &LockFile) -> Result<(), AppError> {
        let text = serde_json::to_vec(file)
            .map_err(|e| crate::errors::internal("Não foi possível preparar o estado do bloqueio.", &e))?;
        let tmp = self.path.with_extension("json.tmp");
        let write = || -> std::io::Result<()> {
            let _ = std::fs::remove_file(&tmp);
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut f = options.open(&tmp)?;
            f.write_all(&text)?;
            f.sync_all()?;
            drop(f);
            std::fs::rename(&tmp, &self.path)
        };
        write().map_err(|e| {
            crate::errors::io_failure(
                ErrorCode::Config,
                "Não foi possível gravar o estado do bloqueio em",
                &self.path,
                &e,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_round_trips_owner_only_and_never_holds_a_pin() {
        let dir = tempfile::tempdir().unwrap();
        let store = LockStore::new(dir.path());
        assert_eq!(store.load(), Loaded::Missing);
        let mut f = LockFile { pin_set: Some(true), ..Default::default() };
        f.clerks.insert("padrao".into(), SavedBackoff { failures: 6, blocked_until_unix: Some(1_900_000_000) });
        store.save(&f).unwrap();
        assert_eq!(store.load(), Loaded::Found(f));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{mode:o}");
        }
        std::fs::write(store.path(), "{half").unwrap();
        assert_eq!(store.load(), Loaded::Unreadable);
    }

    #[test]
    fn a_clock_moved_backwards_never_makes_the_wait_longer_than_the_max() {
        let max = Duration::from_secs(900);
        let now = SystemTime::now();
        let now_s = unix_secs(now);
        assert_eq!(remaining(now_s + 60, now, max), Some(Duration::from_secs(60)));
        assert_eq!(remaining(now_s - 1, now, max), None, "a wait in the past is over");
        assert_eq!(remaining(now_s, now, max), None);
        // The clock went back a year after the wait was saved: the wait is the longest one, not a year.
        assert_eq!(remaining(now_s + 365 * 86_400, now, max), Some(max));
        assert_eq!(remaining(i64::MAX, now, max), Some(max));
        assert_eq!(remaining(i64::MIN, now, max), None);
    }
}
