//! Descriptions of the blocks that declare objects and who may use them:
//! role, database, schema, grant, table, policy and extension.

use schemars::JsonSchema;

use super::SettingsMap;
use crate::schema::expressions::{allow_expressions, names};

/// A role. Undeclared attributes keep PostgreSQL's defaults (NOLOGIN).
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct Role {
    /// The role's name, when it is not the label (so that a module can
    /// name it after its inputs).
    pub name: Option<String>,
    /// May log in.
    pub login: Option<bool>,
    pub superuser: Option<bool>,
    pub createdb: Option<bool>,
    pub createrole: Option<bool>,
    /// Uses the privileges of the roles it is a member of without SET ROLE.
    pub inherit: Option<bool>,
    pub replication: Option<bool>,
    /// Bypasses every row-level security policy.
    pub bypassrls: Option<bool>,
    /// Concurrent connections allowed; -1 for no limit.
    #[schemars(range(min = -1, max = 2_147_483_647))]
    pub connection_limit: Option<i64>,
    /// When the password stops working: YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS]
    /// (with an optional Z or ±HH[:MM] offset, default UTC), or infinity.
    pub valid_until: Option<String>,
    /// The password, hashed on the client (SCRAM-SHA-256); never sent,
    /// logged or shown in clear. Usually `${var.NAME}` of a sensitive
    /// variable.
    pub password: Option<String>,
    /// Leaves the role's password alone (set outside pgfort); excludes
    /// password.
    pub keep_password: Option<bool>,
    /// Roles this role is a member of: names, or objects with membership
    /// options.
    pub member_of: Option<Vec<MemberOf>>,
    /// Settings for the role's sessions (ALTER ROLE … SET).
    pub settings: Option<SettingsMap>,
    /// Settings for the role's sessions in one database, by database.
    pub database_settings: Option<std::collections::BTreeMap<String, SettingsMap>>,
    pub comment: Option<String>,
    /// Guards against destroying the object (a plan that would fails).
    pub lifecycle: Option<Lifecycle>,
}

/// An entry of `member_of`.
#[derive(Debug, Clone, JsonSchema)]
#[serde(untagged)]
pub enum MemberOf {
    /// The group role's name.
    Name(String),
    Membership(Membership),
}

/// A membership with options (PostgreSQL 16 and newer for inherit and set).
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct Membership {
    /// The group role.
    pub role: String,
    /// May grant the membership to others.
    pub admin: Option<bool>,
    /// Uses the group's privileges without SET ROLE.
    pub inherit: Option<bool>,
    /// May SET ROLE to the group.
    pub set: Option<bool>,
}

/// A database. Undeclared options keep the server's choice.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct Database {
    /// The database's name, when it is not the label.
    pub name: Option<String>,
    /// The owning role.
    pub owner: Option<String>,
    /// e.g. UTF8; fixed once the database exists.
    pub encoding: Option<String>,
    /// e.g. C.UTF-8; fixed once the database exists.
    pub locale: Option<String>,
    /// The database it is created from.
    pub template: Option<String>,
    /// Concurrent connections allowed; -1 for no limit.
    #[schemars(range(min = -1, max = 2_147_483_647))]
    pub connection_limit: Option<i64>,
    pub allow_connections: Option<bool>,
    pub is_template: Option<bool>,
    /// Settings for sessions in this database (ALTER DATABASE … SET).
    pub settings: Option<SettingsMap>,
    /// COMMENT ON DATABASE; left as it is when not written, removed by "".
    pub comment: Option<String>,
    /// Guards against destroying the object (a plan that would fails).
    pub lifecycle: Option<Lifecycle>,
}

/// A schema of one database. The same name may be declared in several
/// databases.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct Schema {
    /// The schema's name, when it is not the label.
    pub name: Option<String>,
    /// The database it is in.
    pub database: String,
    /// The owning role.
    pub owner: Option<String>,
    pub comment: Option<String>,
    /// Guards against destroying the object (a plan that would fails).
    pub lifecycle: Option<Lifecycle>,
}

/// Privileges for roles on one target. For every managed role the
/// declared grants are complete: other privileges are revoked.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct Grant {
    /// The grantees: role names, or PUBLIC.
    pub to: Vec<String>,
    /// e.g. CONNECT, USAGE, SELECT, INSERT, or ALL; which are valid
    /// depends on the target.
    pub privileges: Vec<String>,
    pub on: GrantOn,
    /// The grantees may grant the privileges on (not with PUBLIC).
    pub with_grant_option: Option<bool>,
    /// With `all`: the roles whose future objects the grant covers
    /// (default privileges); default: the owners of the existing objects.
    pub owners: Option<Vec<String>>,
}

/// What a grant applies to: `{ database }`, `{ database, schema or
/// schemas }`, `{ database, schema, tables|views|sequences|functions|
/// procedures|types = [...] }`, `{ database, schema, table, columns =
/// [...] }` or `{ database, schema or schemas, all = "tables" }`.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct GrantOn {
    pub database: String,
    pub schema: Option<String>,
    pub schemas: Option<Vec<String>>,
    pub tables: Option<Vec<String>>,
    pub views: Option<Vec<String>>,
    pub sequences: Option<Vec<String>>,
    /// Signatures with argument types, e.g. `"add(integer, integer)"`.
    pub functions: Option<Vec<String>>,
    /// Signatures with argument types, e.g. `"refresh()"`.
    pub procedures: Option<Vec<String>>,
    pub types: Option<Vec<String>>,
    /// With `columns`: the table whose columns the privileges are on.
    pub table: Option<String>,
    pub columns: Option<Vec<String>>,
    /// Every existing object of a kind in the schemas, and future ones
    /// (default privileges).
    #[schemars(extend("enum" = ["tables", "sequences", "functions", "types", null]))]
    pub all: Option<String>,
}

/// An existing table whose row-level security pgfort manages; pgfort does
/// not create tables.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct Table {
    /// The table's name, when it is not the label.
    pub name: Option<String>,
    pub database: String,
    /// Default: public.
    pub schema: Option<String>,
    /// true, false, or "force" (the policies apply to the owner too).
    pub row_level_security: Option<RowLevelSecurity>,
    pub owner: Option<String>,
    pub comment: Option<String>,
    /// Guards against destroying the object (a plan that would fails).
    pub lifecycle: Option<Lifecycle>,
}

/// Row-level security of a table.
#[derive(Debug, Clone, JsonSchema)]
#[serde(untagged)]
pub enum RowLevelSecurity {
    Enabled(bool),
    #[schemars(extend("enum" = ["force"]))]
    Forced(String),
}

/// A row-level security policy on a declared table. The policies of a
/// declared table are authoritative: undeclared ones are dropped.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct Policy {
    /// The policy's name, when it is not the label.
    pub name: Option<String>,
    pub database: String,
    /// `"schema.table"`, or `"table"` in schema public.
    pub table: String,
    /// The command it applies to; default ALL.
    #[schemars(with = "Option<names::PolicyCommand>")]
    pub command: Option<String>,
    /// permissive (default; OR-ed together) or restrictive (must all pass).
    #[serde(rename = "as")]
    #[schemars(with = "Option<names::PolicyKind>")]
    pub as_: Option<String>,
    /// The roles it applies to; default PUBLIC.
    pub to: Option<Vec<String>>,
    /// The SQL condition existing rows must meet.
    pub using: Option<String>,
    /// The SQL condition new rows must meet.
    pub with_check: Option<String>,
    pub comment: Option<String>,
    /// Guards against destroying the object (a plan that would fails).
    pub lifecycle: Option<Lifecycle>,
}

/// An extension in one database; a library that is only preloaded (no
/// CREATE EXTENSION, e.g. auto_explain) is declared without attributes.
/// Extensions that need preloading are added to shared_preload_libraries.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct Extension {
    /// The extension's name, when it is not the label.
    pub name: Option<String>,
    /// The database it is created in (required unless preload-only).
    pub database: Option<String>,
    /// The schema its objects go into.
    pub schema: Option<String>,
    /// Default: the server's default version.
    pub version: Option<String>,
    /// Also creates the extensions it needs.
    pub cascade: Option<bool>,
    /// Guards against destroying the object (a plan that would fails).
    pub lifecycle: Option<Lifecycle>,
}

/// `lifecycle { prevent_destroy = true }`: a plan that would destroy or
/// replace the object fails before anything changes.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct Lifecycle {
    pub prevent_destroy: Option<bool>,
}
