//! OS integration for Balcão: the secret store (OS keyring), the redirectable data directories and keeping secrets
//! out of crash dumps.
//!
//! Nothing here ever falls back to plaintext: when the OS keyring cannot be used the caller gets a
//! [`SecretError`] (code `KeychainUnavailable`) with a pt-BR message it can show to the clerk.

mod dirs;
mod dumps;
mod keyring_store;
mod secret;

pub use dirs::{APP_IDENTIFIER, DATA_DIR_ENV, data_dir, ensure_data_dir, is_redirected, os_user_name};
pub use dumps::forbid_core_dumps;
pub use keyring_store::{DEFAULT_SERVICE, KeyringStore, SERVICE_ENV};
pub use secret::{MemoryStore, SecretError, SecretFailure, SecretStore};
