//! The app keeps the history key wrapped for the managed policy's recovery key: at start, when «Tentar de novo»
//! opens a history that had failed, never on the word of a broken policy; the wrapped key recovers the history.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use balcao_core::Sensitive;
use balcao_platform::{MemoryStore, SecretError, SecretStore};
use balcao_service::recovery::{
    Recovered, RecoveryIdentity, WRAPPED_KEY_FILE_NAME, generate_recovery_key, recover_history,
};
use balcao_service::{Balcao, StartOptions};

/// A keyring that can be locked and unlocked, over a real in-memory store.
#[derive(Debug, Default)]
struct Lockable {
    inner: MemoryStore,
    locked: AtomicBool,
}

impl Lockable {
    fn check(&self) -> Result<(), SecretError> {
        if self.locked.load(Ordering::SeqCst) { MemoryStore::unavailable().get("x").map(|_| ()) } else { Ok(()) }
    }
}

impl SecretStore for Lockable {
    fn get(&self, key: &str) -> Result<Option<Sensitive<String>>, SecretError> {
        self.check()?;
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &Sensitive<String>) -> Result<(), SecretError> {
        self.check()?;
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), SecretError> {
        self.check()?;
        self.inner.delete(key)
    }
}

async fn start(dir: &Path, secrets: Arc<dyn SecretStore>) -> Balcao {
    let opts = StartOptions {
        data_dir: dir.join("data"),
        policy_dir: dir.join("policy"),
        sim_addr: "127.0.0.1:0".parse().unwrap(),
        secrets: Some(secrets),
    };
    Balcao::start(opts).await.expect("starts")
}

fn policy(dir: &Path, body: &str) {
    std::fs::create_dir_all(dir.join("policy")).unwrap();
    std::fs::write(dir.join("policy").join("policy.toml"), body).unwrap();
}

/// A new agency key pair, its public key written in the policy.
fn agency_in_policy(dir: &Path) -> RecoveryIdentity {
    let (identity, public) = generate_recovery_key();
    policy(dir, &format!("recovery_public_key = \"{}\"\n", public.as_str()));
    RecoveryIdentity::parse(&identity).unwrap()
}

/// The wrapped key recovers the history into an empty keyring.
fn recovers(dir: &Path, identity: &RecoveryIdentity) -> bool {
    let fresh = MemoryStore::new();
    recover_history(&dir.join("data"), &fresh, identity, &dir.join("policy")) == Ok(Recovered::Rebound)
}

#[tokio::test]
async fn the_app_wraps_the_history_key_for_the_policy_recovery_key_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let identity = agency_in_policy(dir.path());
    let balcao = start(dir.path(), Arc::new(MemoryStore::new())).await;
    assert!(balcao.health().await.is_empty(), "{:?}", balcao.health().await);
    drop(balcao);
    assert!(dir.path().join("data").join(WRAPPED_KEY_FILE_NAME).is_file());
    assert!(recovers(dir.path(), &identity));
}

#[tokio::test]
async fn a_history_opened_by_try_again_is_wrapped_too() {
    let dir = tempfile::tempdir().unwrap();
    let identity = agency_in_policy(dir.path());
    let keyring = Arc::new(Lockable::default());
    keyring.locked.store(true, Ordering::SeqCst);
    let balcao = start(dir.path(), keyring.clone()).await;
    assert!(!dir.path().join("data").join(WRAPPED_KEY_FILE_NAME).exists(), "no history yet, nothing wrapped");
    keyring.locked.store(false, Ordering::SeqCst);
    balcao.retry().await;
    drop(balcao);
    assert!(recovers(dir.path(), &identity));
}

#[tokio::test]
async fn a_broken_policy_leaves_the_wrapped_key_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let identity = agency_in_policy(dir.path());
    let keyring = Arc::new(MemoryStore::new());
    drop(start(dir.path(), keyring.clone()).await);
    let wrapped = dir.path().join("data").join(WRAPPED_KEY_FILE_NAME);
    let before = std::fs::read(&wrapped).unwrap();
    policy(dir.path(), "recovery_public_key = \"age1naoeumachave\"\n");
    drop(start(dir.path(), keyring.clone()).await);
    assert_eq!(std::fs::read(&wrapped).unwrap(), before);
    policy(dir.path(), "idle_lock_minutes = 5\n");
    drop(start(dir.path(), keyring).await);
    assert_eq!(std::fs::read(&wrapped).unwrap(), before, "a policy without a key does not remove it either");
    assert!(recovers(dir.path(), &identity));
}
