//! OS integration for Balcão: the secret stores (OS keyring; the machine-wide store of managed profiles), the redirectable data directories, private result
//! files and keeping secrets out of crash dumps.
//!
//! Nothing here ever falls back to plaintext: when the OS keyring cannot be used the caller gets a
//! [`SecretError`] (code `KeychainUnavailable`) with a pt-BR message it can show to the clerk.

mod admin_file;
mod dirs;
// DPAPI's FFI for the Windows machine store: the crate's only unsafe code, each block with its SAFETY comment.
#[cfg(windows)]
#[allow(unsafe_code)]
mod dpapi;
mod dumps;
mod files;
mod keyring_store;
mod machine_store;
mod secret;

pub use admin_file::{AdminFileProblem, admin_only, check_admin_file};
pub use dirs::{
    APP_IDENTIFIER, DATA_DIR_ENV, create_private_file, data_dir, ensure_data_dir, is_redirected, make_private,
    os_user_name, restrict_new_files, secure_data_dir,
};
pub use dumps::forbid_core_dumps;
pub use files::{LimitedReadError, ResultPathError, check_result_path, read_limited, write_private_atomically};
pub use keyring_store::{DEFAULT_SERVICE, KeyringStore, SERVICE_ENV};
pub use machine_store::{
    DPAPI_CREDENTIALS_FILE, FileGroup, MACHINE_CREDENTIALS_FILE, MACHINE_FILE_MODE, MACHINE_GROUP, MACHINE_GROUP_ENV,
    MachineOs, MachineStore, MachineStoreChoice, SYSTEM_KEYCHAIN, SYSTEM_KEYCHAIN_SERVICE, machine_store_choice,
};
pub use secret::{MemoryStore, SecretError, SecretFailure, SecretStore};
