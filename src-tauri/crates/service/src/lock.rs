//! The idle lock: locked/unlocked state, the clerk's PIN (only its Argon2id hash, kept in the OS keyring) and the
//! back-off after wrong PINs.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use balcao_core::lock_api::LockStatus;
use balcao_core::{AppError, ErrorCode, Sensitive};
use balcao_platform::SecretStore;

use crate::Balcao;

/// The secret-store key under which the PIN's Argon2id hash (a PHC string) is kept. Never the PIN itself.
pub const PIN_HASH_KEY: &str = "idle-lock-pin-hash";
/// Wrong PINs allowed before the first wait.
pub const FREE_ATTEMPTS: u32 = 5;
const FIRST_WAIT: Duration = Duration::from_secs(30);
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

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
    Argon2::default()
        .hash_password(pin.expose().as_bytes())
        .map(|h| Sensitive::new(h.to_string()))
        .map_err(|e| AppError::new(ErrorCode::Internal, format!("Não foi possível proteger o PIN ({e}).")))
}

/// Whether `pin` matches a stored PHC hash. An unreadable hash never matches.
pub fn verify_pin(pin: &Sensitive<String>, phc: &Sensitive<String>) -> bool {
    match PasswordHash::new(phc.expose()) {
        Ok(hash) => Argon2::default().verify_password(pin.expose().as_bytes(), &hash).is_ok(),
        Err(_) => false,
    }
}

/// The lock's state: shared by the shell (which refuses data commands while locked) and the unlock use case.
#[derive(Debug, Default)]
pub struct IdleLock {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    locked: bool,
    failures: u32,
    blocked_until: Option<Instant>,
}

impl IdleLock {
    /// Hides personal data now (the UI calls this when the agency's idle time has passed, or on demand).
    pub fn lock(&self) {
        self.with(|i| i.locked = true);
    }

    pub fn is_locked(&self) -> bool {
        self.with(|i| i.locked)
    }

    /// The status at `now`, given whether a PIN is set.
    pub fn status(&self, pin_set: bool, now: Instant) -> LockStatus {
        self.with(|i| LockStatus {
            locked: i.locked,
            pin_set,
            retry_after_secs: i.blocked_until.filter(|t| *t > now).map(|t| wait_secs(t - now)),
        })
    }

    /// Tries to unlock with what the clerk typed, against the stored hash (`None`: no PIN set, a confirmation is
    /// enough). Wrong PINs beyond [`FREE_ATTEMPTS`] make the clerk wait, doubling each time up to 15 minutes.
    pub fn try_unlock(
        &self,
        pin: Option<&Sensitive<String>>,
        stored: Option<&Sensitive<String>>,
        now: Instant,
    ) -> Result<LockStatus, AppError> {
        let pin_set = stored.is_some();
        if let Some(until) = self.with(|i| i.blocked_until).filter(|t| *t > now) {
            return Err(AppError::new(
                ErrorCode::Unauthorized,
                format!("Muitas tentativas erradas. Aguarde {} s e tente de novo.", wait_secs(until - now)),
            ));
        }
        let ok = match (stored, pin) {
            (None, _) => true,
            (Some(hash), Some(pin)) => verify_pin(pin, hash),
            (Some(_), None) => false,
        };
        if ok {
            self.with(|i| *i = Inner::default());
            return Ok(self.status(pin_set, now));
        }
        let failures = self.with(|i| {
            i.failures += 1;
            if i.failures >= FREE_ATTEMPTS {
                let doublings = (i.failures - FREE_ATTEMPTS).min(5);
                i.blocked_until = Some(now + (FIRST_WAIT * 2u32.pow(doublings)).min(MAX_WAIT));
            }
            i.failures
        });
        let left = FREE_ATTEMPTS.saturating_sub(failures);
        let message = if left > 0 {
            format!("PIN incorreto. Restam {left} tentativa(s) antes de uma espera.")
        } else {
            "PIN incorreto. Aguarde alguns instantes antes de tentar de novo; se esqueceu o PIN, peça à TI.".to_owned()
        };
        Err(AppError::new(ErrorCode::Unauthorized, message))
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let mut guard = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }
}

fn wait_secs(d: Duration) -> u32 {
    u32::try_from(d.as_secs() + u64::from(d.subsec_nanos() > 0)).unwrap_or(u32::MAX)
}

/// The PIN as the secret store keeps it (its hash), through any [`SecretStore`].
pub fn stored_pin_hash(secrets: &dyn SecretStore) -> Result<Option<Sensitive<String>>, AppError> {
    secrets.get(PIN_HASH_KEY).map_err(AppError::from)
}

impl Balcao {
    /// Whether a PIN is set for the idle lock.
    pub fn lock_pin_set(&self) -> Result<bool, AppError> {
        Ok(stored_pin_hash(self.secrets.as_ref())?.is_some())
    }

    /// The lock's status as the UI shows it.
    pub fn lock_status(&self, lock: &IdleLock) -> Result<LockStatus, AppError> {
        Ok(lock.status(self.lock_pin_set()?, Instant::now()))
    }

    /// Sets (or changes) the PIN. Changing or removing an existing PIN asks for the current one.
    pub fn lock_set_pin(
        &self,
        lock: &IdleLock,
        new_pin: Option<Sensitive<String>>,
        current: Option<Sensitive<String>>,
    ) -> Result<LockStatus, AppError> {
        let stored = stored_pin_hash(self.secrets.as_ref())?;
        if let Some(hash) = &stored {
            let ok = current.as_ref().is_some_and(|c| verify_pin(c, hash));
            if !ok {
                return Err(AppError::new(ErrorCode::Unauthorized, "O PIN atual não confere; nada foi alterado."));
            }
        }
        match new_pin {
            Some(pin) => {
                let hash = hash_pin(&pin)?;
                self.secrets.set(PIN_HASH_KEY, &hash).map_err(AppError::from)?;
            }
            None => self.secrets.delete(PIN_HASH_KEY).map_err(AppError::from)?,
        }
        self.lock_status(lock)
    }

    /// Unlocks with the PIN (or a confirmation when none is set).
    pub fn lock_unlock(&self, lock: &IdleLock, pin: Option<Sensitive<String>>) -> Result<LockStatus, AppError> {
        let stored = stored_pin_hash(self.secrets.as_ref())?;
        lock.try_unlock(pin.as_ref(), stored.as_ref(), Instant::now())
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
        for ok in ["1234", "000000", "123456789012"] {
            assert!(validate_pin(ok).is_ok(), "{ok}");
        }
        for bad in ["", "123", "1234567890123", "12a4", "12 34", "１２３４"] {
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
        let st = lock.status(true, t0);
        assert_eq!(st.retry_after_secs, Some(30));
        // Even the right PIN waits while blocked.
        let e = lock.try_unlock(Some(&s("1357")), Some(&hash), t0 + Duration::from_secs(10)).unwrap_err();
        assert!(e.message.contains("Aguarde 20 s"), "{}", e.message);
        let later = t0 + Duration::from_secs(31);
        assert!(lock.try_unlock(Some(&s("9999")), Some(&hash), later).is_err());
        assert_eq!(lock.status(true, later).retry_after_secs, Some(60), "the wait doubles");
        let st = lock.try_unlock(Some(&s("1357")), Some(&hash), later + Duration::from_secs(61)).unwrap();
        assert!(!st.locked && st.pin_set && st.retry_after_secs.is_none());
        // A success resets the count.
        lock.lock();
        let e = lock.try_unlock(Some(&s("0000")), Some(&hash), later + Duration::from_secs(62)).unwrap_err();
        assert!(e.message.contains("Restam 4"), "{}", e.message);
    }
}
