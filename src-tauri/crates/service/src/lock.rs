//! The idle lock: locked/unlocked state (closed until start-up knows it), the clerk's PIN (only its Argon2id hash,
//! kept in the OS keyring) and the back-off after wrong PINs, kept per clerk and across restarts.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use balcao_core::lock_api::LockStatus;
use balcao_core::{AppError, ErrorCode, Sensitive};
use balcao_platform::SecretStore;

use crate::clerks::Clerk;
use crate::lock_store::{self, Loaded, LockFile, LockStore, SavedBackoff};
use crate::shared::SettingsCell;

/// The secret-store key under which the PIN's Argon2id hash (a PHC string) is kept. Never the PIN itself.
pub const PIN_HASH_KEY: &str = "idle-lock-pin-hash";
/// Wrong PINs allowed before the first wait.
pub const FREE_ATTEMPTS: u32 = 5;
/// The wait after the last free attempt; it doubles with each further wrong PIN.
pub const FIRST_WAIT: Duration = Duration::from_secs(30);
/// The longest wait; also the cap on a saved wait read back after the clock moved.
pub const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

/// Checks the shape of a PIN: 4 to 12 digits.
pub fn validate_pin(pin: &str) -> Result<(), AppError> {
    if (4..=12).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(AppError::new(ErrorCode::Config, "O PIN deve ter de 4 a 12 algarismos, sem letras nem espaços."))
    }
}

/// The Argon2id hash of a PIN, as a PHC string with its own random salt.
pub fn hash_pin(pin: &Sensitive<String>) -> Result<Sensitive<String>, AppError> {
    validate_pin(pin.expose())?;
    Argon2::default().hash_password(pin.expose().as_bytes()).map(|h| Sensitive::new(h.to_string())).map_err(|e| {
        tracing::error!(error = %e, "PIN hash failed");
        AppError::new(ErrorCode::Internal, "Não foi possível proteger o PIN. Tente de novo ou avise a TI.")
    })
}

/// Whether `text` is an Argon2id PHC string (what [`hash_pin`] makes), e.g. a first PIN the agency's policy gives.
pub fn is_argon2id_phc(text: &str) -> bool {
    PasswordHash::new(text).is_ok_and(|h| h.algorithm.as_str() == "argon2id" && h.hash.is_some() && h.salt.is_some())
}

/// Whether `pin` matches a stored PHC hash. An unreadable hash never matches.
pub fn verify_pin(pin: &Sensitive<String>, phc: &Sensitive<String>) -> bool {
    match PasswordHash::new(phc.expose()) {
        Ok(hash) => Argon2::default().verify_password(pin.expose().as_bytes(), &hash).is_ok(),
        Err(_) => false,
    }
}

/// The clerk whose back-off the lock keeps today (one PIN per PC). Per-clerk sign-in keys the same state by each
/// clerk's id instead.
pub const DEFAULT_CLERK: &str = "padrao";

/// The lock's state, shared by the shell (whose gate refuses data commands while locked) and the unlock use case.
///
/// It fails closed: [`IdleLock::default`] is "locked until known", the state of a process whose start-up has not yet
/// read whether a PIN is set. [`IdleLock::restore`] gives the state a start-up found (locked when a PIN is set).
#[derive(Debug, Default)]
pub struct IdleLock {
    inner: Mutex<Inner>,
    /// One PIN check at a time: the wait is checked, the PIN verified and the result counted while holding it, so
    /// parallel attempts cannot all slip past the wait before the first one is counted.
    pub(crate) turn: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct Inner {
    /// `None` until start-up has read the lock's state: the lock is then closed.
    locked: Option<bool>,
    /// Whether a PIN is set, as last read from the keyring (or the saved state when the keyring cannot be read).
    pin_set: Option<bool>,
    clerks: BTreeMap<String, Backoff>,
    /// Where the state survives a restart (none for a lock that was never restored).
    store: Option<LockStore>,
    /// This PC has clerks: unlocking is signing in as one of them (see `clerks`).
    clerk_mode: bool,
    /// The clerk signed in (kept while locked: the same clerk unlocks; another signs in as themselves).
    signed_in: Option<Clerk>,
}

/// One clerk's wrong-PIN count and the (monotonic) instant until which they must wait.
#[derive(Debug, Clone, Copy, Default)]
struct Backoff {
    failures: u32,
    blocked_until: Option<Instant>,
}

impl Backoff {
    fn wait_left(&self, now: Instant) -> Option<Duration> {
        self.blocked_until.filter(|t| *t > now).map(|t| t.duration_since(now))
    }
}

impl IdleLock {
    /// The state a start-up found: the saved back-off of each clerk (a wait saved against the wall clock becomes a
    /// monotonic one here, never longer than the longest wait) and whether a PIN is set (`pin_set`, from the keyring;
    /// `None` when it could not be read, then the last saved answer decides, and without one the lock stays closed).
    pub fn restore(store: LockStore, pin_set: Option<bool>, now: Instant, wall: SystemTime) -> Self {
        let (file, unreadable) = match store.load() {
            Loaded::Missing => (LockFile::default(), false),
            Loaded::Found(f) => (f, false),
            Loaded::Unreadable => (LockFile::default(), true),
        };
        let mut clerks = BTreeMap::new();
        for (id, saved) in &file.clerks {
            let blocked_until = saved
                .blocked_until_unix
                .and_then(|u| lock_store::remaining(u, wall, MAX_WAIT))
                .and_then(|d| now.checked_add(d));
            clerks.insert(id.clone(), Backoff { failures: saved.failures, blocked_until });
        }
        if unreadable {
            // A damaged state file must not reset the back-off: count it as spent, with the first wait.
            clerks.insert(
                DEFAULT_CLERK.to_owned(),
                Backoff { failures: FREE_ATTEMPTS, blocked_until: now.checked_add(FIRST_WAIT) },
            );
        }
        let known_pin = pin_set.or(file.pin_set);
        let lock = IdleLock {
            inner: Mutex::new(Inner {
                locked: Some(known_pin != Some(false)),
                pin_set: known_pin,
                clerks,
                store: Some(store),
                clerk_mode: false,
                signed_in: None,
            }),
            turn: Default::default(),
        };
        if unreadable || (pin_set.is_some() && pin_set != file.pin_set) {
            lock.persist(now, wall);
        }
        lock
    }

    /// Hides personal data now (the UI calls this when the agency's idle time has passed, or on demand).
    pub fn lock(&self) {
        self.with(|i| i.locked = Some(true));
    }

    /// Whether unlocking is signing in as one of this PC's clerks (the start locks when it is: a PC with clerks
    /// opens on «Quem está atendendo?»).
    pub fn set_clerk_mode(&self, on: bool) {
        self.with(|i| i.clerk_mode = on);
    }

    /// Whether this PC signs clerks in.
    pub fn clerk_mode(&self) -> bool {
        self.with(|i| i.clerk_mode)
    }

    /// `clerk` signed in with their PIN: the screen opens for them.
    pub(crate) fn sign_in(&self, clerk: Clerk) {
        self.with(|i| {
            i.signed_in = Some(clerk);
            i.locked = Some(false);
        });
    }

    /// Nobody is signed in any more; the screen locks.
    pub fn sign_out(&self) {
        self.with(|i| {
            i.signed_in = None;
            i.locked = Some(true);
        });
    }

    /// The clerk signed in, if any.
    pub fn signed_in(&self) -> Option<Clerk> {
        self.with(|i| i.signed_in.clone())
    }

    /// Locked, or not yet known (fail closed).
    pub fn is_locked(&self) -> bool {
        self.with(|i| i.locked != Some(false))
    }

    /// Whether start-up has read the lock's state.
    pub fn is_known(&self) -> bool {
        self.with(|i| i.locked.is_some())
    }

    /// Whether a PIN is set, as last read; `None` when it could never be read (the keyring was unavailable).
    pub fn pin_set(&self) -> Option<bool> {
        self.with(|i| i.pin_set)
    }

    /// Wrong PINs counted for `clerk` since their last success.
    pub fn failures(&self, clerk: &str) -> u32 {
        self.with(|i| i.clerks.get(clerk).map_or(0, |b| b.failures))
    }

    /// The status at `now` (a PIN whose presence is unknown counts as set: the clerk is asked for it).
    pub fn status(&self, now: Instant) -> LockStatus {
        self.with(|i| {
            let backoff_of = match (&i.signed_in, i.clerk_mode) {
                (Some(c), true) => c.cpf.to_string(),
                _ => DEFAULT_CLERK.to_owned(),
            };
            LockStatus {
                locked: i.locked != Some(false),
                pin_set: i.clerk_mode || i.pin_set != Some(false),
                retry_after_secs: i.clerks.get(&backoff_of).and_then(|b| b.wait_left(now)).map(wait_secs),
                clerk_sign_in: i.clerk_mode,
                clerk: i.signed_in.as_ref().map(Clerk::summary),
            }
        })
    }

    /// Tries to unlock with what the clerk typed, against the stored hash (`None`: no PIN set, a confirmation is
    /// enough). Wrong PINs beyond [`FREE_ATTEMPTS`] make the clerk wait, doubling each time up to 15 minutes.
    /// Verifies on the calling thread: the app goes through [`Balcao::lock_unlock`], which does it off the async
    /// threads and one attempt at a time.
    pub fn try_unlock(
        &self,
        pin: Option<&Sensitive<String>>,
        stored: Option<&Sensitive<String>>,
        now: Instant,
    ) -> Result<LockStatus, AppError> {
        self.check_wait(DEFAULT_CLERK, now)?;
        let ok = match (stored, pin) {
            (None, _) => true,
            (Some(hash), Some(pin)) => verify_pin(pin, hash),
            (Some(_), None) => false,
        };
        self.pin_known(stored.is_some(), now, SystemTime::now());
        self.count(DEFAULT_CLERK, ok, now, SystemTime::now()).map_err(|m| AppError::new(ErrorCode::Unauthorized, m))?;
        self.with(|i| i.locked = Some(false));
        Ok(self.status(now))
    }

    /// Refuses while `clerk` must still wait after wrong PINs.
    pub(crate) fn check_wait(&self, clerk: &str, now: Instant) -> Result<(), AppError> {
        match self.with(|i| i.clerks.get(clerk).and_then(|b| b.wait_left(now))) {
            Some(left) => Err(AppError::new(
                ErrorCode::Unauthorized,
                format!("Muitas tentativas erradas. Aguarde {} s e tente de novo.", wait_secs(left)),
            )),
            None => Ok(()),
        }
    }

    /// Counts one checked PIN for `clerk` and saves the result: a success clears the back-off; a failure adds one
    /// and, past the free attempts, sets the wait. The error is what to tell the clerk.
    fn count(&self, clerk: &str, ok: bool, now: Instant, wall: SystemTime) -> Result<(), String> {
        let failures = self.with(|i| {
            let b = i.clerks.entry(clerk.to_owned()).or_default();
            if ok {
                *b = Backoff::default();
                return 0;
            }
            b.failures = b.failures.saturating_add(1);
            if b.failures >= FREE_ATTEMPTS {
                let doublings = b.failures.saturating_sub(FREE_ATTEMPTS).min(5);
                let wait = FIRST_WAIT.saturating_mul(2u32.saturating_pow(doublings)).min(MAX_WAIT);
                b.blocked_until = now.checked_add(wait);
            }
            b.failures
        });
        self.persist(now, wall);
        if ok {
            return Ok(());
        }
        let left = FREE_ATTEMPTS.saturating_sub(failures);
        Err(if left > 0 {
            format!("PIN incorreto. Restam {left} tentativa(s) antes de uma espera.")
        } else {
            "PIN incorreto. Aguarde alguns instantes antes de tentar de novo; se esqueceu o PIN, peça à TI.".to_owned()
        })
    }

    /// Records whether a PIN is set, as just read from the keyring (saved, for a start when the keyring is locked).
    fn pin_known(&self, set: bool, now: Instant, wall: SystemTime) {
        let changed = self.with(|i| i.pin_set.replace(set) != Some(set));
        if changed {
            self.persist(now, wall);
        }
    }

    /// Saves the state; a failure is logged (the back-off still holds in memory for this run).
    fn persist(&self, now: Instant, wall: SystemTime) {
        let (store, file) = self.with(|i| {
            let wall_now = lock_store::unix_secs(wall);
            let clerks = i
                .clerks
                .iter()
                .filter(|(_, b)| b.failures > 0 || b.blocked_until.is_some())
                .map(|(id, b)| {
                    let until = b.wait_left(now).map(|d| {
                        let secs = i64::from(wait_secs(d));
                        wall_now.saturating_add(secs)
                    });
                    (id.clone(), SavedBackoff { failures: b.failures, blocked_until_unix: until })
                })
                .collect();
            (i.store.clone(), LockFile { pin_set: i.pin_set, clerks })
        });
        if let Some(store) = store
            && let Err(e) = store.save(&file)
        {
            tracing::warn!(code = ?e.code, "lock state not saved");
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let mut guard = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }
}

fn wait_secs(d: Duration) -> u32 {
    u32::try_from(d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0))).unwrap_or(u32::MAX)
}

/// The PIN as the secret store keeps it (its hash), through any [`SecretStore`].
pub fn stored_pin_hash(secrets: &dyn SecretStore) -> Result<Option<Sensitive<String>>, AppError> {
    secrets.get(PIN_HASH_KEY).map_err(AppError::from)
}

fn join_error(e: tokio::task::JoinError) -> AppError {
    crate::errors::interrupted("A verificação do PIN", &e)
}

/// The lock and clerk use cases: the idle lock's PIN, locking and unlocking, and the clerks who sign in. Holds the
/// idle lock, the keyring (PIN hashes) and settings.json (the clerk policy and the clerks added on this PC).
#[derive(Debug)]
pub struct LockService {
    pub(crate) lock: Arc<IdleLock>,
    pub(crate) secrets: Arc<dyn SecretStore>,
    pub(crate) settings: Arc<SettingsCell>,
}

impl LockService {
    pub(crate) fn new(lock: &Arc<IdleLock>, secrets: &Arc<dyn SecretStore>, settings: &Arc<SettingsCell>) -> Self {
        Self { lock: lock.clone(), secrets: secrets.clone(), settings: settings.clone() }
    }

    /// Whether a PIN is set for the idle lock.
    pub fn pin_set(&self) -> Result<bool, AppError> {
        Ok(stored_pin_hash(self.secrets.as_ref())?.is_some())
    }

    /// The lock's status as the UI shows it.
    pub fn status(&self) -> LockStatus {
        self.lock.status(Instant::now())
    }

    /// Hides personal data now.
    pub fn lock_now(&self) -> LockStatus {
        self.lock.lock();
        self.status()
    }

    /// The PIN's hash from the keyring, read off the async threads; records whether one is set.
    pub(crate) async fn read_pin_hash(&self) -> Result<Option<Sensitive<String>>, AppError> {
        let secrets = self.secrets.clone();
        let stored =
            tokio::task::spawn_blocking(move || stored_pin_hash(secrets.as_ref())).await.map_err(join_error)??;
        self.lock.pin_known(stored.is_some(), Instant::now(), SystemTime::now());
        Ok(stored)
    }

    /// Checks `pin` against `stored` for `clerk`, one attempt at a time, with the back-off: refused while the clerk
    /// must wait (no Argon2 then), verified on a blocking thread, then counted. `Err` carries what to tell the clerk.
    pub(crate) async fn checked_pin(
        &self,
        clerk: &str,
        pin: Option<Sensitive<String>>,
        stored: Option<Sensitive<String>>,
        wrong: &str,
    ) -> Result<(), AppError> {
        self.lock.check_wait(clerk, Instant::now())?;
        let ok = match (stored, pin) {
            (None, _) => true,
            (Some(hash), Some(pin)) => {
                tokio::task::spawn_blocking(move || verify_pin(&pin, &hash)).await.map_err(join_error)?
            }
            (Some(_), None) => false,
        };
        self.lock
            .count(clerk, ok, Instant::now(), SystemTime::now())
            .map_err(|m| AppError::new(ErrorCode::Unauthorized, format!("{wrong}{m}")))
    }

    /// Sets (or changes) the PIN. Changing or removing an existing PIN asks for the current one, with the same
    /// back-off as unlocking. Removing it is refused where the managed policy requires a PIN.
    pub async fn set_pin(
        &self,
        new_pin: Option<Sensitive<String>>,
        current: Option<Sensitive<String>>,
    ) -> Result<LockStatus, AppError> {
        match &new_pin {
            Some(pin) => validate_pin(pin.expose())?,
            // Where the managed policy requires a PIN it cannot be removed (refused before the current one is asked).
            None => self.settings.policy.check_pin_removal()?,
        }
        let _turn = self.lock.turn.lock().await;
        let stored = self.read_pin_hash().await?;
        if stored.is_some() {
            let current = current.filter(|c| !c.expose().is_empty());
            self.checked_pin(DEFAULT_CLERK, current, stored, "O PIN atual não confere; nada foi alterado. ").await?;
        }
        let secrets = self.secrets.clone();
        let set = new_pin.is_some();
        tokio::task::spawn_blocking(move || match new_pin {
            Some(pin) => {
                let hash = hash_pin(&pin)?;
                secrets.set(PIN_HASH_KEY, &hash).map_err(AppError::from)
            }
            None => secrets.delete(PIN_HASH_KEY).map_err(AppError::from),
        })
        .await
        .map_err(join_error)??;
        self.lock.pin_known(set, Instant::now(), SystemTime::now());
        Ok(self.status())
    }

    /// Unlocks with the PIN (or a confirmation when none is set), one attempt at a time, with the back-off.
    /// On a PC with clerks, unlocking is signing in as the clerk who locked ([`LockService::clerk_sign_in`]).
    pub async fn unlock(&self, pin: Option<Sensitive<String>>) -> Result<LockStatus, AppError> {
        if self.lock.clerk_mode() {
            let Some(clerk) = self.lock.signed_in() else {
                return Err(AppError::new(ErrorCode::Unauthorized, "Escolha quem está atendendo e digite o seu PIN."));
            };
            let pin = pin.unwrap_or_else(|| Sensitive::new(String::new()));
            return self.clerk_sign_in(clerk.cpf.as_str(), pin).await;
        }
        let _turn = self.lock.turn.lock().await;
        let stored = self.read_pin_hash().await?;
        self.checked_pin(DEFAULT_CLERK, pin, stored, "").await?;
        self.lock.with(|i| i.locked = Some(false));
        Ok(self.status())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Sensitive<String> {
        Sensitive::new(v.to_owned())
    }

    #[test]
    fn pins_are_4_to_12_digits() {
        // Every length from 0 to 20, each with two digit patterns: exactly 4..=12 are accepted.
        for len in 0..=20usize {
            for digit in ['0', '7'] {
                let pin: String = (0..len).map(|i| if i % 2 == 0 { digit } else { '9' }).collect();
                let verdict = validate_pin(&pin);
                if (4..=12).contains(&len) {
                    assert!(verdict.is_ok(), "length {len} is accepted: {pin:?}");
                } else {
                    let e = verdict.unwrap_err();
                    assert!(e.message.contains("4 a 12 algarismos"), "length {len} is refused by name: {pin:?}");
                }
            }
        }
        // Anything but ASCII digits is refused at an accepted length.
        for bad in ["12a4", "12 34", "１２３４", "123456789O12", "-1234", "+1234"] {
            let e = validate_pin(bad).unwrap_err();
            assert!(e.message.contains("4 a 12 algarismos"), "{bad}");
        }
    }

    #[test]
    fn the_hash_is_argon2id_salted_and_never_contains_the_pin() {
        let a = hash_pin(&s("482913")).unwrap();
        let b = hash_pin(&s("482913")).unwrap();
        assert!(a.expose().starts_with("$argon2id$"), "{}", a.expose());
        assert_ne!(a.expose(), b.expose(), "each hash has its own salt");
        assert!(!a.expose().contains("482913"));
        assert!(verify_pin(&s("482913"), &a));
        assert!(!verify_pin(&s("482914"), &a));
        assert!(!verify_pin(&s("482913"), &s("not a phc string")));
    }

    #[test]
    fn a_lock_whose_state_is_not_known_yet_is_closed() {
        let lock = IdleLock::default();
        assert!(lock.is_locked() && !lock.is_known());
        assert!(lock.status(Instant::now()).locked);
        assert!(lock.status(Instant::now()).pin_set, "an unknown PIN is asked for");
    }

    #[test]
    fn a_damaged_state_file_counts_the_free_attempts_as_spent() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("lock-state.json"), "{not json").unwrap();
        let lock = IdleLock::restore(LockStore::new(dir.path()), Some(true), Instant::now(), SystemTime::now());
        assert!(lock.is_locked() && lock.is_known());
        assert_eq!(lock.failures(DEFAULT_CLERK), FREE_ATTEMPTS);
        assert!(lock.status(Instant::now()).retry_after_secs.is_some());
        // And the repaired file says so after a restart.
        let again = IdleLock::restore(LockStore::new(dir.path()), Some(true), Instant::now(), SystemTime::now());
        assert_eq!(again.failures(DEFAULT_CLERK), FREE_ATTEMPTS);
    }

    #[test]
    fn without_a_pin_a_confirmation_unlocks() {
        let lock = IdleLock::default();
        lock.lock();
        assert!(lock.is_locked());
        let st = lock.try_unlock(None, None, Instant::now()).unwrap();
        assert!(!st.locked && !st.pin_set);
    }

    #[test]
    fn wrong_pins_keep_it_locked_then_make_the_clerk_wait() {
        let hash = hash_pin(&s("1357")).unwrap();
        let lock = IdleLock::default();
        lock.lock();
        let t0 = Instant::now();
        assert!(lock.try_unlock(None, Some(&hash), t0).is_err(), "a set PIN is required");
        for _ in 1..FREE_ATTEMPTS {
            let e = lock.try_unlock(Some(&s("0000")), Some(&hash), t0).unwrap_err();
            assert_eq!(e.code, ErrorCode::Unauthorized);
        }
        assert!(lock.is_locked());
        let st = lock.status(t0);
        assert_eq!(st.retry_after_secs, Some(30));
        // Even the right PIN waits while blocked.
        let e = lock.try_unlock(Some(&s("1357")), Some(&hash), t0 + Duration::from_secs(10)).unwrap_err();
        assert!(e.message.contains("Aguarde 20 s"), "{}", e.message);
        let later = t0 + Duration::from_secs(31);
        assert!(lock.try_unlock(Some(&s("9999")), Some(&hash), later).is_err());
        assert_eq!(lock.status(later).retry_after_secs, Some(60), "the wait doubles");
        let st = lock.try_unlock(Some(&s("1357")), Some(&hash), later + Duration::from_secs(61)).unwrap();
        assert!(!st.locked && st.pin_set && st.retry_after_secs.is_none());
        // A success resets the count.
        lock.lock();
        let e = lock.try_unlock(Some(&s("0000")), Some(&hash), later + Duration::from_secs(62)).unwrap_err();
        assert!(e.message.contains("Restam 4"), "{}", e.message);
    }
}
