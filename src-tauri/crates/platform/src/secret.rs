//! The `SecretStore` trait, its error type (mapped to pt-BR `AppError`s) and the in-memory store for unit tests.

use std::collections::HashMap;
use std::sync::Mutex;

use balcao_core::{AppError, ErrorCode, Sensitive};

/// Where Balcão keeps secrets (API client secrets, tokens, the history database key).
///
/// The production implementation is [`crate::KeyringStore`]; [`MemoryStore`] exists for unit tests.
pub trait SecretStore: Send + Sync + std::fmt::Debug {
    /// The secret stored under `key`, or `None` when there is none.
    fn get(&self, key: &str) -> Result<Option<Sensitive<String>>, SecretError>;
    /// Stores (or replaces) the secret under `key`.
    fn set(&self, key: &str, value: &Sensitive<String>) -> Result<(), SecretError>;
    /// Removes the secret under `key`; removing a missing key is not an error.
    fn delete(&self, key: &str) -> Result<(), SecretError>;
}

/// Why the secret store failed, as far as the clerk (or the IT desk) needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretFailure {
    /// The keyring exists but is locked (Secret Service `IsLocked`, a dismissed unlock prompt).
    Locked,
    /// No keyring service can be reached: no D-Bus session bus, no Secret Service provider, unsupported OS.
    NoService,
    /// The OS refused access to the keyring.
    AccessDenied,
    /// The keyring answered, but with something unusable (not UTF-8, a value different from the one written).
    BadData,
    /// Any other failure of the platform's keyring.
    Platform,
}

/// A secret-store failure: always `ErrorCode::KeychainUnavailable`, with a pt-BR message per [`SecretFailure`]
/// and a technical `detail` (English, from the platform) for diagnostics. Never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} [{detail}]", self.message())]
pub struct SecretError {
    pub code: ErrorCode,
    pub failure: SecretFailure,
    pub detail: String,
    /// A pt-BR message naming the place and the fix, which replaces the per-failure one (the machine store).
    pub explained: Option<String>,
}

impl SecretError {
    pub fn new(failure: SecretFailure, detail: impl Into<String>) -> Self {
        Self { code: ErrorCode::KeychainUnavailable, failure, detail: detail.into(), explained: None }
    }

    /// A failure with its own pt-BR `message` (a file and what IT should do about it) instead of the keyring's.
    pub fn explained(failure: SecretFailure, message: String, detail: impl Into<String>) -> Self {
        Self { explained: Some(message), ..Self::new(failure, detail) }
    }

    /// What the clerk reads: what happened and what to do.
    pub fn message(&self) -> &str {
        if let Some(m) = &self.explained {
            return m;
        }
        match self.failure {
            SecretFailure::Locked => {
                "O cofre de senhas do sistema está bloqueado. Desbloqueie-o (ou entre de novo na sessão) e tente outra vez; nada foi gravado sem criptografia."
            }
            SecretFailure::NoService => {
                "O cofre de senhas do sistema não foi encontrado (no Linux: serviço Secret Service, como o GNOME Keyring ou o KWallet, numa sessão D-Bus). Peça à TI para ativá-lo; nada foi gravado sem criptografia."
            }
            SecretFailure::AccessDenied => {
                "O sistema negou ao Balcão o acesso ao cofre de senhas. Autorize o acesso quando o sistema pedir ou avise a TI; nada foi gravado sem criptografia."
            }
            SecretFailure::BadData => {
                "O cofre de senhas do sistema devolveu um valor ilegível. Avise a TI; nada foi gravado sem criptografia."
            }
            SecretFailure::Platform => ErrorCode::KeychainUnavailable.default_message(),
        }
    }
}

impl From<SecretError> for AppError {
    fn from(e: SecretError) -> Self {
        AppError::new(e.code, e.message())
    }
}

/// An in-memory secret store, for unit tests only: secrets vanish with the value.
#[derive(Debug, Default)]
pub struct MemoryStore {
    map: Mutex<HashMap<String, Sensitive<String>>>,
    unavailable: bool,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A store whose every call fails with `KeychainUnavailable` (`SecretFailure::NoService`), for error paths.
    pub fn unavailable() -> Self {
        Self { map: Mutex::default(), unavailable: true }
    }

    fn check(&self) -> Result<(), SecretError> {
        if self.unavailable {
            Err(SecretError::new(SecretFailure::NoService, "MemoryStore::unavailable"))
        } else {
            Ok(())
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Sensitive<String>>> {
        self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<Sensitive<String>>, SecretError> {
        self.check()?;
        Ok(self.map().get(key).cloned())
    }

    fn set(&self, key: &str, value: &Sensitive<String>) -> Result<(), SecretError> {
        self.check()?;
        self.map().insert(key.to_owned(), value.clone());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), SecretError> {
        self.check()?;
        self.map().remove(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_round_trip() {
        let s = MemoryStore::new();
        assert_eq!(s.get("k").unwrap(), None);
        s.set("k", &Sensitive::new("v1".to_owned())).unwrap();
        s.set("k", &Sensitive::new("v2".to_owned())).unwrap();
        assert_eq!(s.get("k").unwrap().unwrap().expose(), "v2");
        s.delete("k").unwrap();
        s.delete("k").unwrap();
        assert_eq!(s.get("k").unwrap(), None);
    }

    #[test]
    fn unavailable_store_fails_with_a_coded_pt_br_error() {
        let s = MemoryStore::unavailable();
        let e = s.get("k").unwrap_err();
        assert_eq!(e.code, ErrorCode::KeychainUnavailable);
        let app: AppError = e.into();
        assert_eq!(app.code, ErrorCode::KeychainUnavailable);
        assert!(app.message.contains("cofre de senhas"), "{}", app.message);
        assert!(s.set("k", &Sensitive::new("v".to_owned())).is_err());
        assert!(s.delete("k").is_err());
    }

    #[test]
    fn every_failure_has_its_own_message() {
        let all = [
            SecretFailure::Locked,
            SecretFailure::NoService,
            SecretFailure::AccessDenied,
            SecretFailure::BadData,
            SecretFailure::Platform,
        ];
        let msgs: std::collections::HashSet<_> =
            all.iter().map(|f| SecretError::new(*f, "").message().to_owned()).collect();
        assert_eq!(msgs.len(), all.len());
    }
}
