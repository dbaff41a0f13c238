//! The configuration schema, for editors: typed descriptions of every
//! top-level block, in the shape HCL's JSON form gives a file (the shape
//! hcl2json prints and Terraform-like editors read): block type, then one
//! object level per label, then the block's body; repeated blocks without
//! labels are a list of bodies.
//!
//! The configuration itself is decoded by hand (see `config/blocks/`), so
//! these types are descriptions only: nothing is deserialized into them.
//! Their doc comments are the schema's descriptions. A test loads real
//! configurations through the decoders to check that both accept the
//! same blocks and attributes.

mod access;
mod language;
mod pgbouncer;
mod server;
mod tls;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;

use super::expressions::{EXPRESSION, expression_definition};

pub use access::{Database, Extension, Grant, GrantOn, Membership, Policy, Role, Schema, Table};
pub use language::{Locals, Module, Output, Variable};
pub use pgbouncer::PgBouncer;
pub use server::{
    Connection, Environment, EnvironmentServer, Hba, HbaCheck, HbaRule, Manage, Patroni, Settings,
    Tune,
};
pub use tls::{CertificateAuthority, ClientCertificate, ServerCertificate};

/// Blocks with labels: one object level per label, then the body.
pub type Labelled<T> = BTreeMap<String, T>;

// A block that may be repeated: one body, or a list of bodies. (No doc
// comment: it would repeat as the description of every such block.)
#[derive(Debug, Clone, JsonSchema)]
#[serde(untagged)]
#[schemars(inline)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

/// One configuration file (`*.hcl`) in HCL's JSON form. Every block type
/// is optional; a directory's files together make the configuration.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ConfigFile {
    /// Certificate authorities, by name: the CA that signs the server's
    /// and clients' certificates, generated when its files do not exist.
    pub certificate_authority: Labelled<CertificateAuthority>,
    /// Client certificates, by the role they authenticate (its common
    /// name), for `cert` authentication.
    pub client_certificate: Labelled<ClientCertificate>,
    /// Where to connect when flags and libpq environment variables do not
    /// say otherwise. Only in the root configuration.
    pub connection: Connection,
    /// Databases, by name.
    pub database: Labelled<Database>,
    /// Named sets of servers (`--env NAME`), each with variable values.
    /// Only in the root configuration.
    pub environment: Labelled<Environment>,
    /// Extensions, by name: each in one database, or a preloaded library.
    pub extension: Labelled<Extension>,
    /// Privileges for roles (or PUBLIC) on a database, schemas, objects,
    /// columns or all objects of a kind. Authoritative for managed roles.
    pub grant: OneOrMany<Grant>,
    /// pg_hba.conf, authoritatively: the file becomes exactly these rules.
    pub hba: Hba,
    /// Named values, read as `local.NAME`.
    pub locals: OneOrMany<Locals>,
    /// What pgfort may change beyond the declared objects.
    pub manage: Manage,
    /// Module calls, by name: a directory of *.hcl files with inputs.
    pub module: Labelled<Module>,
    /// Values a module hands back to its caller (`module.NAME.OUTPUT`).
    pub output: Labelled<Output>,
    /// The Patroni cluster the server belongs to. Only in the root
    /// configuration.
    pub patroni: Patroni,
    /// PgBouncer instances whose configuration pgfort writes, by name.
    /// Only in the root configuration.
    pub pgbouncer: Labelled<PgBouncer>,
    /// Row-level security policies, by name.
    pub policy: Labelled<Policy>,
    /// Roles, by name. Declared roles are managed.
    pub role: Labelled<Role>,
    /// Schemas, by name, each in one database.
    pub schema: Labelled<Schema>,
    /// The server's certificate, signed by a declared authority, installed
    /// and renewed by pgfort.
    pub server_certificate: ServerCertificate,
    /// Server settings, written with ALTER SYSTEM (under Patroni, into its
    /// dynamic configuration).
    pub settings: Settings,
    /// Existing tables whose row-level security pgfort manages, by name.
    pub table: Labelled<Table>,
    /// Settings computed from the machine and the workload (pgtune's
    /// formulas); explicit settings win.
    pub tune: Tune,
    /// Input variables, by name, read as `var.NAME`.
    pub variable: Labelled<Variable>,
}

/// The configuration schema, as generated (without its `$id` and title).
pub fn schema() -> schemars::Schema {
    let mut schema = SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator()
        .into_root_schema_for::<ConfigFile>();
    let root = schema.ensure_object();
    let definitions = root
        .entry("$defs")
        .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
    if let Some(definitions) = definitions.as_object_mut() {
        definitions.insert(EXPRESSION.to_owned(), expression_definition());
    }
    schema
}

/// A value a setting may take: text (with units, e.g. "4GB", "30s"), a
/// number, a bool, or a list of names (e.g. shared_preload_libraries).
#[derive(Debug, Clone, JsonSchema)]
#[serde(untagged)]
pub enum SettingValue {
    Text(String),
    Number(f64),
    Bool(bool),
    List(Vec<String>),
}

/// A map of settings: `name = value`, where an extension's settings are a
/// map of their own (`pg_stat_statements = { track = "all" }` is
/// `pg_stat_statements.track`).
pub type SettingsMap = BTreeMap<String, SettingEntry>;

/// One entry of a settings map.
#[derive(Debug, Clone, JsonSchema)]
#[serde(untagged)]
pub enum SettingEntry {
    Value(SettingValue),
    /// An extension's settings, by name without the extension's prefix.
    Extension(BTreeMap<String, SettingValue>),
}
