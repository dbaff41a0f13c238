//! Descriptions of the pgbouncer block. Its settings and database options
//! are described from PgBouncer's parameter table (`pgbouncer::params`),
//! the same one the decoder checks against, so the two cannot disagree.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::{Map, Value};

use super::Labelled;
use crate::pgbouncer::params::{self, Kind, Param};
use crate::schema::expressions::{allow_expressions, one_of};

/// A PgBouncer whose pgbouncer.ini and auth file (userlist.txt) pgfort
/// writes. Only in the root configuration.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct PgBouncer {
    /// The directory of pgbouncer.ini and userlist.txt, relative to the
    /// configuration directory unless absolute.
    pub config_dir: String,
    /// The admin console's URL, e.g.
    /// postgres://pgbouncer_admin@127.0.0.1:6432/pgbouncer; sensitive.
    pub admin_url: Option<String>,
    /// file: clients are the listed users; query: others are looked up
    /// on the server as auth_user. Default file.
    #[schemars(with = "Option<AuthMode>")]
    pub auth: Option<String>,
    /// With auth = "query": the login role PgBouncer looks passwords up
    /// as (its verifier goes into the auth file).
    pub auth_user: Option<String>,
    /// Declared login roles with a password whose SCRAM verifiers go
    /// into the auth file (required with auth = "file").
    pub users: Option<Vec<String>>,
    /// The [pgbouncer] section's parameters; auth_type defaults to
    /// scram-sha-256. auth_file, auth_user and auth_query are pgfort's.
    pub settings: Option<Settings>,
    /// [databases] entries, by the name clients connect to.
    #[serde(default)]
    pub database: Labelled<Database>,
    /// TLS with a certificate pgfort issues from a certificate_authority
    /// into config_dir (pgbouncer.crt, pgbouncer.key mode 0600, root.crt);
    /// sets client_tls_* and, with server_sslmode, server_tls_sslmode and
    /// server_tls_ca_file.
    pub tls: Option<Tls>,
}

/// PgBouncer's certificate and TLS modes.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "PgBouncerTls", transform = allow_expressions)]
pub struct Tls {
    /// The certificate_authority that signs it; clients verify PgBouncer
    /// against it.
    pub ca: String,
    /// The names clients connect with (dns_names and/or ip_addresses are
    /// needed).
    pub dns_names: Option<Vec<String>>,
    /// The addresses clients connect to.
    pub ip_addresses: Option<Vec<String>>,
    /// Default: the first DNS name, else the first address.
    pub common_name: Option<String>,
    /// Default: "365d".
    pub validity: Option<String>,
    /// Renewed when it expires within this; default "30d".
    pub renew_before: Option<String>,
    /// Default: ecdsa-p256.
    #[schemars(with = "Option<crate::schema::expressions::names::KeyType>")]
    pub key_type: Option<String>,
    /// client_tls_sslmode: allow, prefer or require; default require.
    #[schemars(with = "Option<ClientSslMode>")]
    pub client_sslmode: Option<String>,
    /// server_tls_sslmode (with server_tls_ca_file = the authority):
    /// allow, prefer, require, verify-ca or verify-full; unset leaves both
    /// to settings.
    #[schemars(with = "Option<ServerSslMode>")]
    pub server_sslmode: Option<String>,
}

/// allow, prefer or require.
#[derive(Debug, Clone)]
pub struct ClientSslMode;

impl JsonSchema for ClientSslMode {
    fn schema_name() -> Cow<'static, str> {
        "PgBouncerClientSslMode".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        one_of(crate::pgbouncer::TLS_CLIENT_SSLMODES)
    }
}

/// allow, prefer, require, verify-ca or verify-full.
#[derive(Debug, Clone)]
pub struct ServerSslMode;

impl JsonSchema for ServerSslMode {
    fn schema_name() -> Cow<'static, str> {
        "PgBouncerServerSslMode".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        one_of(crate::pgbouncer::TLS_SERVER_SSLMODES)
    }
}

/// file or query.
#[derive(Debug, Clone)]
pub struct AuthMode;

impl JsonSchema for AuthMode {
    fn schema_name() -> Cow<'static, str> {
        "PgBouncerAuth".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        one_of(crate::model::PgBouncerAuth::NAMES)
    }
}

/// The schema of one parameter's value.
fn kind_schema(kind: Kind) -> Value {
    match kind {
        Kind::Bool => serde_json::json!({
            "type": ["boolean", "integer"], "minimum": 0, "maximum": 1
        }),
        Kind::Integer { min, max } => serde_json::json!({
            "type": "integer", "minimum": min, "maximum": max
        }),
        Kind::Seconds => serde_json::json!({
            "type": "number", "minimum": 0, "maximum": i32::MAX,
            "description": "Seconds."
        }),
        Kind::Enum(names) => serde_json::json!({ "type": "string", "enum": names }),
        Kind::Text | Kind::Path => serde_json::json!({ "type": "string" }),
        Kind::List => serde_json::json!({
            "anyOf": [
                { "type": "string" },
                { "type": "array", "items": { "type": "string" } }
            ]
        }),
        Kind::Octal => serde_json::json!({ "type": "string", "pattern": "^0[0-7]{1,4}$" }),
    }
}

/// An object with one property per parameter, and no others.
fn table_schema(table: &[Param], extra: &[(&str, Value)], description: &str) -> Schema {
    let mut properties = Map::new();
    for param in table {
        properties.insert(param.name.to_owned(), kind_schema(param.kind));
    }
    for (name, schema) in extra {
        properties.insert((*name).to_owned(), schema.clone());
    }
    let mut schema = json_schema!({
        "type": "object",
        "description": description,
        "properties": properties,
        "additionalProperties": false
    });
    allow_expressions(&mut schema);
    schema
}

/// The [pgbouncer] section's parameters.
#[derive(Debug, Clone)]
pub struct Settings;

impl JsonSchema for Settings {
    fn schema_name() -> Cow<'static, str> {
        "PgBouncerSettings".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        table_schema(
            params::PARAMS,
            &[],
            "PgBouncer parameters (1.18 to 1.24): bools as true/false, times in seconds, \
             lists as lists or comma-separated strings.",
        )
    }
}

/// One [databases] entry.
#[derive(Debug, Clone)]
pub struct Database;

impl JsonSchema for Database {
    fn schema_name() -> Cow<'static, str> {
        "PgBouncerDatabase".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let dbname = serde_json::json!({
            "type": "string",
            "description": "The database on the server; default: the label."
        });
        table_schema(
            params::DATABASE_OPTIONS,
            &[("dbname", dbname)],
            "Where PgBouncer connects for this entry. No password: the auth file holds \
             verifiers instead.",
        )
    }
}
