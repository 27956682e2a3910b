//! `Sensitive<T>`: a wrapper for secrets and tokens that never prints and never serialises.

use std::fmt;

/// Holds a secret (client secret, access token, database key).
///
/// `Debug` and `Display` print `<redacted>`; `Serialize` always fails, so a secret can never
/// reach a log line, the UI or a file by accident. Read it explicitly with [`Sensitive::expose`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret itself. Call this only where the value must leave the process (an HTTP header, the keyring).
    pub fn expose(&self) -> &T {
        &self.0
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> serde::Serialize for Sensitive<T> {
    fn serialize<S: serde::Serializer>(&self, _serializer: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("a Sensitive value cannot be serialised"))
    }
}

#[cfg(test)]
mod tests {
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
}
