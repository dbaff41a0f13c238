//! What the audit knows about a server: plain data gathered by a fixed set
//! of bulk queries ([`super::gather`]), so every control is a pure function
//! of it and can be tested from a hand-written fixture.
//!
//! `None` means "could not be read with our privileges"; controls turn it
//! into a skip that names the privilege, never into a pass.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::Secret;

/// One row of `pg_settings`: the raw value and its unit (`s`, `min`, `kB`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingFact {
    pub value: String,
    pub unit: Option<String>,
}

/// How a stored password is kept, never the verifier itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PasswordKind {
    None,
    Scram,
    Md5,
    Plain,
}

/// A role's attributes (`pg_roles`), and its password kind when
/// `pg_authid` is readable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleFact {
    pub name: String,
    pub superuser: bool,
    pub login: bool,
    pub createrole: bool,
    pub createdb: bool,
    pub replication: bool,
    pub bypassrls: bool,
    /// `rolconnlimit`, -1 for none.
    pub connlimit: i32,
    pub password: Option<PasswordKind>,
    /// Roles this one is a direct member of (for `+group` rules).
    pub member_of: Vec<String>,
    /// `VALID UNTIL` is in the past: password logins are refused.
    pub expired: bool,
}

/// One line of `pg_hba_file_rules`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HbaRuleFact {
    pub line: i32,
    /// `local`, `host`, `hostssl`, `hostnossl`, `hostgssenc`, `hostnogssenc`.
    pub kind: String,
    pub databases: Vec<String>,
    pub users: Vec<String>,
    pub address: Option<String>,
    pub netmask: Option<String>,
    pub method: String,
}

/// A SECURITY DEFINER function outside extensions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DefinerFunction {
    pub signature: String,
    pub owner: String,
    /// Whether `proconfig` pins `search_path`.
    pub pins_search_path: bool,
    /// Whether PUBLIC may execute it (the default for a new function).
    pub public_execute: bool,
}

/// A privilege on an object, as `grantee: PRIV on object`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrivilegeFact {
    pub object: String,
    pub grantee: String,
    pub privilege: String,
}

/// What the server answered when asked for TLS on the address pgfort
/// connects to: `ssl = on` proves nothing when the certificate failed to
/// load (PostgreSQL then keeps TLS off, and fails at its next start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum TlsProbe {
    /// A TLS handshake succeeded.
    Served { address: String },
    /// The server refused TLS.
    Refused { address: String },
    /// No answer to judge by (nothing listens there, a timeout…).
    Failed { address: String, error: String },
}

/// Sessions and long-running statements (`pg_stat_activity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ActivityFact {
    pub connections: i64,
    /// Whether other roles' statements are visible (superuser or
    /// pg_read_all_stats); otherwise long queries cannot be judged.
    pub sees_all: bool,
    /// `pid user seconds` of statements active for more than 5 minutes.
    pub long_running: Vec<LongQuery>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LongQuery {
    pub pid: i32,
    pub user: String,
    pub seconds: i64,
}

/// A standby streaming from this server (`pg_stat_replication`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplicaFact {
    pub name: String,
    /// The role the standby logs in as (`usename`).
    pub user: String,
    /// `replay_lag` in seconds; `None` when the server does not say.
    pub replay_lag_seconds: Option<f64>,
}

/// What lives in one database rather than the cluster: schemas, tables,
/// functions and languages, read in each connectable database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct DatabaseFacts {
    pub name: String,
    /// The ACL of schema `public`, as aclitem text; `None` when the schema
    /// does not exist.
    pub public_schema_acl: Option<Vec<String>>,
    pub public_table_privileges: Vec<PrivilegeFact>,
    pub grant_options: Vec<PrivilegeFact>,
    pub definer_functions: Vec<DefinerFunction>,
    pub untrusted_languages: Vec<String>,
    /// Schemas where PUBLIC may CREATE.
    pub public_create_schemas: Vec<String>,
    /// Default privileges that give PUBLIC more than PostgreSQL's
    /// defaults, as `FOR ROLE r IN SCHEMA s: SELECT ON TABLES`.
    pub public_default_privileges: Vec<String>,
    /// Installed extensions that no object outside them depends on (no
    /// column of their types, index with their operator classes, view or
    /// default calling their functions, extension requiring them).
    pub unreferenced_extensions: Vec<String>,
}

/// A connectable database the audit could not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnreadableDatabase {
    pub name: String,
    pub why: String,
}

/// The stored verifier of a LOGIN role, read only to test it offline
/// against guessable passwords. A [`Secret`]: never shown, logged or
/// written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginVerifier {
    pub role: String,
    pub verifier: Secret,
}

/// Everything the controls look at.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct AuditFacts {
    pub version_num: u32,
    /// The server's `current_date` (`YYYY-MM-DD`), to judge end-of-life
    /// dates against; empty when unknown.
    pub today: String,
    pub session_user: String,
    pub current_database: String,
    /// `pg_is_in_recovery()`: a standby (or a server restoring a backup).
    pub in_recovery: bool,
    pub settings: BTreeMap<String, SettingFact>,
    pub roles: Vec<RoleFact>,
    /// Whether `pg_authid` was readable (password kinds are filled in).
    pub read_passwords: bool,
    pub hba_rules: Option<Vec<HbaRuleFact>>,
    /// Every connectable database read, the connected one first.
    pub databases: Vec<DatabaseFacts>,
    /// Connectable databases that could not be read, and why: controls
    /// over databases skip rather than pass while one is missing.
    pub unreadable_databases: Vec<UnreadableDatabase>,
    pub extensions: Vec<String>,
    pub available_extensions: Vec<String>,
    pub activity: Option<ActivityFact>,
    /// Heap blocks (hit, read) over user tables of the current database.
    pub cache_blocks: Option<(i64, i64)>,
    /// `None` when pg_stat_replication is not readable in full.
    pub replicas: Option<Vec<ReplicaFact>>,
    /// The mode bits of `hba_file`, only when pgfort runs on the server's
    /// host and may read it.
    pub hba_file_mode: Option<u32>,
    /// Whether the server really serves TLS; `None` when not probed.
    pub tls_probe: Option<TlsProbe>,
    /// The verifiers of LOGIN roles with a password; `None` when
    /// `pg_authid` is not readable. Never serialized.
    #[serde(skip)]
    pub login_verifiers: Option<Vec<LoginVerifier>>,
    /// The PgBouncer instances the configuration declares, as their files
    /// are on this host; empty when the audit runs without one.
    #[serde(skip)]
    pub pgbouncers: Vec<PgBouncerFact>,
}

/// One declared PgBouncer, read from its `config_dir`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PgBouncerFact {
    pub name: String,
    /// The `[pgbouncer]` section of its pgbouncer.ini (`None`: the file
    /// could not be read, nor judged).
    pub settings: Option<BTreeMap<String, String>>,
    /// The auth file's mode bits, when it could be read.
    pub auth_file_mode: Option<u32>,
}

impl AuditFacts {
    pub fn setting(&self, name: &str) -> Option<&SettingFact> {
        self.settings.get(name)
    }

    pub fn is_superuser(&self) -> bool {
        self.roles
            .iter()
            .any(|role| role.name == self.session_user && role.superuser)
    }

    /// Who is a member of whom, indexed once for following groups.
    pub fn memberships(&self) -> Memberships<'_> {
        Memberships(
            self.roles
                .iter()
                .map(|role| (role.name.as_str(), role.member_of.as_slice()))
                .collect(),
        )
    }
}

/// Each role's direct groups by name: following a role's groups costs the
/// groups followed, not a scan of every role at each step (controls follow
/// them for every role).
pub struct Memberships<'a>(std::collections::HashMap<&'a str, &'a [String]>);

impl<'a> Memberships<'a> {
    /// Every role `name` is a member of, directly or through groups (what
    /// `+group` in pg_hba.conf follows), itself included.
    pub fn groups_of(&self, name: &'a str) -> std::collections::BTreeSet<&'a str> {
        let mut seen = std::collections::BTreeSet::new();
        let mut queue = vec![name];
        while let Some(role) = queue.pop() {
            if !seen.insert(role) {
                continue;
            }
            if let Some(groups) = self.0.get(role) {
                queue.extend(groups.iter().map(String::as_str));
            }
        }
        seen
    }
}
