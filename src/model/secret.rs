//! A value that must never be displayed, logged or serialized in clear.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

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

/// A secret is written as the redacted text and nothing else, which is
/// what its schema says: a document can never hold the clear text.
impl JsonSchema for Secret {
    fn schema_name() -> Cow<'static, str> {
        "Secret".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "const": REDACTED,
            "description": "A sensitive value, always written redacted."
        })
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

    #[test]
    fn its_schema_admits_only_the_redacted_text() {
        let schema = schemars::schema_for!(Secret).to_value();
        let written = serde_json::to_value(Secret::new("hunter2")).unwrap();
        assert_eq!(schema["const"], written);
    }
}
