//! Descriptions of the blocks about the server itself: connection,
//! manage, settings, tune and hba.

use std::collections::BTreeMap;

use schemars::JsonSchema;

use super::{OneOrMany, SettingsMap};
use crate::schema::expressions::{allow_expressions, names};

/// Where to connect. Every attribute is optional: flags and libpq
/// environment variables (PGHOST, …) take precedence.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct Connection {
    /// A host name, an address, or a Unix-socket directory.
    pub host: Option<String>,
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<i64>,
    pub user: Option<String>,
    /// Better given as `${var.NAME}` of a sensitive variable, or through
    /// PGPASSWORD or ~/.pgpass.
    pub password: Option<String>,
    pub dbname: Option<String>,
    #[schemars(extend("enum" = [
        "disable", "allow", "prefer", "require", "verify-ca", "verify-full", null
    ]))]
    pub sslmode: Option<String>,
    /// The CA certificate to check the server's against, relative to the
    /// configuration directory.
    pub sslrootcert: Option<String>,
    /// A client certificate, relative to the configuration directory.
    pub sslcert: Option<String>,
    /// The client certificate's key, relative to the configuration
    /// directory.
    pub sslkey: Option<String>,
}

/// The Patroni cluster the server belongs to: settings and pg_hba rules
/// go into its dynamic configuration (PATCH /config), catalog work to the
/// leader its REST API names. Only in the root configuration.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct Patroni {
    /// The base URL of a member's REST API (`http://10.0.0.1:8008`), or a
    /// list of them, tried in order.
    pub url: OneOrMany<String>,
    /// Basic authentication (Patroni's restapi.authentication).
    pub username: Option<String>,
    /// Sensitive: better `${var.NAME}` of a sensitive variable.
    pub password: Option<String>,
    /// The authority an https API's certificate must chain to (PEM),
    /// relative to the configuration directory.
    pub cacert: Option<String>,
    /// A client certificate for an API that verifies clients, and its key.
    pub cert: Option<String>,
    pub key: Option<String>,
}

/// Servers one configuration is applied to, selected with `--env NAME`.
/// Only in the root configuration; its expressions may not refer to
/// variables or locals (they set variables).
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct Environment {
    /// Values for the root configuration's variables on every server of
    /// the environment (below -var and -var-file, above variables files).
    pub variables: Option<BTreeMap<String, serde_json::Value>>,
    /// The servers, each a name and where to connect.
    pub servers: Vec<EnvironmentServer>,
}

/// One server of an environment. What it leaves out comes from the libpq
/// environment (never PGHOST, PGPORT, PGHOSTADDR or PGDATABASE) and then
/// the `connection` block.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct EnvironmentServer {
    /// Unique in the environment: letters, digits, _, - and .
    pub name: String,
    pub host: Option<String>,
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<i64>,
    pub user: Option<String>,
    /// Better given with env("NAME"), or through PGPASSWORD or ~/.pgpass.
    pub password: Option<String>,
    pub dbname: Option<String>,
    #[schemars(extend("enum" = [
        "disable", "allow", "prefer", "require", "verify-ca", "verify-full", null
    ]))]
    pub sslmode: Option<String>,
    pub sslrootcert: Option<String>,
    pub sslcert: Option<String>,
    pub sslkey: Option<String>,
    /// Values for variables on this server only (above the environment's).
    pub variables: Option<BTreeMap<String, serde_json::Value>>,
}

/// What pgfort may change beyond the declared objects. The root and each
/// module may have one; each attribute is set at most once in all.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct Manage {
    /// Drops live roles that are not declared (reserved roles never).
    pub prune_roles: Option<bool>,
    /// Glob patterns of roles prune_roles leaves alone.
    pub ignore_roles: Option<Vec<String>>,
    /// Glob patterns of databases pgfort does not inspect or change.
    pub ignore_databases: Option<Vec<String>>,
    /// The role that receives the objects of dropped roles.
    pub reassign_owned_to: Option<String>,
    /// Drops live databases that are not declared.
    pub prune_databases: Option<bool>,
    /// Manages PUBLIC's privileges on managed databases and schemas
    /// (hardening: no CREATE on schema public, no TEMP or CONNECT).
    pub public_privileges: Option<bool>,
    /// declared: only declared settings are managed; authoritative: other
    /// entries of postgresql.auto.conf are reset.
    #[schemars(extend("enum" = ["declared", "authoritative", null]))]
    pub settings: Option<String>,
    /// Drops extensions that are not declared, in managed databases.
    pub prune_extensions: Option<bool>,
    /// Address patterns (`role.app_*`, `database.*`) no plan may destroy
    /// or replace: what protects undeclared objects from pruning.
    pub prevent_destroy: Option<Vec<String>>,
}

/// Server settings (`name = value`), written with ALTER SYSTEM. Names and
/// values are checked against the server at plan time; units may be
/// written as PostgreSQL accepts them (`"4GB"`, `"30s"`). The root and
/// each module may have one; a setting is set once in all.
pub type Settings = SettingsMap;

/// pgtune-style settings computed for the server's version at plan time.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct Tune {
    /// The RAM PostgreSQL may use, e.g. "16GB".
    pub memory: String,
    /// CPU cores.
    #[schemars(range(min = 1, max = 4096))]
    pub cpus: Option<i64>,
    /// Expected max_connections.
    #[schemars(range(min = 1, max = 262_143))]
    pub connections: Option<i64>,
    /// The kind of storage; default ssd.
    #[schemars(with = "Option<names::Storage>")]
    pub storage: Option<String>,
    /// The kind of workload; default mixed.
    #[schemars(with = "Option<names::Workload>")]
    pub workload: Option<String>,
}

/// pg_hba.conf, authoritatively and in order, with checks of who the new
/// file admits. Only one in the whole configuration.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hba {
    /// The rules, in file order (at least one).
    pub rule: OneOrMany<HbaRule>,
    /// Connections whose outcome under the new rules is checked before
    /// the file is written.
    #[serde(default)]
    pub check: OneOrMany<HbaCheck>,
}

/// One line of pg_hba.conf.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct HbaRule {
    /// The connection type.
    #[serde(rename = "type")]
    #[schemars(with = "names::ConnType")]
    pub conn_type: String,
    /// Database names, or all, sameuser, samerole, replication; default
    /// all.
    pub database: Option<Words>,
    /// Role names (+group for members), or all; default all.
    pub user: Option<Words>,
    /// CIDR address, host name, all, samehost or samenet (not on local
    /// rules; required on the others).
    pub address: Option<String>,
    /// A netmask, with an address written without a prefix length.
    pub netmask: Option<String>,
    /// The authentication method (cert only on hostssl, peer only on
    /// local).
    #[schemars(with = "names::HbaMethod")]
    pub method: String,
    /// Options of the method, e.g. `{ clientcert = "verify-full" }`.
    pub options: Option<BTreeMap<String, String>>,
    /// A comment written above the rule.
    pub comment: Option<String>,
}

/// One name, or a list of names.
#[derive(Debug, Clone, JsonSchema)]
#[serde(untagged)]
pub enum Words {
    One(String),
    Many(Vec<String>),
}

/// A connection the rules must treat as expected: which method the new
/// file would apply to it.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct HbaCheck {
    /// The role connecting.
    pub user: String,
    /// Default: the user's name.
    pub database: Option<String>,
    /// The client's IP address; left out for a Unix-socket connection.
    pub address: Option<String>,
    /// Over SSL.
    pub ssl: Option<bool>,
    /// The method the rules must pick (reject: refused).
    #[schemars(with = "names::HbaMethod")]
    pub expect: String,
}
