//! The one error type of configuration loading, and small constructors so
//! that every call site reads as "where, what, how to fix".

use std::path::Path;
use std::sync::Arc;

/// A location in a configuration file (1-based line and column, the column
/// counted in characters so editors land on the right spot). The path is
/// shared: every value read from a file carries its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: Arc<Path>,
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
    /// The other errors found in the same run, in file order, after this
    /// one (the first): a file with three mistakes shows all three. Boxed:
    /// errors stay small. See [`ConfigError::more`].
    pub(crate) more: Option<Box<MoreErrors>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MoreErrors(Vec<ConfigError>);

impl ConfigError {
    /// The errors found with this one, after it in file order.
    pub fn more(&self) -> &[ConfigError] {
        self.more.as_deref().map_or(&[], |more| &more.0)
    }

    /// This error and those found with it, each alone.
    pub(crate) fn into_all(mut self) -> Vec<ConfigError> {
        let more = self.more.take().map(|more| more.0).unwrap_or_default();
        std::iter::once(self).chain(more).collect()
    }

    /// This error with `others` found in the same run: the first in file
    /// order stands for them all, the rest go to [`ConfigError::more()`].
    pub(crate) fn joined(self, others: Vec<ConfigError>) -> ConfigError {
        let mut flat = Vec::with_capacity(others.len() + 1);
        for mut error in std::iter::once(self).chain(others) {
            let more = error.more.take();
            flat.push(error);
            flat.extend(more.map(|more| more.0).unwrap_or_default());
        }
        // Stable: errors without a place keep their order, after the rest.
        flat.sort_by(|a, b| match (&a.location, &b.location) {
            (Some(a), Some(b)) => (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        flat.dedup();
        let mut errors = flat.into_iter();
        match errors.next() {
            Some(mut first) => {
                let more: Vec<ConfigError> = errors.collect();
                first.more = (!more.is_empty()).then(|| Box::new(MoreErrors(more)));
                first
            }
            None => ConfigError::general("invalid configuration"),
        }
    }

    /// `Ok` when `errors` is empty, else all of them (see
    /// [`ConfigError::joined`]).
    pub(crate) fn check(errors: Vec<ConfigError>) -> Result<()> {
        let mut errors = errors.into_iter();
        match errors.next() {
            Some(first) => Err(first.joined(errors.collect())),
            None => Ok(()),
        }
    }

    /// An error about the configuration as a whole (no single place to blame).
    pub(crate) fn general(message: impl Into<String>) -> Self {
        ConfigError {
            location: None,
            message: message.into(),
            hint: None,
            notes: Vec::new(),
            more: None,
        }
    }

    /// An error at a place in a file.
    pub(crate) fn at(location: Location, message: impl Into<String>) -> Self {
        ConfigError {
            location: Some(location),
            message: message.into(),
            hint: None,
            notes: Vec::new(),
            more: None,
        }
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a line of context, after those already there.
    pub(crate) fn with_note(mut self, note: impl Into<String>) -> Self {
        let note = note.into();
        for error in self.more.iter_mut().flat_map(|more| more.0.iter_mut()) {
            error.notes.push(note.clone());
        }
        self.notes.push(note);
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
