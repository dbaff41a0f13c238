//! Plain data types describing a server's state. The same types hold the
//! desired state (from configuration) and the live state (from inspection),
//! so diffing is a pure function of two values. No I/O and no SQL here.

mod role;
mod secret;

use std::collections::BTreeMap;

use serde::Serialize;

pub use role::{Membership, Password, Role, RoleAttributes};
pub use secret::{REDACTED, Secret};

/// Everything pgfort manages on one server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServerState {
    pub roles: BTreeMap<String, Role>,
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
