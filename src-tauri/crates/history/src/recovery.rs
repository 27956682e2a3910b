//! Key recovery: the history key wrapped (age) for the agency's recovery public key beside the database, refreshed
//! when the history opens, and unwrapped with the agency's private key to bind the history to a new secret store.
//!
//! `history.key.age` is a standard age file (`age -d -i chave.txt history.key.age` prints the key) holding the 64 hex
//! characters of the database key; `history.key.age.recipient` records which public key it was wrapped for, so a
//! changed policy key wraps it again. Both are private to the user (0600) and written atomically. The key itself is
//! never written in clear, and never logged.

use std::io::Write;
use std::path::{Path, PathBuf};

use age::secrecy::ExposeSecret;
use balcao_core::history_api::AuditOrigin;
use balcao_core::{AppError, ErrorCode, Sensitive};
use balcao_platform::SecretStore;

use crate::open::{is_key_hex, key_opens};
use crate::{DB_FILE_NAME, History, KEY_NAME, error};

/// The wrapped key, beside `history.db`.
pub const WRAPPED_KEY_FILE_NAME: &str = "history.key.age";
/// The public key the wrapped key was wrapped for (one line), beside it.
pub const WRAPPED_FOR_FILE_NAME: &str = "history.key.age.recipient";

/// The largest wrapped key, recipient record or identity file read (a post-quantum age file is about 1.5 KiB).
const MAX_FILE_BYTES: u64 = 64 * 1024;
/// The longest public key accepted (a post-quantum `age1pq1…` key is about 1 960 characters).
const MAX_KEY_CHARS: usize = 4096;

/// The agency's recovery public key, checked: a post-quantum `age1pq1…` key (what `balcao-cli admin
/// recovery-keygen` makes) or a classic X25519 `age1…` key (what `age-keygen` makes).
#[derive(Clone)]
pub struct RecoveryKey {
    text: String,
    recipient: Recipient,
}

#[derive(Clone)]
#[allow(deprecated)] // age 0.13 deprecates X25519 for new keys; agencies may already hold one made by `age-keygen`.
enum Recipient {
    PostQuantum(age::pq::Recipient),
    X25519(age::x25519::Recipient),
}

impl std::fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let head: String = self.text.chars().take(12).collect();
        let tail: String = self.text.chars().rev().take(6).collect::<Vec<_>>().into_iter().rev().collect();
        write!(f, "RecoveryKey({head}…{tail})")
    }
}

impl PartialEq for RecoveryKey {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for RecoveryKey {}

impl RecoveryKey {
    /// Parses the policy's `age1…` key; a pt-BR `Config` error otherwise.
    pub fn parse(text: &str) -> Result<Self, AppError> {
        let text = text.trim();
        let invalid = || {
            AppError::new(
                ErrorCode::Config,
                "A chave pública de recuperação da política não é válida. Use a linha «age1…» que \
                 `balcao-cli admin recovery-keygen` (ou `age-keygen`) mostrou, inteira e sem espaços.",
            )
        };
        if text.chars().count() > MAX_KEY_CHARS {
            return Err(invalid());
        }
        #[allow(deprecated)]
        let recipient = if text.starts_with("age1pq1") {
            Recipient::PostQuantum(text.parse().map_err(|_| invalid())?)
        } else if text.starts_with("age1") {
            Recipient::X25519(text.parse().map_err(|_| invalid())?)
        } else {
            return Err(invalid());
        };
        Ok(Self { text: text.to_owned(), recipient })
    }

    /// The key as the policy names it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `key` encrypted for this recipient: a complete age file.
    fn wrap(&self, key: &Sensitive<String>) -> Result<Vec<u8>, AppError> {
        let plaintext = key.expose().as_bytes();
        let wrapped = match &self.recipient {
            Recipient::PostQuantum(r) => age::encrypt(r, plaintext),
            Recipient::X25519(r) => age::encrypt(r, plaintext),
        };
        wrapped.map_err(|e| {
            tracing::warn!(error = %e, "history key not wrapped for recovery");
            AppError::new(ErrorCode::Internal, "Não foi possível cifrar a cópia da chave do histórico para a TI.")
        })
    }
}

/// The agency's private key (an age identity file), parsed. Never printed: its `Debug` is redacted.
pub struct RecoveryIdentity(Vec<Box<dyn age::Identity + Send + Sync>>);

impl std::fmt::Debug for RecoveryIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryIdentity(<redacted>)")
    }
}

impl RecoveryIdentity {
    /// Parses an identity file's text (comments and one or more `AGE-SECRET-KEY-…` lines); a pt-BR `Config` error
    /// that never repeats the text otherwise.
    pub fn parse(text: &Sensitive<String>) -> Result<Self, AppError> {
        let invalid = || {
            AppError::new(
                ErrorCode::Config,
                "O arquivo indicado não contém uma chave privada de recuperação válida (uma linha «AGE-SECRET-KEY-…», \
                 como a do arquivo que `balcao-cli admin recovery-keygen` ou `age-keygen` gravou). Nada foi alterado.",
            )
        };
        if text.expose().len() as u64 > MAX_FILE_BYTES {
            return Err(invalid());
        }
        let file = age::IdentityFile::from_buffer(text.expose().as_bytes()).map_err(|_| invalid())?;
        let identities = file.into_identities().map_err(|_| invalid())?;
        if identities.is_empty() {
            return Err(invalid());
        }
        Ok(Self(identities))
    }

    /// The plaintext of an age file encrypted for one of these identities; `None` when none of them opens it or the
    /// file was altered (age authenticates the header and every chunk).
    fn unwrap(&self, wrapped: &[u8]) -> Option<Sensitive<String>> {
        let decryptor = age::Decryptor::new(wrapped).ok()?;
        let mut reader = decryptor.decrypt(self.0.iter().map(|i| i.as_ref() as &dyn age::Identity)).ok()?;
        let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(128));
        std::io::Read::read_to_end(&mut std::io::Read::take(&mut reader, MAX_FILE_BYTES), &mut bytes).ok()?;
        let text = std::str::from_utf8(&bytes).ok()?;
        Some(Sensitive::new(text.to_owned()))
    }
}

/// A new agency key pair (post-quantum): the identity file's text, to keep off the counters' PCs, and the public
/// key for the policy.
pub fn generate_recovery_key() -> (Sensitive<String>, RecoveryKey) {
    let identity = age::pq::Identity::generate();
    let public = identity.to_public().to_string();
    let created =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let secret = identity.to_string();
    let mut text = String::with_capacity(512 + public.len() + secret.expose_secret().len());
    text.push_str(
        "# Chave privada de recuperação do histórico do Balcão. Guarde FORA dos computadores de atendimento.\n",
    );
    text.push_str("# created: ");
    text.push_str(&created);
    text.push_str("\n# public key: ");
    text.push_str(&public);
    text.push('\n');
    text.push_str(secret.expose_secret());
    text.push('\n');
    let recipient = Recipient::PostQuantum(identity.to_public());
    (Sensitive::new(text), RecoveryKey { text: public, recipient })
}

/// What [`History::recover`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovered {
    /// The key was stored in the secret store: the history opens again.
    Rebound,
    /// The secret store already held the key that opens the history; nothing was changed.
    AlreadyBound,
}

impl History {
    /// Recovers the history in `dir` with the agency's private key: unwraps `history.key.age`, checks that the key
    /// really opens `history.db`, then stores it in `secrets` under [`KEY_NAME`] (read back to prove it) and opens
    /// the history again through the store (wrapping it for `recovery` when that is set).
    ///
    /// A missing history or wrapped key, an identity that does not open the wrapped key, a wrapped file that was
    /// altered or holds another history's key: a `HistoryLocked` error saying so, and nothing is changed (no file
    /// written, nothing stored). A rebinding is written in the audit trail as `actor`'s, from the CLI.
    pub fn recover(
        dir: &Path,
        secrets: &dyn SecretStore,
        identity: &RecoveryIdentity,
        recovery: Option<&RecoveryKey>,
        actor: &crate::Actor,
    ) -> Result<Recovered, AppError> {
        let db = dir.join(DB_FILE_NAME);
        if !db.is_file() {
            return Err(no_history(dir));
        }
        let wrapped_path = dir.join(WRAPPED_KEY_FILE_NAME);
        let wrapped = match balcao_platform::read_limited(&wrapped_path, MAX_FILE_BYTES) {
            Ok(bytes) => bytes,
            Err(balcao_platform::LimitedReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(error::locked(format!(
                    "Não há cópia da chave do histórico para a TI ({}) na pasta {}: ela só existe quando a política \
                     da agência define uma chave de recuperação e o Balcão abriu o histórico depois disso. O \
                     histórico não pode ser recuperado. Nada foi alterado.",
                    WRAPPED_KEY_FILE_NAME,
                    dir.display()
                )));
            }
            Err(e) => {
                return Err(error::locked(format!(
                    "Não foi possível ler {}: {}. Nada foi alterado.",
                    wrapped_path.display(),
                    e.reason(MAX_FILE_BYTES)
                )));
            }
        };
        let key = unwrap_history_key(&wrapped, identity)?;
        Self::rebind(dir, secrets, key, recovery, actor)
    }

    /// Recovers the history in `dir` with its own key (64 hex digits), unwrapped elsewhere with
    /// [`unwrap_history_key`] — on IT's machine, so the agency's private key never reaches the clerk's session.
    /// The same checks as [`History::recover`]: the key must open `history.db`, else nothing is changed.
    pub fn recover_with_key(
        dir: &Path,
        secrets: &dyn SecretStore,
        key: Sensitive<String>,
        recovery: Option<&RecoveryKey>,
        actor: &crate::Actor,
    ) -> Result<Recovered, AppError> {
        if !dir.join(DB_FILE_NAME).is_file() {
            return Err(no_history(dir));
        }
        let key = Sensitive::new(key.expose().trim().to_owned());
        if !is_key_hex(key.expose()) {
            return Err(AppError::new(
                ErrorCode::Config,
                "A chave do histórico informada não tem o formato certo (64 algarismos hexadecimais, como \
                 balcao-cli admin unwrap-history-key a mostra). Nada foi alterado.",
            ));
        }
        Self::rebind(dir, secrets, key, recovery, actor)
    }

    /// Stores `key` as the history's key in `secrets` once it is proved to open `dir`'s history, and writes the
    /// rebinding in the audit trail.
    fn rebind(
        dir: &Path,
        secrets: &dyn SecretStore,
        key: Sensitive<String>,
        recovery: Option<&RecoveryKey>,
        actor: &crate::Actor,
    ) -> Result<Recovered, AppError> {
        let db = dir.join(DB_FILE_NAME);
        if !key_opens(&db, &key)? {
            return Err(error::locked(format!(
                "A chave recuperada de {} não abre o histórico desta pasta ({}): a cópia é de outro histórico ou foi \
                 trocada. Nada foi alterado.",
                WRAPPED_KEY_FILE_NAME,
                dir.display()
            )));
        }
        let outcome = match secrets.get(KEY_NAME).map_err(AppError::from)? {
            Some(stored) if stored == key => Recovered::AlreadyBound,
            _ => {
                secrets.set(KEY_NAME, &key).map_err(AppError::from)?;
                match secrets.get(KEY_NAME).map_err(AppError::from)? {
                    Some(stored) if stored == key => Recovered::Rebound,
                    _ => {
                        return Err(AppError::new(
                            ErrorCode::KeychainUnavailable,
                            "O cofre de senhas do sistema não guardou a chave recuperada do histórico. Desbloqueie o \
                             cofre de senhas da sessão e tente de novo.",
                        ));
                    }
                }
            }
        };
        let mut history = Self::open_with_recovery(dir, secrets, recovery)?.with_origin(AuditOrigin::Cli);
        if outcome == Recovered::Rebound {
            history.audit_recovery(actor)?;
        }
        Ok(outcome)
    }
}

fn no_history(dir: &Path) -> AppError {
    error::locked(format!(
        "Não há histórico nesta máquina (pasta {}): não há o que recuperar. Nada foi alterado.",
        dir.display()
    ))
}

/// The history key inside a wrapped key file (`history.key.age`), opened with the agency's private key: 64 hex
/// digits, or a `HistoryLocked` error when this identity does not open it or the file was altered.
pub fn unwrap_history_key(wrapped: &[u8], identity: &RecoveryIdentity) -> Result<Sensitive<String>, AppError> {
    identity.unwrap(wrapped).filter(|k| is_key_hex(k.expose())).ok_or_else(|| {
        error::locked(format!(
            "A chave privada de recuperação indicada não abre a cópia da chave do histórico ({}): é outra chave \
             (de outra agência ou antiga), ou o arquivo foi alterado. Nada foi alterado.",
            WRAPPED_KEY_FILE_NAME
        ))
    })
}

/// Writes the wrapped key for `recovery` unless the one beside the history was already wrapped for it. Returns
/// whether it wrote.
pub(crate) fn ensure_wrapped(dir: &Path, key: &Sensitive<String>, recovery: &RecoveryKey) -> Result<bool, AppError> {
    let wrapped_path = dir.join(WRAPPED_KEY_FILE_NAME);
    let for_path = dir.join(WRAPPED_FOR_FILE_NAME);
    let recorded = balcao_platform::read_limited(&for_path, MAX_FILE_BYTES).ok();
    let same_recipient = recorded.as_deref().map(<[u8]>::trim_ascii) == Some(recovery.as_str().as_bytes());
    let readable = balcao_platform::read_limited(&wrapped_path, MAX_FILE_BYTES)
        .is_ok_and(|bytes| age::Decryptor::new(&bytes[..]).is_ok());
    if same_recipient && readable {
        return Ok(false);
    }
    let wrapped = recovery.wrap(key)?;
    write_private(&wrapped_path, &wrapped)?;
    let mut line = recovery.as_str().to_owned();
    line.push('\n');
    write_private(&for_path, line.as_bytes())?;
    Ok(true)
}

/// Replaces `path` with `bytes` through a new 0600 temporary file in the same folder, synced, then renamed.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp: PathBuf = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        // A temporary file left by a crash of this same process id is replaced; a new one is never shared.
        let _ = std::fs::remove_file(&temp);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        balcao_platform::make_private(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, path)
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        AppError::new(
            ErrorCode::Internal,
            format!(
                "Não foi possível gravar {}: {}. Verifique o espaço e as permissões da pasta.",
                path.display(),
                balcao_core::error::io_reason(&e)
            ),
        )
    })
}
