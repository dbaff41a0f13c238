//! A value that must never be displayed, logged or serialized in clear.

use std::fmt;

/// Holds a secret (a clear-text password). `Display`, `Debug` and
/// `Serialize` all print `(sensitive)`; the only way to the clear text is
/// [`Secret::expose`], whose name makes every use easy to audit.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

/// What every redacted value prints as.
pub const REDACTED: &str = "(sensitive)";

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The clear text. Only password hashing and certificate code call this.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_clear_text() {
        let secret = Secret::new("hunter2");
        assert_eq!(secret.to_string(), REDACTED);
        assert_eq!(format!("{secret:?}"), REDACTED);
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"(sensitive)\"");
        assert_eq!(secret.expose(), "hunter2");
    }
}
