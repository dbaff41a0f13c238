//! A PgBouncer instance pgfort writes the configuration of: its
//! pgbouncer.ini settings, its `[databases]` entries and who goes into its
//! auth file. Values are held as the text the ini file gets, already
//! checked and normalised by the configuration decoder, so that two
//! spellings of one value compare equal.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::Secret;

/// One `pgbouncer "name" { }` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PgBouncer {
    pub name: String,
    /// Where pgbouncer.ini and userlist.txt live (resolved against the
    /// configuration directory).
    pub config_dir: PathBuf,
    /// How pgfort reaches the admin console; may hold a password.
    pub admin_url: Option<Secret>,
    pub auth: PgBouncerAuth,
    /// Roles whose SCRAM verifiers go into the auth file, sorted.
    pub users: Vec<String>,
    /// `[pgbouncer]` settings as written to the file (bools as 0/1, times
    /// in seconds, lists comma-separated); `auth_type` is always present.
    pub settings: BTreeMap<String, String>,
    /// `[databases]` entries, by the name clients connect to.
    pub databases: BTreeMap<String, PgBouncerDatabase>,
}

impl PgBouncer {
    /// The roles whose verifiers the auth file holds: the listed users
    /// and, with `auth = "query"`, the role the lookup runs as.
    pub fn auth_file_roles(&self) -> Vec<&str> {
        let mut roles: Vec<&str> = self.users.iter().map(String::as_str).collect();
        if let PgBouncerAuth::Query { auth_user } = &self.auth {
            roles.push(auth_user);
        }
        roles.sort_unstable();
        roles.dedup();
        roles
    }
}

/// How PgBouncer learns client passwords.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PgBouncerAuth {
    /// Only from the auth file, which lists `users`.
    File,
    /// From the auth file for `auth_user`, and for everyone else by
    /// asking the server with `auth_query` as `auth_user`.
    Query { auth_user: String },
}

impl PgBouncerAuth {
    pub const NAMES: &'static [&'static str] = &["file", "query"];
}

/// One `[databases]` entry: where PgBouncer connects for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PgBouncerDatabase {
    /// The database on the server (the entry's name unless given).
    pub dbname: String,
    /// Every other connection option (`host`, `port`, `pool_size`, …) as
    /// written to the file.
    pub options: BTreeMap<String, String>,
}

/// The files of one PgBouncer as found in its `config_dir` (live): `None`
/// for a file that does not exist. The auth file holds verifiers (or,
/// written by hand, clear-text passwords): it is a [`Secret`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PgBouncerFiles {
    pub ini: Option<String>,
    pub userlist: Option<Secret>,
}

/// Where the verifier of one auth file entry comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthEntry {
    /// The verifier the server holds now (the declared password, if any,
    /// matches it).
    Stored(Secret),
    /// The verifier the plan's `role.NAME` change sets: known only once
    /// the plan's passwords are hashed, and written exactly as sent.
    SetByPlan,
}

/// The rewrite of one PgBouncer's files that apply performs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBouncerWrite {
    pub name: String,
    pub config_dir: PathBuf,
    /// pgbouncer.ini as it will be written.
    pub ini: String,
    /// The auth file's entries, by role.
    pub users: Vec<(String, AuthEntry)>,
    pub admin_url: Option<Secret>,
    /// The `[pgbouncer]` settings the new file sets, as written, so that
    /// the running values can be compared after the reload.
    pub settings: BTreeMap<String, String>,
    /// The `[databases]` entries the new file declares.
    pub databases: Vec<String>,
    /// With `auth = "query"`: the role the lookups run as.
    pub auth_user: Option<String>,
}

/// The `auth_query` lookup as found in one database (live): the
/// `pgbouncer` schema and its `get_auth(text)` function.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuthLookup {
    /// The schema's owner; `None` when there is no `pgbouncer` schema.
    pub schema_owner: Option<String>,
    /// Roles with USAGE on the schema (`-`: PUBLIC).
    pub usage: Vec<String>,
    /// The function, when it exists.
    pub function: Option<AuthFunction>,
}

/// `pgbouncer.get_auth(text)` as the catalog holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuthFunction {
    pub owner: String,
    pub body: String,
    pub security_definer: bool,
    /// Its own settings (`search_path=…`).
    pub config: Vec<String>,
    /// Roles that may call it (`-`: PUBLIC).
    pub execute: Vec<String>,
}
