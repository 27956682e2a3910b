//! `KeyringStore`: the OS keyring (Secret Service, macOS Keychain, Windows Credential Manager) behind `SecretStore`.
//!
//! The platform backend is chosen explicitly per OS, never through keyring's default builder, so a build
//! without the platform feature cannot silently end up on keyring's in-memory mock.

use balcao_core::Sensitive;
use keyring::credential::CredentialBuilder;

use crate::secret::{SecretError, SecretFailure, SecretStore};

/// The keyring service every Balcão secret is filed under.
pub const DEFAULT_SERVICE: &str = "br.gov.balcao";
/// Environment variable that redirects the keyring service (tests, e2e, a second installation).
pub const SERVICE_ENV: &str = "BALCAO_KEYRING_SERVICE";

/// The OS keyring, under one service name; each secret is an entry whose user name is the secret's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyringStore {
    service: String,
}

impl Default for KeyringStore {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyringStore {
    /// The store under `$BALCAO_KEYRING_SERVICE` when set (and not empty), else under `br.gov.balcao`.
    pub fn new() -> Self {
        match std::env::var(SERVICE_ENV) {
            Ok(s) if !s.trim().is_empty() => Self::with_service(s.trim()),
            _ => Self::with_service(DEFAULT_SERVICE),
        }
    }

    pub fn with_service(service: &str) -> Self {
        Self { service: service.to_owned() }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    /// Writes, reads back and deletes a throw-away value: proves at start-up that secrets really persist
    /// in the OS keyring (and are not silently lost), or names why they cannot.
    pub fn self_test(&self) -> Result<(), SecretError> {
        const KEY: &str = "balcao-self-test";
        let nonce =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let value = Sensitive::new(format!("self-test-{}-{nonce}", std::process::id()));
        self.set(KEY, &value)?;
        let read = self.get(KEY);
        let deleted = self.delete(KEY);
        match read? {
            Some(v) if v == value => {}
            Some(_) => return Err(SecretError::new(SecretFailure::BadData, "self-test read back a different value")),
            None => return Err(SecretError::new(SecretFailure::Platform, "self-test value was not persisted")),
        }
        deleted?;
        match self.get(KEY)? {
            None => Ok(()),
            Some(_) => Err(SecretError::new(SecretFailure::Platform, "self-test value survived its deletion")),
        }
    }

    fn entry(&self, key: &str) -> Result<keyring::Entry, SecretError> {
        let credential = platform_builder()?.build(None, &self.service, key).map_err(map_error)?;
        Ok(keyring::Entry::new_with_credential(credential))
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, key: &str) -> Result<Option<Sensitive<String>>, SecretError> {
        match self.entry(key)?.get_password() {
            Ok(v) => Ok(Some(Sensitive::new(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e)),
        }
    }

    fn set(&self, key: &str, value: &Sensitive<String>) -> Result<(), SecretError> {
        self.entry(key)?.set_password(value.expose()).map_err(map_error)
    }

    fn delete(&self, key: &str) -> Result<(), SecretError> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_error(e)),
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn platform_builder() -> Result<Box<CredentialBuilder>, SecretError> {
    Ok(keyring::secret_service::default_credential_builder())
}

#[cfg(target_os = "macos")]
fn platform_builder() -> Result<Box<CredentialBuilder>, SecretError> {
    Ok(keyring::macos::default_credential_builder())
}

#[cfg(target_os = "windows")]
fn platform_builder() -> Result<Box<CredentialBuilder>, SecretError> {
    Ok(keyring::windows::default_credential_builder())
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    target_os = "windows"
)))]
fn platform_builder() -> Result<Box<CredentialBuilder>, SecretError> {
    Err(SecretError::new(SecretFailure::NoService, "no supported keyring on this operating system"))
}

/// Maps keyring's errors (and, through their text, the Secret Service / D-Bus error names) to a `SecretError`.
fn map_error(e: keyring::Error) -> SecretError {
    match e {
        keyring::Error::NoStorageAccess(inner) => {
            let detail = format!("{inner:?}");
            let failure = if is_locked(&detail) { SecretFailure::Locked } else { SecretFailure::AccessDenied };
            SecretError::new(failure, detail)
        }
        keyring::Error::PlatformFailure(inner) => {
            let detail = format!("{inner:?}");
            SecretError::new(classify_platform(&detail), detail)
        }
        keyring::Error::BadEncoding(_) => SecretError::new(SecretFailure::BadData, "stored secret is not UTF-8"),
        keyring::Error::NoEntry => SecretError::new(SecretFailure::Platform, "no entry"),
        other => SecretError::new(SecretFailure::Platform, other.to_string()),
    }
}

fn is_locked(detail: &str) -> bool {
    detail.contains("IsLocked") || detail.contains("Locked") || detail.contains("Prompt")
}

/// `detail` is the Debug text of the platform error; for D-Bus errors it carries the error name.
fn classify_platform(detail: &str) -> SecretFailure {
    if is_locked(detail) {
        SecretFailure::Locked
    } else if detail.contains("org.freedesktop.DBus.Error.")
        || detail.contains("Unavailable")
        || detail.contains("NotSupported")
    {
        SecretFailure::NoService
    } else if detail.contains("AccessDenied") {
        SecretFailure::AccessDenied
    } else {
        SecretFailure::Platform
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names() {
        assert_eq!(KeyringStore::with_service("x.y").service(), "x.y");
    }

    #[test]
    fn secret_service_errors_are_classified() {
        let locked = "Dbus(D-Bus error: Cannot get secret of a locked object (org.freedesktop.Secret.Error.IsLocked))";
        assert_eq!(classify_platform(locked), SecretFailure::Locked);
        let no_bus = "Dbus(D-Bus error: Unable to autolaunch a dbus-daemon (org.freedesktop.DBus.Error.NotSupported))";
        assert_eq!(classify_platform(no_bus), SecretFailure::NoService);
        let no_server = "Dbus(D-Bus error: Failed to connect to socket /nowhere: No such file or directory (org.freedesktop.DBus.Error.FileNotFound))";
        assert_eq!(classify_platform(no_server), SecretFailure::NoService);
        assert_eq!(classify_platform("Unavailable"), SecretFailure::NoService);
        assert_eq!(classify_platform("Crypto(bad padding)"), SecretFailure::Platform);
        let e = map_error(keyring::Error::NoStorageAccess(Box::new(std::io::Error::other("Locked"))));
        assert_eq!(e.failure, SecretFailure::Locked);
        let e = map_error(keyring::Error::BadEncoding(vec![0xff]));
        assert_eq!(e.failure, SecretFailure::BadData);
        assert!(!e.detail.contains("ff"));
    }
}
