//! The one error type of configuration loading, and small constructors so
//! that every call site reads as "where, what, how to fix".

use std::path::PathBuf;

/// A location in a configuration file (1-based line and column, the column
/// counted in characters so editors land on the right spot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// A configuration error: where, what, and optionally how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", location.as_ref().map(|l| format!("{l}: ")).unwrap_or_default())]
pub struct ConfigError {
    pub location: Option<Location>,
    pub message: String,
    pub hint: Option<String>,
    /// Where the error was reached from, innermost first: for an error in
    /// a module's files, the `module` blocks that called it, since the
    /// same file may be loaded several times with different inputs.
    pub notes: Vec<String>,
}

impl ConfigError {
    /// An error about the configuration as a whole (no single place to blame).
    pub(crate) fn general(message: impl Into<String>) -> Self {
        ConfigError {
            location: None,
            message: message.into(),
            hint: None,
            notes: Vec::new(),
        }
    }

    /// An error at a place in a file.
    pub(crate) fn at(location: Location, message: impl Into<String>) -> Self {
        ConfigError {
            location: Some(location),
            message: message.into(),
            hint: None,
            notes: Vec::new(),
        }
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a line of context, after those already there.
    pub(crate) fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Adds a hint only when there is one (e.g. an optional did-you-mean).
    pub(crate) fn with_optional_hint(mut self, hint: Option<String>) -> Self {
        if hint.is_some() {
            self.hint = hint;
        }
        self
    }
}

pub(crate) type Result<T, E = ConfigError> = std::result::Result<T, E>;
