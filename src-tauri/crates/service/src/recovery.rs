//! Key recovery for IT: the agency's recovery key named by the managed policy (the history key is kept wrapped for
//! it beside the database), a new agency key pair, and binding a history to the user's keyring again with the
//! agency's private key (`balcao-cli admin recover`, `admin recovery-keygen`).

use std::path::Path;

use balcao_core::AppError;
use balcao_history::History;
use balcao_platform::SecretStore;

pub use balcao_history::{
    Recovered, RecoveryIdentity, RecoveryKey, WRAPPED_FOR_FILE_NAME, WRAPPED_KEY_FILE_NAME, generate_recovery_key,
    unwrap_history_key,
};

use crate::policy::{ManagedPolicy, load_policy};

/// The recovery key `policy` names (`recovery_public_key`, already checked by the loader); `None` without one.
pub fn recovery_key_of(policy: Option<&ManagedPolicy>) -> Option<RecoveryKey> {
    let text = policy?.recovery_public_key.as_deref()?;
    match RecoveryKey::parse(text) {
        Ok(key) => Some(key),
        Err(e) => {
            tracing::warn!(message = %e.message, "the policy's recovery key was refused");
            None
        }
    }
}

/// The recovery key of the policy in `policy_dir`: `None` when there is no policy or it names none, and when the
/// policy is refused (then the wrapped key already beside the history is left as it is, never removed or rewrapped
/// on the word of a broken file).
pub fn policy_recovery_key(policy_dir: &Path) -> Option<RecoveryKey> {
    match load_policy(policy_dir) {
        Ok(policy) => recovery_key_of(policy.as_ref()),
        Err(e) => {
            tracing::warn!(error = %e, "policy refused: the history key is not wrapped again");
            None
        }
    }
}

/// Binds the history of `data_dir` to `secrets` again with the agency's private key (see [`History::recover`]);
/// afterwards its key is wrapped for the recovery key of the policy in `policy_dir`, when it names one. The audit
/// trail names the OS user who ran it.
pub fn recover_history(
    data_dir: &Path,
    secrets: &dyn SecretStore,
    identity: &RecoveryIdentity,
    policy_dir: &Path,
) -> Result<Recovered, AppError> {
    let actor = balcao_history::Actor::current(None);
    History::recover(data_dir, secrets, identity, policy_recovery_key(policy_dir).as_ref(), &actor)
}

/// Binds the history of `data_dir` to `secrets` again with its own key, unwrapped on IT's machine (see
/// [`History::recover_with_key`]): the agency's private key never enters the clerk's session.
pub fn recover_history_with_key(
    data_dir: &Path,
    secrets: &dyn SecretStore,
    key: balcao_core::Sensitive<String>,
    policy_dir: &Path,
) -> Result<Recovered, AppError> {
    let actor = balcao_history::Actor::current(None);
    History::recover_with_key(data_dir, secrets, key, policy_recovery_key(policy_dir).as_ref(), &actor)
}
