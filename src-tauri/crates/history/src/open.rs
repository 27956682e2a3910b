//! Opening `history.db`: the key from the secret store (generated on first run), `PRAGMA key`, an immediate
//! read to verify it, the forward-compatibility guard, then WAL / synchronous=FULL / secure_delete and migrations.
//! Nothing is written to the file before the key and the schema version have been checked.

use std::path::{Path, PathBuf};

use balcao_core::{AppError, Sensitive};
use balcao_platform::SecretStore;
use rusqlite::Connection;
use zeroize::{Zeroize, Zeroizing};

use crate::{DayZones, History, RecoveryKey, error, migrate};

/// The file name inside the data directory.
pub const DB_FILE_NAME: &str = "history.db";
/// The secret-store key under which the database key (64 hex characters) is kept.
pub const KEY_NAME: &str = "history-db-key";

impl History {
    /// Opens (creating on first run, with `dir` if missing) `history.db` in `dir`, with its key from `secrets`.
    ///
    /// First run (no file and no key): a random 256-bit key is generated and stored under [`KEY_NAME`], read back to
    /// prove it persisted, and only then is the file created. A file whose key is missing or wrong is refused with
    /// `HistoryLocked` and left untouched; so is a file written by a newer Balcão.
    pub fn open(dir: &Path, secrets: &dyn SecretStore) -> Result<Self, AppError> {
        Self::open_with_recovery(dir, secrets, None)
    }

    /// [`History::open`], and with the agency's `recovery` key the database key is also kept wrapped for it beside
    /// the file (`history.key.age`, see `recovery`): written when missing or wrapped for another key. Failing to
    /// write it does not fail the open (it is tried again at the next one); without `recovery` nothing is written.
    pub fn open_with_recovery(
        dir: &Path,
        secrets: &dyn SecretStore,
        recovery: Option<&RecoveryKey>,
    ) -> Result<Self, AppError> {
        let path = dir.join(DB_FILE_NAME);
        let exists = std::fs::metadata(&path).map(|m| m.len() > 0).unwrap_or(false);
        let key = match secrets.get(KEY_NAME).map_err(AppError::from)? {
            Some(key) => key,
            None if exists => {
                return Err(error::locked(
                    "O histórico existe nesta máquina, mas a chave dele não está no cofre de senhas deste usuário \
                     (cofre trocado ou apagado?). O arquivo não foi alterado. Avise a TI.",
                ));
            }
            None => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    error::locked(format!(
                        "Não foi possível criar a pasta do histórico ({}): {e}. Verifique as permissões ou avise a TI.",
                        dir.display()
                    ))
                })?;
                // Two programs starting on a new PC at once (the app and a `balcao-cli` command) must not each make a
                // key: the second would replace the one the first just created the file with. One at a time, and
                // whoever comes second takes the key the first made.
                let _first_run = first_run_lock(dir)?;
                match secrets.get(KEY_NAME).map_err(AppError::from)? {
                    Some(key) => key,
                    None => {
                        let key = generate_key()?;
                        secrets.set(KEY_NAME, &key).map_err(AppError::from)?;
                        match secrets.get(KEY_NAME).map_err(AppError::from)? {
                            Some(stored) if stored == key => key,
                            _ => {
                                return Err(AppError::new(
                                    balcao_core::ErrorCode::KeychainUnavailable,
                                    "O cofre de senhas do sistema não guardou a chave do histórico. Nada foi gravado; \
                                     avise a TI.",
                                ));
                            }
                        }
                    }
                }
            }
        };
        let history = Self::open_with_key(&path, &key)?;
        if let Some(recovery) = recovery {
            match crate::recovery::ensure_wrapped(dir, &key, recovery) {
                Ok(true) => tracing::info!("history key wrapped for the agency's recovery key"),
                Ok(false) => {}
                Err(e) => tracing::warn!(code = ?e.code, message = %e.message, "history key not wrapped for recovery"),
            }
        }
        Ok(history)
    }

    /// [`History::open`] in the app's data directory (`BALCAO_DATA_DIR` or the OS app-data directory).
    pub fn open_default(secrets: &dyn SecretStore) -> Result<Self, AppError> {
        let dir = balcao_platform::ensure_data_dir()?;
        Self::open(&dir, secrets)
    }

    /// The path `open` uses in `dir`.
    pub fn path_in(dir: &Path) -> PathBuf {
        dir.join(DB_FILE_NAME)
    }

    /// Opens (creating if missing) the SQLCipher file at `path` with `key` (64 hex characters: a raw 256-bit key).
    pub fn open_with_key(path: &Path, key: &Sensitive<String>) -> Result<Self, AppError> {
        let hex = key.expose().trim();
        if !is_key_hex(hex) {
            return Err(error::locked(
                "A chave do histórico guardada no cofre de senhas está em formato inválido. O arquivo não foi \
                 alterado. Avise a TI.",
            ));
        }
        let conn = connect(path)?;
        conn.execute_batch(&key_pragma(hex)).map_err(|e| open_error(e, path))?;
        Self::finish_open(conn, path)
    }

    /// Opens the same schema WITHOUT encryption. Only for the benchmark's plain-SQLite baseline and for tests that
    /// must read the bytes SQLCipher would hide; never compiled into the app (feature `plaintext-for-benchmarks`).
    #[cfg(feature = "plaintext-for-benchmarks")]
    pub fn open_unencrypted(path: &Path) -> Result<Self, AppError> {
        let conn = connect(path)?;
        Self::finish_open(conn, path)
    }

    /// Sets this connection's page cache (KiB), for the benchmark's comparison with SQLite's default cache.
    #[cfg(feature = "plaintext-for-benchmarks")]
    pub fn set_page_cache_kib_for_benchmarks(&self, kib: i64) -> Result<(), AppError> {
        self.conn.pragma_update(None, "cache_size", -kib).map_err(|e| error::db(e, "ajustar o cache"))
    }

    fn finish_open(mut conn: Connection, path: &Path) -> Result<Self, AppError> {
        // The first read: a wrong key shows up here ("file is not a database"), before anything is written.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
            .map_err(|e| open_error(e, path))?;
        migrate::guard(&conn)?;
        configure(&conn).map_err(|e| open_error(e, path))?;
        migrate::migrate(&mut conn)?;
        Ok(Self {
            conn,
            zones: DayZones::default(),
            quota_zones: std::collections::HashMap::new(),
            origin: balcao_core::history_api::AuditOrigin::App,
            running_batch: None,
            outbox: None,
        })
    }
}

/// Whether `hex` has the shape of a history key: 64 hex characters (a raw 256-bit key).
pub(crate) fn is_key_hex(hex: &str) -> bool {
    hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `key` opens the existing file at `path`: the key statement and one read, nothing written. `Ok(false)`
/// for a key that does not open it; an error for a file that cannot be read at all.
pub(crate) fn key_opens(path: &Path, key: &Sensitive<String>) -> Result<bool, AppError> {
    let hex = key.expose().trim();
    if !is_key_hex(hex) {
        return Ok(false);
    }
    let conn = connect(path)?;
    conn.execute_batch(&key_pragma(hex)).map_err(|e| open_error(e, path))?;
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
        Ok(_) => Ok(true),
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) => Ok(false),
        Err(e) => Err(open_error(e, path)),
    }
}

/// Waits (once per process, at most about a second) until SQLCipher has finished its own set-up.
///
/// SQLite marks itself initialised and only then runs SQLCipher's set-up (`sqlcipher_extra_init`), so a thread
/// opening its first connection in that window gets "An error occurred with PRAGMA key" from a valid key (seen in
/// CI, with tests opening histories on many threads at once; `tests/first_open.rs`). The first caller probes with
/// a throw-away in-memory connection until it accepts a key; the others wait for it here. Public for code that opens
/// its own keyed connection (tests and tools reaching under [`History`]).
pub fn sqlcipher_ready() {
    static READY: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    READY.get_or_init(|| {
        for _ in 0..200 {
            let keyed = Connection::open_in_memory().and_then(|c| c.execute_batch("PRAGMA key = 'probe';"));
            if keyed.is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        // Still refused: the real open below reports whatever SQLCipher says.
    });
}

fn connect(path: &Path) -> Result<Connection, AppError> {
    sqlcipher_ready();
    make_files_private(path).map_err(|e| {
        error::locked(format!(
            "Não foi possível proteger o arquivo do histórico em {} ({e}). Verifique as permissões da pasta ou avise \
             a TI.",
            path.display()
        ))
    })?;
    let conn = Connection::open(path).map_err(|e| open_error(e, path))?;
    // SQLCipher logs a failed key check to stderr by itself; the caller gets a coded error instead.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;").map_err(|e| open_error(e, path))?;
    conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(|e| open_error(e, path))?;
    Ok(conn)
}

/// The file private to the user (0600 on Unix) before SQLite opens it: created empty so when missing (SQLite would
/// create it 0644), and tightened with its WAL, shared-memory and journal companions when an older version left them
/// open. SQLite creates the companions with the database file's own mode.
fn make_files_private(path: &Path) -> std::io::Result<()> {
    if !path.exists() {
        drop(balcao_platform::create_private_file(path)?);
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        balcao_platform::make_private(&path.with_file_name(format!("{name}{suffix}")))?;
    }
    Ok(())
}

/// The page cache of a connection, in KiB (SQLite's default is 2 MiB). SQLCipher decrypts each page that enters
/// the cache: a cache that holds the number index of a large history keeps lookup by number off the cipher
/// (docs/benchmarks-history.md). Memory is taken only as pages are read, up to this bound.
pub(crate) const PAGE_CACHE_KIB: i64 = 32 * 1024;

/// WAL (readers never block the writer), FULL sync (an acknowledged commit is on disk), secure_delete (freed
/// pages are zeroed), temp data in memory (no plaintext temp files), a page cache of [`PAGE_CACHE_KIB`].
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(%mode, "history: WAL not available, using the rollback journal");
    }
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         PRAGMA secure_delete = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA foreign_keys = ON;",
    )?;
    conn.pragma_update(None, "cache_size", -PAGE_CACHE_KIB)
}

fn open_error(e: rusqlite::Error, path: &Path) -> AppError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => error::locked(
            "A chave guardada no cofre de senhas não abre o histórico desta máquina (o arquivo pode ser de outro \
             usuário, ou a chave foi trocada). O arquivo não foi alterado. Avise a TI.",
        ),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => error::locked(
            "O histórico está em uso por outro programa. Feche outras janelas do Balcão (ou o balcao-cli) e tente de novo.",
        ),
        _ => error::locked(format!(
            "Não foi possível abrir o histórico em {} ({e}). O arquivo não foi alterado. Verifique as permissões da \
             pasta ou avise a TI.",
            path.display()
        )),
    }
}

/// `PRAGMA key` with the raw key: the statement holds the key, so it is wiped when dropped.
fn key_pragma(hex: &str) -> Zeroizing<String> {
    const HEAD: &str = "PRAGMA key = \"x'";
    const TAIL: &str = "'\";";
    let mut sql = Zeroizing::new(String::with_capacity(HEAD.len() + hex.len() + TAIL.len()));
    sql.push_str(HEAD);
    sql.push_str(hex);
    sql.push_str(TAIL);
    sql
}

/// 32 random bytes from the OS, as 64 lower-case hex characters (built in place: no stray copies to wipe).
/// The lock held while the first key is made (released when dropped, also if the program dies).
const FIRST_RUN_LOCK: &str = "history.key.lock";

fn first_run_lock(dir: &Path) -> Result<std::fs::File, AppError> {
    let path = dir.join(FIRST_RUN_LOCK);
    let failed = |e: std::io::Error| {
        error::locked(format!(
            "Não foi possível preparar o primeiro uso do histórico ({}: {}). Verifique as permissões ou avise a TI.",
            path.display(),
            balcao_core::error::io_reason(&e)
        ))
    };
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&path).map_err(failed)?;
    file.lock().map_err(failed)?;
    Ok(file)
}

fn generate_key() -> Result<Sensitive<String>, AppError> {
    use rand::TryRngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.try_fill_bytes(&mut bytes).map_err(|e| {
        AppError::new(
            balcao_core::ErrorCode::Internal,
            format!("O sistema não forneceu números aleatórios para a chave do histórico ({e}). Avise a TI."),
        )
    })?;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for b in bytes {
        hex.push(char::from(HEX[usize::from(b >> 4)]));
        hex.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    bytes.zeroize();
    Ok(Sensitive::new(hex))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_random_hex() {
        let a = generate_key().unwrap();
        let b = generate_key().unwrap();
        assert_eq!(a.expose().len(), 64);
        assert!(a.expose().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn the_key_statement_is_exact_and_built_in_one_allocation_to_wipe() {
        let key = generate_key().unwrap();
        let sql = key_pragma(key.expose());
        assert_eq!(*sql, format!("PRAGMA key = \"x'{}'\";", key.expose()));
        assert_eq!(sql.capacity(), sql.len(), "built in one allocation: no copy left behind by a reallocation");
    }

    #[test]
    fn durability_and_erasure_settings_are_on() {
        let dir = tempfile::tempdir().unwrap();
        let key = generate_key().unwrap();
        let h = History::open_with_key(&dir.path().join("h.db"), &key).unwrap();
        let get = |p: &str| h.conn.query_row(&format!("PRAGMA {p}"), [], |r| r.get::<_, rusqlite::types::Value>(0));
        assert_eq!(get("journal_mode").unwrap(), rusqlite::types::Value::Text("wal".into()));
        assert_eq!(get("synchronous").unwrap(), rusqlite::types::Value::Integer(2), "FULL");
        assert_eq!(get("secure_delete").unwrap(), rusqlite::types::Value::Integer(1));
        assert_eq!(get("cache_size").unwrap(), rusqlite::types::Value::Integer(-PAGE_CACHE_KIB));
        assert_eq!(get("temp_store").unwrap(), rusqlite::types::Value::Integer(2), "MEMORY");
        assert!(matches!(get("cipher_version").unwrap(), rusqlite::types::Value::Text(v) if !v.is_empty()));
    }

    #[test]
    fn malformed_keys_are_refused_before_touching_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        for bad in ["", "abc", &"zz".repeat(32), &"a".repeat(63), &format!("{}\"; DROP", "a".repeat(60))] {
            let e = History::open_with_key(&path, &Sensitive::new(bad.to_owned())).unwrap_err();
            assert_eq!(e.code, balcao_core::ErrorCode::HistoryLocked);
        }
        assert!(!path.exists());
    }
}
