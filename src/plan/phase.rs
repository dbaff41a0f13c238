//! The order in which statements run, as a type rather than as the order of
//! calls in the diff.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Phases in execution order. Every statement belongs to one; the plan sorts
/// by them, so a membership grant never runs before its group exists, a
/// database exists before its schemas, and a role is dropped only after its
/// objects were handed over.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// `CREATE ROLE`.
    CreateRoles,
    /// `ALTER ROLE`, role settings, comments, passwords.
    AlterRoles,
    /// `GRANT role TO member`.
    GrantMemberships,
    /// `CREATE DATABASE` (outside any transaction).
    CreateDatabases,
    /// `ALTER DATABASE`, database comments and settings.
    AlterDatabases,
    /// `GRANT/REVOKE … ON DATABASE`.
    DatabasePrivileges,
    /// `CREATE SCHEMA` (in the database's transaction).
    CreateSchemas,
    /// `ALTER SCHEMA … OWNER`, comments.
    AlterSchemas,
    /// `CREATE EXTENSION`, `ALTER EXTENSION … UPDATE / SET SCHEMA` (after
    /// the schemas they go into).
    Extensions,
    /// `ALTER TABLE … ROW LEVEL SECURITY`, table owners and comments.
    AlterTables,
    /// `GRANT` on schemas, objects and columns.
    GrantPrivileges,
    /// `ALTER DEFAULT PRIVILEGES`.
    DefaultPrivileges,
    /// `REVOKE` on schemas, objects and columns.
    RevokePrivileges,
    /// `DROP EXTENSION` of undeclared extensions (prune_extensions).
    DropExtensions,
    /// `DROP POLICY`: undeclared policies, and the first half of a
    /// replacement (in the same transaction as the second).
    DropPolicies,
    /// `CREATE POLICY`.
    CreatePolicies,
    /// `ALTER POLICY`, policy comments.
    AlterPolicies,
    /// `REVOKE role FROM member`.
    RevokeMemberships,
    /// Ending sessions of roles about to be dropped.
    TerminateSessions,
    /// `REASSIGN OWNED` / `DROP OWNED` in each database.
    ReleaseOwnership,
    /// `DROP ROLE`.
    DropRoles,
    /// `DROP DATABASE` (outside any transaction).
    DropDatabases,
    /// `ALTER SYSTEM` (outside any transaction), after all catalog work.
    SystemSettings,
    /// `pg_reload_conf()`, once the settings are written and checked.
    ReloadConfiguration,
    /// pg_hba.conf written, checked, reloaded and tried (last: a new file
    /// may depend on roles created above).
    HbaFile,
}

impl Phase {
    /// Per-database phases run database by database, each database's
    /// statements in one transaction; the others run in phase order.
    pub fn is_per_database(self) -> bool {
        matches!(
            self,
            Phase::CreateSchemas
                | Phase::AlterSchemas
                | Phase::Extensions
                | Phase::GrantPrivileges
                | Phase::DefaultPrivileges
                | Phase::RevokePrivileges
                | Phase::DropExtensions
                | Phase::AlterTables
                | Phase::DropPolicies
                | Phase::CreatePolicies
                | Phase::AlterPolicies
        )
    }

    /// 0: cluster work before databases' own, 1: per database, 2: after.
    fn stage(self) -> u8 {
        if self.is_per_database() {
            1
        } else if self < Phase::CreateSchemas {
            0
        } else {
            2
        }
    }
}

/// Where a statement runs.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(tag = "kind", content = "database", rename_all = "snake_case")]
pub enum Target {
    /// The main connection, inside the cluster-wide transaction.
    Cluster,
    /// The main connection, alone and outside any transaction
    /// (`CREATE DATABASE`, `DROP DATABASE`, `ALTER SYSTEM`).
    NonTransactional,
    /// A connection to this database, inside that database's transaction.
    Database(String),
}

/// The key statements are sorted by: stage, then for per-database work the
/// database before the phase (one transaction per database), otherwise the
/// phase before the target.
pub fn execution_order(phase: Phase, target: &Target) -> (u8, Option<&Target>, Phase, &Target) {
    let stage = phase.stage();
    let database_first = (stage == 1).then_some(target);
    (stage, database_first, phase, target)
}
