//! A PgBouncer instance pgfort writes the configuration of: its
//! pgbouncer.ini settings, its `[databases]` entries and who goes into its
//! auth file. Values are held as the text the ini file gets, already
//! checked and normalised by the configuration decoder, so that two
//! spellings of one value compare equal.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

use serde::Serialize;

use super::{Authority, CertFacts, KeyType, Lifetime, Secret};

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
    /// TLS with a certificate pgfort issues from a declared authority.
    pub tls: Option<PgBouncerTls>,
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

/// `tls { }` of a pgbouncer block: a certificate issued by a declared
/// authority and written into `config_dir`, served to clients; the same
/// authority is what clients are checked against and, with
/// `server_sslmode`, what the server's certificate is verified against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PgBouncerTls {
    /// The `certificate_authority` that issues the certificate.
    pub ca: String,
    pub common_name: String,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<IpAddr>,
    pub validity: Lifetime,
    pub renew_before: Lifetime,
    pub key_type: KeyType,
    /// `client_tls_sslmode`.
    pub client_sslmode: String,
    /// `server_tls_sslmode`, when the block sets it (with
    /// `server_tls_ca_file`); otherwise both are left to `settings`.
    pub server_sslmode: Option<String>,
}

/// The TLS files in a PgBouncer's `config_dir`, as they are now (read only
/// when a `tls` block is declared). Files that do not parse count as
/// missing: they are pgfort's own output and are replaced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PgBouncerTlsFiles {
    /// The certificate PgBouncer serves.
    pub certificate: Option<CertFacts>,
    /// Whether the key file exists and belongs to the certificate.
    pub key_matches: bool,
    /// Whether the key file is readable by its owner only.
    pub key_private: bool,
    /// The authority's certificate, as written for PgBouncer.
    pub ca: Option<CertFacts>,
}

/// The certificate work of one PgBouncer write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBouncerTlsWrite {
    pub spec: PgBouncerTls,
    pub authority: Authority,
    /// Issue a new certificate and key (else they are kept).
    pub issue: bool,
    /// Write the authority's certificate as the CA file.
    pub write_ca: bool,
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
    pub tls: PgBouncerTlsFiles,
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
    /// With a `tls` block: the certificate files and how the new one is
    /// proven served after the reload.
    pub tls: Option<PgBouncerTlsWrite>,
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
