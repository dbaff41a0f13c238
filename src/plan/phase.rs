//! The order in which statements run, as a type rather than as the order of
//! calls in the diff.

use serde::Serialize;

/// Phases in execution order. Every statement belongs to one; the plan sorts
/// by phase first, so a membership grant never runs before its group exists
/// and a role is never dropped before its objects are reassigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// `CREATE ROLE`.
    CreateRoles,
    /// `ALTER ROLE`, role settings, comments, passwords.
    AlterRoles,
    /// `GRANT role TO member`.
    GrantMemberships,
    /// `REVOKE role FROM member`.
    RevokeMemberships,
    /// Ending sessions of roles about to be dropped.
    TerminateSessions,
    /// `REASSIGN OWNED` / `DROP OWNED` in each database.
    ReleaseOwnership,
    /// `DROP ROLE`.
    DropRoles,
}

/// Where a statement runs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", content = "database", rename_all = "snake_case")]
pub enum Target {
    /// The main connection, inside the cluster-wide transaction.
    Cluster,
    /// A connection to this database, inside that database's transaction.
    Database(String),
}
