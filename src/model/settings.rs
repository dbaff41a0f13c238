//! Server-wide settings (`ALTER SYSTEM`), the parameters the server knows,
//! and what the configuration files say.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::tune::TuneProfile;

/// Server settings, desired or live.
///
/// Desired: `values` are the `settings` block (as written, normalised by the
/// configuration), `tune` the hardware profile whose computed values fill in
/// what is not declared, `libraries` the preload-only libraries declared
/// with `extension` blocks (e.g. `auto_explain`).
/// Live: `values` are the entries of `postgresql.auto.conf`; the other
/// fields describe the server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServerSettings {
    pub values: BTreeMap<String, String>,
    /// Desired only.
    pub tune: Option<TuneProfile>,
    /// Desired only: libraries to preload that have no `CREATE EXTENSION`.
    pub libraries: BTreeSet<String>,
    /// Live only: the values the other configuration files give
    /// (postgresql.conf and its includes), the last one read winning.
    /// `values` override them: the server reads postgresql.auto.conf last.
    pub configured: BTreeMap<String, ConfiguredValue>,
    /// Live only: every parameter the server knows (`pg_settings`).
    pub parameters: BTreeMap<String, Parameter>,
    /// Live only: entries the server refuses (`pg_file_settings.error`),
    /// other than restart-only changes waiting for a restart.
    pub file_errors: Vec<FileError>,
    /// Live only: whether `pg_file_settings` could be read (superusers, by
    /// default). Without it `values` and `configured` are empty.
    pub files_readable: bool,
    /// Live only: settings whose value in the files the server could not
    /// apply (`pg_file_settings.applied` false for another reason than
    /// waiting for a restart, e.g. an error elsewhere in the file): a
    /// reload would not load them.
    pub unapplicable: BTreeSet<String>,
    /// Live only: this session has re-read the configuration since it
    /// started, so its values of backend-context settings (fixed when a
    /// session starts) are not the server's.
    pub session_reloaded: bool,
    /// Live only: the Patroni cluster the server belongs to, when a
    /// `patroni` block is declared. Its dynamic configuration, not ALTER
    /// SYSTEM, is where settings and pg_hba rules are written then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patroni: Option<super::PatroniView>,
}

impl ServerSettings {
    /// Live: the value the configuration files give `name` (the one used
    /// after a reload or restart), if any file sets it.
    pub fn configured_value(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(String::as_str)
            .or_else(|| self.configured.get(name).map(|c| c.value.as_str()))
    }
}

/// A value set in a configuration file other than postgresql.auto.conf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfiguredValue {
    pub value: String,
    /// The file it comes from.
    pub file: String,
}

/// An entry of a configuration file the server cannot use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileError {
    pub file: String,
    pub line: i32,
    /// The parameter, when the error is about one.
    pub name: Option<String>,
    pub error: String,
}

/// A parameter as `pg_settings` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Parameter {
    pub name: String,
    pub vartype: VarType,
    /// The base unit of memory and time parameters (`8kB`, `ms`, …).
    pub unit: Option<String>,
    /// Bounds of numeric parameters, in the base unit.
    pub min: Option<String>,
    pub max: Option<String>,
    /// Accepted values of enum parameters (aliases are not listed).
    pub enumvals: Vec<String>,
    /// When a change takes effect (`pg_settings.context`).
    pub context: Context,
    /// The value in effect in this session, in the base unit.
    pub setting: String,
    /// The built-in default, in the base unit.
    pub boot_val: Option<String>,
    /// Where the value in effect comes from (`default`, `configuration
    /// file`, `command line`, …).
    pub source: String,
    /// The server's own flag. It stays set after a value is changed back
    /// without a restart, so pgfort compares values instead when it can.
    pub pending_restart: bool,
}

/// `pg_settings.vartype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VarType {
    Bool,
    Enum,
    Integer,
    Real,
    String,
}

impl VarType {
    pub fn parse(text: &str) -> VarType {
        match text {
            "bool" => VarType::Bool,
            "enum" => VarType::Enum,
            "integer" => VarType::Integer,
            "real" => VarType::Real,
            _ => VarType::String,
        }
    }
}

/// `pg_settings.context`: from "fixed" to "any session may change it".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Context {
    Internal,
    Postmaster,
    Sighup,
    SuperuserBackend,
    Backend,
    Superuser,
    User,
}

impl Context {
    pub fn parse(text: &str) -> Context {
        match text {
            "internal" => Context::Internal,
            "postmaster" => Context::Postmaster,
            "sighup" => Context::Sighup,
            "superuser-backend" => Context::SuperuserBackend,
            "backend" => Context::Backend,
            "superuser" => Context::Superuser,
            _ => Context::User,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Context::Internal => "internal",
            Context::Postmaster => "postmaster",
            Context::Sighup => "sighup",
            Context::SuperuserBackend => "superuser-backend",
            Context::Backend => "backend",
            Context::Superuser => "superuser",
            Context::User => "user",
        }
    }

    /// Whether `ALTER ROLE/DATABASE … SET` may set it (it applies when a
    /// session starts, not to the whole server).
    pub fn per_session(self) -> bool {
        self > Context::Sighup
    }
}

/// Whether `ALTER SYSTEM` in postgresql.auto.conf is the whole truth.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingsScope {
    /// Only declared settings are managed; other entries are left alone.
    #[default]
    Declared,
    /// Entries of postgresql.auto.conf that are not declared are reset.
    Authoritative,
}

/// A restart-only setting whose configured value is not the running one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PendingRestart {
    /// The setting's name.
    pub setting: String,
    /// What the running server uses, as `SHOW` would print it.
    pub running: String,
    /// What the configuration files say (used after the restart).
    pub configured: String,
}
