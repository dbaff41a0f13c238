//! HCL configuration: load every `*.hcl` file of a directory, evaluate
//! variables, locals and functions, and decode into typed values with
//! file:line:column on every error. No network access here.

use std::path::{Path, PathBuf};

use crate::model::{ManagePolicy, Secret, ServerState};

/// The `connection {}` block. Every field is optional: flags and libpq
/// environment variables take precedence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionBlock {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub dbname: Option<String>,
    pub sslmode: Option<String>,
    pub sslrootcert: Option<PathBuf>,
}

/// A fully evaluated and validated configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub connection: ConnectionBlock,
    pub manage: ManagePolicy,
    pub desired: ServerState,
    /// The files read, in the order read.
    pub files: Vec<PathBuf>,
}

/// Values for `variable` blocks given outside the files.
#[derive(Debug, Clone, Default)]
pub struct VariableInputs {
    /// `-var name=value`, in command-line order (later wins).
    pub cli: Vec<(String, String)>,
    /// `-var-file FILE`, in command-line order (later wins, `-var` beats files).
    pub files: Vec<PathBuf>,
}

/// Asks the user for a variable that has no value (only on a terminal).
pub trait Prompter {
    /// `None` means "cannot ask" (no terminal); the caller then reports the
    /// variable as missing.
    fn ask(&self, name: &str, description: Option<&str>, sensitive: bool) -> Option<String>;
}

/// A prompter that never asks.
pub struct NoPrompt;

impl Prompter for NoPrompt {
    fn ask(&self, _: &str, _: Option<&str>, _: bool) -> Option<String> {
        None
    }
}

/// A location in a configuration file (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

/// A configuration error: where, what, and optionally how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", location.as_ref().map(|l| format!("{}:{}:{}: ", l.file.display(), l.line, l.column)).unwrap_or_default())]
pub struct ConfigError {
    pub location: Option<Location>,
    pub message: String,
    pub hint: Option<String>,
}

/// Reads and evaluates every `*.hcl` file in `dir`.
pub fn load(
    _dir: &Path,
    _inputs: &VariableInputs,
    _prompter: &dyn Prompter,
) -> Result<Config, ConfigError> {
    todo!("config::load")
}
