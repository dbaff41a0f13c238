//! Tables whose row-level security pgfort manages, and their policies.
//! pgfort never creates tables: a declared table must already exist.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize, Serializer};

/// A table's row-level security switch (`relrowsecurity`,
/// `relforcerowsecurity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowLevelSecurity {
    /// Policies are ignored (`DISABLE ROW LEVEL SECURITY`).
    Disabled,
    /// Policies apply to everyone but the owner, superusers and BYPASSRLS roles.
    Enabled,
    /// Policies apply to the owner too (`FORCE ROW LEVEL SECURITY`).
    Forced,
}

impl RowLevelSecurity {
    pub fn from_flags(enabled: bool, forced: bool) -> Self {
        match (enabled, forced) {
            (false, _) => RowLevelSecurity::Disabled,
            (true, false) => RowLevelSecurity::Enabled,
            (true, true) => RowLevelSecurity::Forced,
        }
    }

    /// How the configuration spells it.
    pub fn as_config(self) -> &'static str {
        match self {
            RowLevelSecurity::Disabled => "false",
            RowLevelSecurity::Enabled => "true",
            RowLevelSecurity::Forced => "\"force\"",
        }
    }
}

/// A table's schema and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TableName {
    pub schema: String,
    pub name: String,
}

impl std::fmt::Display for TableName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

/// One table of one database. Desired: `None` attributes are left as they
/// are. Live: every attribute as found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    pub database: String,
    pub table: TableName,
    pub row_level_security: Option<RowLevelSecurity>,
    pub owner: Option<String>,
    /// Desired: only managed when declared (migrations often set comments).
    pub comment: Option<String>,
    /// Desired only: where the table is declared (`file:line:column`), for
    /// errors found once the server is known.
    pub origin: Option<String>,
}

/// The command a policy applies to (`pg_policy.polcmd`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyCommand {
    All,
    Select,
    Insert,
    Update,
    Delete,
}

impl PolicyCommand {
    pub const NAMES: &'static [&'static str] = &["ALL", "SELECT", "INSERT", "UPDATE", "DELETE"];

    /// Parses the SQL keyword (any case).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_uppercase().as_str() {
            "ALL" => Some(PolicyCommand::All),
            "SELECT" => Some(PolicyCommand::Select),
            "INSERT" => Some(PolicyCommand::Insert),
            "UPDATE" => Some(PolicyCommand::Update),
            "DELETE" => Some(PolicyCommand::Delete),
            _ => None,
        }
    }

    /// `pg_policy.polcmd`: `*`, `r`, `a`, `w`, `d`.
    pub fn from_polcmd(code: &str) -> Option<Self> {
        match code {
            "*" => Some(PolicyCommand::All),
            "r" => Some(PolicyCommand::Select),
            "a" => Some(PolicyCommand::Insert),
            "w" => Some(PolicyCommand::Update),
            "d" => Some(PolicyCommand::Delete),
            _ => None,
        }
    }

    pub fn sql_keyword(self) -> &'static str {
        match self {
            PolicyCommand::All => "ALL",
            PolicyCommand::Select => "SELECT",
            PolicyCommand::Insert => "INSERT",
            PolicyCommand::Update => "UPDATE",
            PolicyCommand::Delete => "DELETE",
        }
    }

    /// PostgreSQL refuses USING on INSERT policies.
    pub fn allows_using(self) -> bool {
        self != PolicyCommand::Insert
    }

    /// PostgreSQL refuses WITH CHECK on SELECT and DELETE policies.
    pub fn allows_with_check(self) -> bool {
        !matches!(self, PolicyCommand::Select | PolicyCommand::Delete)
    }
}

/// A policy expression. `sql` is the text to send; `canonical` is the
/// server's own rendering of it (`pg_get_expr`), which is what two
/// expressions are compared by, whatever spelling the user chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expression {
    /// Desired: as written in the configuration. Live: `pg_get_expr`.
    pub sql: String,
    /// Desired: filled in by inspection before the diff (`None` until then,
    /// or when the table does not exist). Live: equal to `sql`.
    pub canonical: Option<String>,
}

impl Expression {
    /// A desired expression, not yet canonicalised.
    pub fn written(sql: impl Into<String>) -> Self {
        Expression {
            sql: sql.into(),
            canonical: None,
        }
    }

    /// A live expression, as the server prints it.
    pub fn live(sql: impl Into<String>) -> Self {
        let sql = sql.into();
        Expression {
            canonical: Some(sql.clone()),
            sql,
        }
    }

    /// The text two expressions are compared by.
    pub fn comparable(&self) -> &str {
        self.canonical.as_deref().unwrap_or(&self.sql)
    }
}

/// One row-level security policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub database: String,
    pub table: TableName,
    pub name: String,
    pub command: PolicyCommand,
    /// `AS PERMISSIVE` (true) or `AS RESTRICTIVE`.
    pub permissive: bool,
    /// Role names, or [`super::PUBLIC`].
    pub roles: BTreeSet<String>,
    pub using: Option<Expression>,
    pub with_check: Option<Expression>,
    pub comment: Option<String>,
    /// Desired only: where the policy is declared (`file:line:column`).
    pub origin: Option<String>,
}

/// Policies of one database by (table, policy name).
pub type PolicyKey = (TableName, String);

/// Serializes a map's values as a list: JSON maps need string keys, and
/// the values carry their own keys.
pub(crate) fn values_only<K, V: Serialize, S: Serializer>(
    map: &BTreeMap<K, V>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(map.values())
}
