//! Plain data types describing a server's state. The same types hold the
//! desired state (from configuration) and the live state (from inspection),
//! so diffing is a pure function of two values. No I/O and no SQL here.

mod database;
mod extension;
mod hba;
pub mod hba_token;
mod patroni;
mod pgbouncer;
mod privilege;
mod role;
mod secret;
mod settings;
mod table;
mod tls;
pub mod units;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

pub use database::{Database, Schema};
pub use extension::{AvailableExtension, Extension, PRELOADED, Preload, ServerExtensions, preload};
pub use hba::{
    ConnType, HEADER as HBA_HEADER, Hba, HbaAddress, HbaCheck, HbaProbe, HbaRule, HbaSession,
    HbaWrite, METHODS as HBA_METHODS, TlsHandover, render_file as render_hba_file,
};
pub use patroni::{PatroniEndpoint, PatroniMember, PatroniPatch, PatroniView};
pub use pgbouncer::{
    AuthEntry, AuthFunction, AuthLookup, PgBouncer, PgBouncerAuth, PgBouncerDatabase,
    PgBouncerFiles, PgBouncerTls, PgBouncerTlsFiles, PgBouncerTlsWrite, PgBouncerWrite,
};
pub use privilege::{
    DefaultKind, DefaultPrivilege, Grant, GrantTarget, ObjectKind, ObjectRef, PUBLIC, Privilege,
};
pub use role::{Membership, Password, Role, RoleAttributes};
pub use secret::{REDACTED, Secret};
pub use settings::{
    ConfiguredValue, Context, FileError, Parameter, PendingRestart, ServerSettings, SettingsScope,
    VarType,
};
pub use table::{Expression, Policy, PolicyCommand, PolicyKey, RowLevelSecurity, Table, TableName};
pub use tls::{
    Authority, CertFacts, ClientCertificate, InstalledSsl, KeyType, Lifetime, SERVER_CA_FILE,
    SERVER_CERT_FILE, SERVER_KEY_FILE, ServedSsl, ServerCertificate, ServerInstall, Tls, TlsWork,
};

/// Everything pgfort manages on one server.
///
/// Desired: `roles`, `databases`, `catalogs[db].schemas` and `grants` come
/// from the configuration (privileges are derived from `grants` by the
/// diff, which needs the live objects to expand "all tables").
/// Live: everything but `grants`, with privileges exploded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServerState {
    pub roles: BTreeMap<String, Role>,
    pub databases: BTreeMap<String, Database>,
    /// Privileges on databases (cluster-wide catalog), managed grantees only.
    pub database_privileges: BTreeSet<Privilege>,
    /// Per-database objects, by database name (live: the inspected ones).
    pub catalogs: BTreeMap<String, DatabaseCatalog>,
    /// Declared grants (desired only).
    pub grants: Vec<Grant>,
    /// `ALTER SYSTEM` settings and what the server knows about parameters.
    pub settings: ServerSettings,
    /// Extensions the server could install (live only).
    pub extensions: ServerExtensions,
    /// pg_hba.conf (desired: when an `hba` block is written; live: when
    /// the file could be read).
    pub hba: Option<Hba>,
    /// Certificates (desired: declared; live: what the server has
    /// installed, read only when a server certificate is declared).
    pub tls: Tls,
    /// PgBouncer instances, by name (desired: declared).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub pgbouncers: BTreeMap<String, PgBouncer>,
    /// The files of the declared PgBouncer instances, by name (live only).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub pgbouncer_files: BTreeMap<String, PgBouncerFiles>,
    /// The `auth_query` lookup in the databases PgBouncer pools with
    /// `auth = "query"`, by database (live only; absent: no schema).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub pgbouncer_lookups: BTreeMap<String, AuthLookup>,
}

/// What one database holds that pgfort manages or needs to know.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DatabaseCatalog {
    pub schemas: BTreeMap<String, Schema>,
    /// Tables, sequences, functions and types outside system schemas, with
    /// their owners (live only): what "all tables" expands to.
    #[serde(serialize_with = "entries")]
    pub objects: BTreeMap<ObjectRef, String>,
    /// Privileges on schemas, objects and columns held by managed grantees
    /// (never the owner's own), live only.
    pub privileges: BTreeSet<Privilege>,
    /// Default privileges granted to managed grantees, live only.
    pub default_privileges: BTreeSet<DefaultPrivilege>,
    /// Extensions, by name (desired: declared; live: installed).
    pub extensions: BTreeMap<String, Extension>,
    /// Tables whose row-level security is managed (live: the declared ones
    /// that exist).
    #[serde(serialize_with = "table::values_only")]
    pub tables: BTreeMap<TableName, Table>,
    /// Policies (live: every policy on a declared table).
    #[serde(serialize_with = "table::values_only")]
    pub policies: BTreeMap<PolicyKey, Policy>,
}

/// What pgfort may change beyond the declared objects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ManagePolicy {
    /// Drop live roles that are not declared (minus ignored and reserved ones).
    pub prune_roles: bool,
    /// Glob patterns of role names never pruned nor reported as unmanaged.
    pub ignore_roles: Vec<String>,
    /// Who receives objects owned by a pruned role.
    pub reassign_owned_to: Option<String>,
    /// Drop live databases that are not declared (never templates,
    /// `postgres`, or the database pgfort is connected to).
    pub prune_databases: bool,
    /// Glob patterns of database names never pruned.
    pub ignore_databases: Vec<String>,
    /// Make PUBLIC's privileges on managed databases and schemas
    /// authoritative too.
    pub public_privileges: bool,
    /// Whether undeclared entries of postgresql.auto.conf are reset.
    pub settings: SettingsScope,
    /// Drop extensions that are not declared, in databases that are
    /// declared or have declared extensions.
    pub prune_extensions: bool,
}

/// Facts about the live server that are not objects pgfort manages, but that
/// the diff needs (who we are, what the server can do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServerFacts {
    /// `server_version_num`, e.g. 150004.
    pub version_num: u32,
    /// The role pgfort is connected as (`session_user`).
    pub session_user: String,
    /// The bootstrap superuser (oid 10).
    pub bootstrap_superuser: String,
    /// Whether `pg_authid` could be read, so passwords can be compared.
    pub can_read_passwords: bool,
    /// Databases that accept connections, for per-database work.
    pub databases: Vec<String>,
    /// The database of the main connection (never dropped).
    pub current_database: String,
    /// A standby (`pg_is_in_recovery()`): its catalog replicates from the
    /// primary, so only node-local state may change here.
    pub in_recovery: bool,
    /// Whether the session user is a superuser (may grant on anything).
    pub is_superuser: bool,
    /// Roles whose privileges the session user has (itself included), to
    /// tell which objects it may grant on as their owner.
    pub session_roles: Vec<String>,
    /// For each role, the databases holding objects it owns or privileges
    /// granted to it (from `pg_shdepend`), where dropping it needs work.
    pub role_dependencies: BTreeMap<String, Vec<String>>,
}

impl ServerFacts {
    /// Membership INHERIT/SET options exist from PostgreSQL 16.
    pub fn has_membership_options(&self) -> bool {
        self.version_num >= 160000
    }
}

/// Serializes a map with structured keys as a list of `[key, value]`
/// pairs: JSON maps need string keys.
fn entries<K: Serialize, V: Serialize, S: serde::Serializer>(
    map: &BTreeMap<K, V>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(map.iter())
}
