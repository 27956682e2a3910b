//! The idle lock across restarts (starts locked with a PIN, the back-off survives, PIN changes and parallel attempts
//! go through the same back-off) and the safe mode of a degraded start (no credentials, no history, then retry).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use balcao_core::api::{Environment, LookupRequest};
use balcao_core::history_api::HistoryQuery;
use balcao_core::lock_api::HealthArea;
use balcao_core::profile::{DEMO_PROFILE_ID, Profile};
use balcao_core::{ErrorCode, Sensitive};
use balcao_platform::{MemoryStore, SecretError, SecretStore};
use balcao_service::lock::{DEFAULT_CLERK, FREE_ATTEMPTS, MAX_WAIT, PIN_HASH_KEY};
use balcao_service::{Balcao, StartOptions};

const PIN: &str = "482913";

/// A keyring that can be made unavailable (locked at login) and available again, over a real in-memory store.
#[derive(Debug, Default)]
struct Switchable {
    inner: MemoryStore,
    down: AtomicBool,
}

impl Switchable {
    fn check(&self) -> Result<(), SecretError> {
        if self.down.load(Ordering::SeqCst) { MemoryStore::unavailable().get("x").map(|_| ()) } else { Ok(()) }
    }
    fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }
}

impl SecretStore for Switchable {
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

async fn start(dir: &std::path::Path, secrets: Arc<dyn SecretStore>) -> Balcao {
    let opts = StartOptions {
        data_dir: dir.to_path_buf(),
        policy_dir: dir.join("policy"),
        sim_addr: "127.0.0.1:0".parse().unwrap(),
        secrets: Some(secrets),
    };
    Balcao::start(opts).await.expect("starts")
}

fn s(v: &str) -> Option<Sensitive<String>> {
    Some(Sensitive::new(v.to_owned()))
}

fn request(input: &str) -> LookupRequest {
    LookupRequest { input: input.into(), view: None, purpose: None, authorization_code: None, do_not_record: false }
}

#[tokio::test]
async fn with_a_pin_set_a_restarted_balcao_starts_locked() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
    let first = start(dir.path(), store.clone()).await;
    assert!(!first.idle_lock().is_locked(), "without a PIN it starts unlocked");
    first.lock().set_pin(s(PIN), None).await.unwrap();
    first.lock().lock_now();
    drop(first);

    let again = start(dir.path(), store.clone()).await;
    assert!(again.idle_lock().is_locked(), "a restart must not remove the lock");
    let st = again.lock().status();
    assert!(st.locked && st.pin_set, "{st:?}");
    assert!(again.lock().unlock(s("000000")).await.is_err());
    assert!(again.idle_lock().is_locked());
    let st = again.lock().unlock(s(PIN)).await.unwrap();
    assert!(!st.locked);
    drop(again);

    // Not locked by hand this time: a set PIN still means a locked start.
    let third = start(dir.path(), store).await;
    assert!(third.idle_lock().is_locked());
}

#[tokio::test]
async fn the_wrong_pin_back_off_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
    let first = start(dir.path(), store.clone()).await;
    first.lock().set_pin(s(PIN), None).await.unwrap();
    first.lock().lock_now();
    for _ in 0..FREE_ATTEMPTS {
        first.lock().unlock(s("1111")).await.unwrap_err();
    }
    assert!(matches!(first.lock().status().retry_after_secs, Some(28..=30)), "{:?}", first.lock().status());
    drop(first);

    let again = start(dir.path(), store).await;
    assert_eq!(again.idle_lock().failures(DEFAULT_CLERK), FREE_ATTEMPTS, "the count survives");
    let wait = again.lock().status().retry_after_secs.expect("the wait survives");
    assert!((28..=30).contains(&wait), "{wait}");
    let e = again.lock().unlock(s(PIN)).await.unwrap_err();
    assert!(e.message.contains("Aguarde"), "even the right PIN waits: {}", e.message);
    assert!(again.idle_lock().is_locked());
}

#[tokio::test]
async fn a_saved_wait_from_a_clock_moved_backwards_is_capped_at_the_longest_wait() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
    let first = start(dir.path(), store.clone()).await;
    first.lock().set_pin(s(PIN), None).await.unwrap();
    drop(first);
    let now = balcao_service::lock_store::unix_secs(std::time::SystemTime::now());
    let year = 365 * 86_400;
    std::fs::write(
        dir.path().join("lock-state.json"),
        format!(
            r#"{{"pinSet":true,"clerks":{{"{DEFAULT_CLERK}":{{"failures":9,"blockedUntilUnix":{}}}}}}}"#,
            now + year
        ),
    )
    .unwrap();
    let again = start(dir.path(), store).await;
    let wait = again.lock().status().retry_after_secs.expect("still waiting");
    assert!(u64::from(wait) <= MAX_WAIT.as_secs(), "waits {wait} s, not a year");
}

#[tokio::test]
async fn changing_the_pin_with_wrong_current_pins_hits_the_same_back_off() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
    let b = start(dir.path(), store.clone()).await;
    b.lock().set_pin(s(PIN), None).await.unwrap();
    let hash = store.get(PIN_HASH_KEY).unwrap().unwrap();
    for _ in 0..FREE_ATTEMPTS {
        let e = b.lock().set_pin(s("9999"), s("1111")).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Unauthorized);
        assert!(e.message.contains("não confere"), "{}", e.message);
    }
    assert_eq!(b.idle_lock().failures(DEFAULT_CLERK), FREE_ATTEMPTS);
    let e = b.lock().set_pin(s("9999"), s(PIN)).await.unwrap_err();
    assert!(e.message.contains("Aguarde"), "the right current PIN waits too: {}", e.message);
    let e = b.lock().set_pin(None, s(PIN)).await.unwrap_err();
    assert!(e.message.contains("Aguarde"), "so does removing the PIN: {}", e.message);
    assert_eq!(store.get(PIN_HASH_KEY).unwrap().unwrap().expose(), hash.expose(), "the PIN did not change");
    // And unlocking shares the same wait.
    b.lock().lock_now();
    assert!(b.lock().unlock(s(PIN)).await.unwrap_err().message.contains("Aguarde"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_unlocks_are_checked_and_counted_one_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
    let b = Arc::new(start(dir.path(), store).await);
    b.lock().set_pin(s(PIN), None).await.unwrap();
    b.lock().lock_now();
    let n = 2 * FREE_ATTEMPTS;
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let b = b.clone();
            tokio::spawn(async move { b.lock().unlock(s("1111")).await.unwrap_err().message })
        })
        .collect();
    let mut wrong = 0;
    let mut waited = 0;
    for t in tasks {
        let m = t.await.unwrap();
        if m.contains("PIN incorreto") {
            wrong += 1;
        } else if m.contains("Aguarde") {
            waited += 1;
        } else {
            panic!("unexpected: {m}");
        }
    }
    assert_eq!(wrong, FREE_ATTEMPTS, "only the free attempts were checked; the rest waited");
    assert_eq!(waited, n - FREE_ATTEMPTS);
    assert_eq!(b.idle_lock().failures(DEFAULT_CLERK), FREE_ATTEMPTS, "each checked PIN counted exactly once");
    let wait = b.lock().status().retry_after_secs;
    assert!(matches!(wait, Some(28..=30)), "the first wait, not a doubled one: {wait:?}");
}

#[tokio::test]
async fn fewer_parallel_wrong_unlocks_than_the_free_attempts_count_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let b = Arc::new(start(dir.path(), Arc::new(MemoryStore::new())).await);
    b.lock().set_pin(s(PIN), None).await.unwrap();
    let n = FREE_ATTEMPTS - 1;
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let b = b.clone();
            tokio::spawn(async move { b.lock().unlock(s("1111")).await.is_err() })
        })
        .collect();
    for t in tasks {
        assert!(t.await.unwrap());
    }
    assert_eq!(b.idle_lock().failures(DEFAULT_CLERK), n);
    assert_eq!(b.lock().status().retry_after_secs, None);
}

fn production(id: &str) -> Profile {
    let mut p = Profile::demo("https://gateway.apiserpro.serpro.gov.br");
    p.id = id.into();
    p.name = "SERPRO produção".into();
    p.environment = Environment::Producao;
    p
}

/// Writes settings.json with a production profile active, whose credentials are not in the keyring.
fn production_active(dir: &std::path::Path) {
    let mut file = balcao_service::settings_store::SettingsFile::default();
    file.profiles.push(production("serpro-prod"));
    file.settings.active_profile = "serpro-prod".into();
    balcao_service::settings_store::SettingsStore::new(dir).save(&file).unwrap();
}

#[tokio::test]
async fn without_the_active_profiles_credentials_it_starts_in_the_safe_mode_and_demo_works() {
    let dir = tempfile::tempdir().unwrap();
    production_active(dir.path());
    let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
    let b = start(dir.path(), store).await;
    let health = b.health().await;
    assert_eq!(health.len(), 1, "{health:?}");
    assert_eq!(health[0].area, HealthArea::ActiveProfile);
    assert!(health[0].message.contains("SERPRO produção") && health[0].message.contains("Configurações"), "{health:?}");
    // The same reason, not a call, for a lookup.
    let e = b.lookup().lookup(request("40442820135")).await.unwrap_err();
    assert_eq!(e.code, health[0].code);
    // Configurações works: settings, the profile list, saving settings.
    let settings = b.settings().get().await;
    b.settings().save(settings).await.unwrap();
    let entries = b.profiles().entries().await;
    assert_eq!(entries.len(), 2);
    // Demonstração works.
    let info = b.profiles().activate(DEMO_PROFILE_ID).await.unwrap();
    assert!(info.profile.is_demo);
    assert!(b.health().await.is_empty());
    let r = b.lookup().lookup(request("40442820135")).await.unwrap();
    assert!(r.history_id.is_some());
}

#[tokio::test]
async fn retry_rebuilds_the_active_profile_once_its_credentials_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    production_active(dir.path());
    let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
    let b = start(dir.path(), store.clone()).await;
    assert_eq!(b.retry().await.len(), 1, "still missing");
    b.profiles().set_credentials("serpro-prod", "key".into(), Sensitive::new("s3cr3t".into())).await.unwrap();
    assert!(b.retry().await.is_empty(), "the client was rebuilt");
    assert!(b.health().await.is_empty());
}

#[tokio::test]
async fn a_history_that_failed_to_open_opens_on_retry_once_the_keyring_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Switchable::default());
    store.set_down(true);
    let b = start(dir.path(), store.clone()).await;
    let areas: Vec<_> = b.health().await.into_iter().map(|h| h.area).collect();
    assert!(areas.contains(&HealthArea::History), "{areas:?}");
    assert!(b.history().search(HistoryQuery::default()).await.is_err());
    assert_eq!(b.retry().await.len(), areas.len(), "nothing changed yet");
    store.set_down(false);
    assert!(b.retry().await.is_empty(), "history re-opened, PIN state read");
    assert!(b.history().search(HistoryQuery::default()).await.is_ok());
    assert!(b.lookup().lookup(request("40442820135")).await.is_ok());
}

#[tokio::test]
async fn with_the_keyring_locked_at_start_the_last_known_pin_state_decides_and_never_opens_a_pin_lock() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Switchable::default());
    // Never known (no saved state, keyring down): fail closed.
    store.set_down(true);
    let b = start(dir.path(), store.clone()).await;
    assert!(b.idle_lock().is_locked());
    assert!(b.health().await.iter().any(|h| h.area == HealthArea::Lock));
    assert!(b.lock().unlock(None).await.is_err(), "no unlock without reading the keyring");
    drop(b);
    // Known: no PIN. The keyring locked at the next login leaves the window usable (safe mode).
    store.set_down(false);
    drop(start(dir.path(), store.clone()).await);
    store.set_down(true);
    let b = start(dir.path(), store.clone()).await;
    assert!(!b.idle_lock().is_locked());
    drop(b);
    // Known: a PIN. The keyring locked at start keeps it locked.
    store.set_down(false);
    let b = start(dir.path(), store.clone()).await;
    b.lock().set_pin(s(PIN), None).await.unwrap();
    drop(b);
    store.set_down(true);
    let b = start(dir.path(), store.clone()).await;
    assert!(b.idle_lock().is_locked());
    assert!(b.lock().unlock(s(PIN)).await.is_err(), "the PIN cannot be checked");
    store.set_down(false);
    assert!(!b.lock().unlock(s(PIN)).await.unwrap().locked);
}
