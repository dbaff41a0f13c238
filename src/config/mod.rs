//! HCL configuration: load every `*.hcl` file of a directory and of the
//! modules it calls, evaluate variables, locals, module outputs and
//! functions, and decode into typed values with file:line:column on every
//! error. No network access here.
//!
//! Files are parsed with hcl-edit, which keeps spans, and decoded by hand
//! (not through serde) so that every value keeps its location.

mod blocks;
mod digest;
mod environments;
mod error;
mod eval;
mod fmt;
mod load;
mod locals;
mod module;
mod normalize;
mod order;
mod outputs;
mod parse;
mod reader;
mod source;
pub(crate) mod suggest;
mod validate;
mod value;
mod varfiles;
mod variables;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use environments::{
    Environment, EnvironmentValue, FleetServer, ServerSelection, find_environment,
};
pub use error::{ConfigError, Location};

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
    /// Resolved against the configuration directory.
    pub sslrootcert: Option<PathBuf>,
    /// A client certificate and key (resolved like `sslrootcert`).
    pub sslcert: Option<PathBuf>,
    pub sslkey: Option<PathBuf>,
}

/// A fully evaluated and validated configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub connection: ConnectionBlock,
    /// The `patroni {}` block: the server's settings and pg_hba rules go
    /// through this Patroni cluster's REST API.
    pub patroni: Option<crate::model::PatroniEndpoint>,
    pub manage: ManagePolicy,
    pub desired: ServerState,
    /// The files read, in the order read.
    pub files: Vec<PathBuf>,
    /// Where values that only the server can check were written, by key
    /// (`settings.work_mem`, `role.app.settings.work_mem`,
    /// `extension.app.pg_trgm`), so plan-time errors point at them.
    pub locations: BTreeMap<String, Location>,
    /// For each file of a called module, the chains of `module` calls
    /// that loaded it (several when it is called more than once).
    pub module_notes: BTreeMap<PathBuf, Vec<String>>,
    /// Where each role was declared, by name (kept apart from `locations`
    /// so thousands of roles cost no extra keys).
    pub role_locations: BTreeMap<String, Location>,
    /// SHA-256 of the files' text and the resolved variable values
    /// (sensitive ones only through a slow hash), recorded in saved plans.
    pub digest: String,
    /// What plans must not destroy: `lifecycle { prevent_destroy }` of
    /// declared objects and `manage { prevent_destroy }` patterns.
    pub guards: crate::plan::DestroyGuards,
    /// Problems worth saying that do not stop loading (a variables file
    /// setting an undeclared variable), each with its location.
    pub warnings: Vec<ConfigError>,
    /// Root variables that had no value, in declaration order: only
    /// [`load_for_validation`] allows them, and what derives from them
    /// was not checked.
    pub unknown_variables: Vec<String>,
    /// The `environment` blocks of the root configuration, in written
    /// order (`--env` runs on their servers).
    pub environments: Vec<Environment>,
}

impl Config {
    /// Where the value or block at `key` (an address such as `role.app`,
    /// or a value under one, `role.app.settings.work_mem`) was written: the
    /// key itself, else the closest enclosing key that has a location.
    pub fn location_of(&self, key: &str) -> Option<&Location> {
        let mut key = key;
        loop {
            if let Some(location) = self.locations.get(key) {
                return Some(location);
            }
            if let Some(location) = key
                .strip_prefix("role.")
                .and_then(|name| self.role_locations.get(name))
            {
                return Some(location);
            }
            key = &key[..key.rfind('.')?];
        }
    }
}

/// Values for `variable` blocks given for one run, outside the
/// configuration directory.
#[derive(Debug, Clone, Default)]
pub struct VariableInputs {
    /// `-var name=value`, in command-line order (later wins).
    pub cli: Vec<(String, String)>,
    /// `-var-file FILE`, in command-line order (later wins).
    pub files: Vec<PathBuf>,
    /// For each of `files`, how many of `cli` come before it on the
    /// command line: between a `-var` and a `-var-file` the later wins.
    /// Missing entries count as 0 (the file before every `-var`).
    pub file_positions: Vec<usize>,
    /// The server of an environment this load is for: its values (and its
    /// environment's) come right below `cli` and `files`.
    pub environment: Option<ServerSelection>,
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

/// One file as `pgfort fmt` would write it; the caller decides whether to
/// write it or only report the difference (`--check`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormattedFile {
    pub path: PathBuf,
    pub original: String,
    pub formatted: String,
}

impl FormattedFile {
    pub fn is_changed(&self) -> bool {
        self.original != self.formatted
    }
}

/// Reads and evaluates every `*.hcl` file in `dir`.
///
/// Variable values come from, highest first: `inputs.cli` and
/// `inputs.files` (the later on the command line wins),
/// `*.auto.pgfortvars` and then `pgfort.pgfortvars` in `dir`,
/// `PGFORT_VAR_<name>`, the declared default, then `prompter`.
pub fn load(
    dir: &Path,
    inputs: &VariableInputs,
    prompter: &dyn Prompter,
) -> Result<Config, ConfigError> {
    load::load_with_env(
        dir,
        inputs,
        load::Missing::Ask(prompter),
        load::process_env(),
    )
}

/// [`load`] for `pgfort validate`: a variable nobody gave a value is
/// unknown instead of an error (nobody is asked), as in Terraform. Values
/// that derive from it are stand-ins, and errors about them are not
/// reported; everything else is checked. The names of such variables are
/// in [`Config::unknown_variables`].
pub fn load_for_validation(dir: &Path, inputs: &VariableInputs) -> Result<Config, ConfigError> {
    load::load_with_env(dir, inputs, load::Missing::Unknown, load::process_env())
}

/// The declared certificates with their files on this machine read again
/// (plan right after an apply that generated some sees them).
pub fn refresh_certificates(config: &Config) -> Result<crate::model::Tls, ConfigError> {
    blocks::refresh_certificates(config)
}

/// The canonical layout of one file's text (`pgfort fmt`). Fails, with a
/// location, on a file that does not parse. `file` names it in errors.
pub fn format_source(source: &str, file: &Path) -> Result<String, ConfigError> {
    fmt::format_source(source, file)
}

/// [`format_source`] for every `*.hcl` file of `dir`, in name order.
pub fn format_dir(dir: &Path) -> Result<Vec<FormattedFile>, ConfigError> {
    fmt::format_dir(dir)
}
