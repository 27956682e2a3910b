//! `Sensitive<T>`: a wrapper for secrets and tokens that never prints, never serialises and is wiped when dropped.

use std::fmt;

use zeroize::Zeroize;

/// Holds a secret (client secret, access token, database key).
///
/// `Debug` and `Display` print `<redacted>`; `Serialize` always fails, so a secret can never
/// reach a log line, the UI or a file by accident. Read it explicitly with [`Sensitive::expose`].
/// Dropping it overwrites the value with zeros ([`Zeroize`]), so a freed secret does not linger in memory for a
/// crash dump or a later allocation to reveal.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Sensitive<T: Zeroize>(T);

impl<T: Zeroize> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret itself. Call this only where the value must leave the process (an HTTP header, the keyring).
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// The secret, moved out (what is left behind is wiped on drop). The caller owns wiping the value it gets.
    pub fn into_inner(mut self) -> T
    where
        T: Default,
    {
        std::mem::take(&mut self.0)
    }
}

impl<T: Zeroize> Drop for Sensitive<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T: Zeroize> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T: Zeroize> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T: Zeroize> serde::Serialize for Sensitive<T> {
    fn serialize<S: serde::Serializer>(&self, _serializer: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("a Sensitive value cannot be serialised"))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn debug_and_display_never_show_the_secret() {
        let s = Sensitive::new(String::from("s3cr3t-token"));
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{s}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(&s)), "Some(<redacted>)");
        assert_eq!(s.expose(), "s3cr3t-token");
    }

    #[test]
    fn serialisation_is_refused() {
        let s = Sensitive::new(String::from("s3cr3t-token"));
        let err = serde_json::to_string(&s).unwrap_err().to_string();
        assert!(!err.contains("s3cr3t"));
        #[derive(serde::Serialize)]
        struct Holder {
            token: Sensitive<String>,
        }
        assert!(serde_json::to_string(&Holder { token: s }).is_err());
    }

    /// A stand-in secret that counts how often it was wiped (reading freed memory would need unsafe code).
    #[derive(Default, Clone)]
    struct Probe(Arc<AtomicUsize>);

    impl Zeroize for Probe {
        fn zeroize(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_secret_is_wiped_when_dropped_and_each_clone_wipes_its_own_copy() {
        let wiped = Arc::new(AtomicUsize::new(0));
        let s = Sensitive::new(Probe(wiped.clone()));
        let copy = s.clone();
        assert_eq!(wiped.load(Ordering::SeqCst), 0, "not before the drop");
        drop(s);
        assert_eq!(wiped.load(Ordering::SeqCst), 1);
        drop(copy);
        assert_eq!(wiped.load(Ordering::SeqCst), 2);
        // Inside a holder (an Option, a map), dropping the holder wipes it too.
        drop(Some(Sensitive::new(Probe(wiped.clone()))));
        assert_eq!(wiped.load(Ordering::SeqCst), 3);
    }
}
