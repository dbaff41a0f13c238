//! Roles, their attributes, passwords, memberships and per-role settings.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Secret;

/// One role, desired or live. Every attribute has PostgreSQL's default when
/// not declared, so a declared role is fully described by its block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Role {
    pub name: String,
    pub attributes: RoleAttributes,
    pub password: Password,
    /// Roles this role is a member of, by name.
    pub member_of: BTreeMap<String, Membership>,
    /// Live only: groups in `member_of` held solely through the ADMIN-only
    /// grant PostgreSQL 16+ gives a non-superuser on each role it creates.
    /// An undeclared one is left alone: its holder could not revoke it and
    /// needs it to manage the role.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub implicit_admin_of: BTreeSet<String>,
    /// `ALTER ROLE … SET name = value`, values as PostgreSQL stores them.
    pub settings: BTreeMap<String, String>,
    /// `ALTER ROLE … IN DATABASE db SET name = value`, by database.
    pub database_settings: BTreeMap<String, BTreeMap<String, String>>,
    pub comment: Option<String>,
}

impl Role {
    /// A role with PostgreSQL's defaults (`CREATE ROLE name`).
    pub fn new(name: impl Into<String>) -> Self {
        Role {
            name: name.into(),
            attributes: RoleAttributes::default(),
            password: Password::None,
            member_of: BTreeMap::new(),
            implicit_admin_of: BTreeSet::new(),
            settings: BTreeMap::new(),
            database_settings: BTreeMap::new(),
            comment: None,
        }
    }
}

/// The flags and limits `CREATE ROLE` / `ALTER ROLE` set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleAttributes {
    pub login: bool,
    pub superuser: bool,
    pub createdb: bool,
    pub createrole: bool,
    pub inherit: bool,
    pub replication: bool,
    pub bypassrls: bool,
    /// -1 means no limit.
    pub connection_limit: i32,
    /// Normalised to UTC, `YYYY-MM-DDTHH:MM:SSZ`, or `infinity`; `None` is no expiry.
    pub valid_until: Option<String>,
}

impl Default for RoleAttributes {
    fn default() -> Self {
        RoleAttributes {
            login: false,
            superuser: false,
            createdb: false,
            createrole: false,
            inherit: true,
            replication: false,
            bypassrls: false,
            connection_limit: -1,
            valid_until: None,
        }
    }
}

/// A role's password as declared or as found on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Password {
    /// No password (`PASSWORD NULL`).
    None,
    /// Desired: the clear text, hashed on the client before it is sent.
    Clear(Secret),
    /// Live: the stored SCRAM-SHA-256 verifier (or md5 hash) from `pg_authid`.
    Stored(Secret),
    /// Live: a password may be set, but pgfort may not read `pg_authid`.
    Unreadable,
    /// Desired: whatever password the role has is left alone, never set,
    /// changed nor removed (`keep_password = true`, as `pgfort export`
    /// writes for roles whose password it cannot and must not copy). A role
    /// created from it has none.
    Unmanaged,
}

/// Membership options. `inherit` and `set` are PostgreSQL 16+ options; `None`
/// means "the server's default for this membership" (the member's INHERIT
/// attribute for `inherit`, true for `set`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub admin: bool,
    pub inherit: Option<bool>,
    pub set: Option<bool>,
}
