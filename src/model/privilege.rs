//! Privileges: what the config declares (grants, possibly "all tables"),
//! and the exploded facts both sides are compared in.

use serde::Serialize;

/// The grantee `PUBLIC` (every role).
pub const PUBLIC: &str = "PUBLIC";

/// Kinds of objects privileges are granted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Database,
    Schema,
    /// Tables, views, materialized views, foreign and partitioned tables.
    Table,
    Sequence,
    /// Functions and procedures.
    Function,
    Type,
    Column,
}

impl ObjectKind {
    /// The privileges PostgreSQL accepts on this kind, in its canonical
    /// order. `MAINTAIN` exists for tables from PostgreSQL 17.
    pub fn privileges(self, version_num: u32) -> &'static [&'static str] {
        match self {
            ObjectKind::Database => &["CREATE", "CONNECT", "TEMPORARY"],
            ObjectKind::Schema => &["USAGE", "CREATE"],
            ObjectKind::Table if version_num >= 170000 => &[
                "SELECT",
                "INSERT",
                "UPDATE",
                "DELETE",
                "TRUNCATE",
                "REFERENCES",
                "TRIGGER",
                "MAINTAIN",
            ],
            ObjectKind::Table => &[
                "SELECT",
                "INSERT",
                "UPDATE",
                "DELETE",
                "TRUNCATE",
                "REFERENCES",
                "TRIGGER",
            ],
            ObjectKind::Sequence => &["USAGE", "SELECT", "UPDATE"],
            ObjectKind::Function => &["EXECUTE"],
            ObjectKind::Type => &["USAGE"],
            ObjectKind::Column => &["SELECT", "INSERT", "UPDATE", "REFERENCES"],
        }
    }

    /// The SQL keyword naming the kind in GRANT (`ON TABLE …`).
    pub fn sql_keyword(self) -> &'static str {
        match self {
            ObjectKind::Database => "DATABASE",
            ObjectKind::Schema => "SCHEMA",
            ObjectKind::Table | ObjectKind::Column => "TABLE",
            ObjectKind::Sequence => "SEQUENCE",
            ObjectKind::Function => "ROUTINE",
            ObjectKind::Type => "TYPE",
        }
    }

    /// Plural noun for plans ("tables").
    pub fn plural(self) -> &'static str {
        match self {
            ObjectKind::Database => "databases",
            ObjectKind::Schema => "schemas",
            ObjectKind::Table => "tables",
            ObjectKind::Sequence => "sequences",
            ObjectKind::Function => "functions",
            ObjectKind::Type => "types",
            ObjectKind::Column => "columns",
        }
    }
}

/// One object privileges apply to. `name` is the object's name within its
/// schema; functions carry their identity arguments as PostgreSQL prints
/// them (`f(integer, text)`); for columns `name` is the table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectRef {
    pub kind: ObjectKind,
    /// The database the object lives in (for a database: its own name).
    pub database: String,
    /// `None` for databases and schemas (a schema's name is in `name`).
    pub schema: Option<String>,
    pub name: String,
    /// The column, for [`ObjectKind::Column`] only.
    pub column: Option<String>,
}

/// One exploded privilege: grantee holds `privilege` on `object`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Privilege {
    pub object: ObjectRef,
    /// A role name or [`PUBLIC`].
    pub grantee: String,
    /// Upper case, e.g. `SELECT`.
    pub privilege: String,
    pub grantable: bool,
}

/// Object kinds default privileges exist for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultKind {
    Tables,
    Sequences,
    Functions,
    Types,
}

impl DefaultKind {
    pub fn object_kind(self) -> ObjectKind {
        match self {
            DefaultKind::Tables => ObjectKind::Table,
            DefaultKind::Sequences => ObjectKind::Sequence,
            DefaultKind::Functions => ObjectKind::Function,
            DefaultKind::Types => ObjectKind::Type,
        }
    }

    /// The SQL word in ALTER DEFAULT PRIVILEGES (`ON TABLES`).
    pub fn sql_keyword(self) -> &'static str {
        match self {
            DefaultKind::Tables => "TABLES",
            DefaultKind::Sequences => "SEQUENCES",
            DefaultKind::Functions => "FUNCTIONS",
            DefaultKind::Types => "TYPES",
        }
    }
}

/// One exploded default privilege: objects of `kind` that `owner` creates
/// (in `schema`, or anywhere when `None`) in `database` give `grantee`
/// `privilege`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct DefaultPrivilege {
    pub database: String,
    pub owner: String,
    pub schema: Option<String>,
    pub kind: DefaultKind,
    pub grantee: String,
    pub privilege: String,
    pub grantable: bool,
}

/// What a `grant` block targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "target", rename_all = "snake_case")]
pub enum GrantTarget {
    /// The database itself (CONNECT, CREATE, TEMPORARY).
    Database { database: String },
    /// Schemas (USAGE, CREATE).
    Schemas {
        database: String,
        schemas: Vec<String>,
    },
    /// Named objects of one kind in one schema (functions with identity
    /// arguments, normalised as PostgreSQL prints them).
    Objects {
        database: String,
        schema: String,
        kind: ObjectKind,
        names: Vec<String>,
    },
    /// Columns of one table.
    Columns {
        database: String,
        schema: String,
        table: String,
        columns: Vec<String>,
    },
    /// Every current object of a kind in the schemas, and future ones
    /// (default privileges for `owners`).
    All {
        database: String,
        schemas: Vec<String>,
        kind: DefaultKind,
        owners: Vec<String>,
    },
}

impl GrantTarget {
    pub fn database(&self) -> &str {
        match self {
            GrantTarget::Database { database }
            | GrantTarget::Schemas { database, .. }
            | GrantTarget::Objects { database, .. }
            | GrantTarget::Columns { database, .. }
            | GrantTarget::All { database, .. } => database,
        }
    }

    /// The kind of object the privileges apply to.
    pub fn object_kind(&self) -> ObjectKind {
        match self {
            GrantTarget::Database { .. } => ObjectKind::Database,
            GrantTarget::Schemas { .. } => ObjectKind::Schema,
            GrantTarget::Objects { kind, .. } => *kind,
            GrantTarget::Columns { .. } => ObjectKind::Column,
            GrantTarget::All { kind, .. } => kind.object_kind(),
        }
    }
}

/// A declared `grant` block (`ALL` is expanded by the diff, per server version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// Role names or [`PUBLIC`].
    pub to: Vec<String>,
    /// Upper case; `ALL` is kept as `ALL` and expanded against the server
    /// version by the diff.
    pub privileges: Vec<String>,
    pub on: GrantTarget,
    pub with_grant_option: bool,
}
