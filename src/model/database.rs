//! Databases and schemas.

use std::collections::BTreeMap;

use serde::Serialize;

/// A database. `None` attributes mean "whatever the server chose" (e.g. the
/// template's encoding); declared values are compared and enforced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Database {
    pub name: String,
    /// `None` in the desired state: the connected role (the server's default).
    pub owner: Option<String>,
    /// Immutable after creation, e.g. `UTF8`.
    pub encoding: Option<String>,
    /// Immutable after creation: LC_COLLATE and LC_CTYPE.
    pub locale: Option<String>,
    /// Used at creation only.
    pub template: Option<String>,
    /// -1 means no limit.
    pub connection_limit: i32,
    pub allow_connections: bool,
    pub is_template: bool,
    /// `ALTER DATABASE … SET name = value` (values as PostgreSQL stores them).
    pub settings: BTreeMap<String, String>,
    pub comment: Option<String>,
}

impl Database {
    pub fn new(name: impl Into<String>) -> Self {
        Database {
            name: name.into(),
            connection_limit: -1,
            allow_connections: true,
            ..Default::default()
        }
    }
}

/// A schema of one database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Schema {
    pub database: String,
    pub name: String,
    /// `None` in the desired state: the connected role.
    pub owner: Option<String>,
    pub comment: Option<String>,
}
