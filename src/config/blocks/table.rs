//! `table "name" { database, schema, row_level_security, owner, comment }`:
//! an existing table whose row-level security pgfort manages. pgfort does
//! not create tables; the plan fails when a declared one does not exist.

use std::collections::BTreeMap;

use super::common::{declared_name, name};
use super::{Decoded, RefContext, RoleRef};
use crate::config::error::{ConfigError, Location, Result};
use crate::config::reader::BlockReader;
use crate::config::value::{Node, NodeKind};
use crate::model::{RowLevelSecurity, Table, TableName};

/// Where tables are declared, for duplicate checks and for policies that
/// name them.
#[derive(Debug, Default)]
pub(crate) struct TableDecls {
    /// By (database, table).
    pub locations: BTreeMap<(String, TableName), Location>,
    /// Each policy's table, checked once every table is known.
    pub policy_tables: Vec<PolicyTable>,
}

/// The table a policy block names.
#[derive(Debug, Clone)]
pub(crate) struct PolicyTable {
    pub policy: String,
    pub database: String,
    pub table: TableName,
    pub location: Location,
}

pub(super) fn decode(reader: &mut BlockReader<'_>, out: &mut Decoded) -> Result<()> {
    let (table_name, location) = declared_name(reader, "table")?;
    let database_node = reader.node("database")?;
    let schema_node = reader.node("schema")?;
    let rls_node = reader.node("row_level_security")?;
    let owner_node = reader.node("owner")?;
    let comment = reader.string("comment")?;
    let Some(database_node) = database_node else {
        return Err(reader.missing("database", "\"DATABASE\""));
    };
    let database = name(&database_node, "database", "database")?;
    let schema = match schema_node {
        Some(node) => name(&node, "schema", "schema")?,
        None => "public".to_owned(),
    };
    let table = TableName {
        schema,
        name: table_name,
    };
    let key = (database.clone(), table.clone());
    if let Some(first) = out.tables.locations.get(&key) {
        return Err(ConfigError::at(
            location,
            format!("table \"{table}\" of database \"{database}\" is already declared at {first}"),
        ));
    }
    let row_level_security = rls_node.map(|node| row_level_security(&node)).transpose()?;
    let mut owner = None;
    if let Some(node) = owner_node {
        let role = name(&node, "owner", "role")?;
        out.role_refs.push(RoleRef {
            name: role.clone(),
            location: node.location,
            context: RefContext::Owner,
        });
        owner = Some(role);
    }
    super::lifecycle::read(reader, out, || format!("table.{database}.{table}"))?;
    out.tables.locations.insert(key, location.clone());
    out.config
        .desired
        .catalogs
        .entry(database.clone())
        .or_default()
        .tables
        .insert(
            table.clone(),
            Table {
                database,
                table,
                row_level_security,
                owner,
                comment,
                origin: Some(location.to_string()),
            },
        );
    Ok(())
}

/// `true`, `false` or `"force"`.
fn row_level_security(node: &Node) -> Result<RowLevelSecurity> {
    node.require_plain("row_level_security")?;
    let refuse = || {
        ConfigError::at(
            node.location.clone(),
            "row_level_security must be true, false or \"force\"",
        )
        .with_hint("\"force\" applies the policies to the table's owner too")
    };
    match &node.kind {
        NodeKind::Bool(true) => Ok(RowLevelSecurity::Enabled),
        NodeKind::Bool(false) => Ok(RowLevelSecurity::Disabled),
        NodeKind::String(text) => match text.to_ascii_lowercase().as_str() {
            "true" => Ok(RowLevelSecurity::Enabled),
            "false" => Ok(RowLevelSecurity::Disabled),
            "force" => Ok(RowLevelSecurity::Forced),
            _ => Err(refuse()),
        },
        _ => Err(refuse()),
    }
}

/// Every policy names a declared table: policies on a table are
/// authoritative only where pgfort knows the table is managed.
pub(crate) fn validate(decls: &TableDecls) -> Result<()> {
    for reference in &decls.policy_tables {
        let key = (reference.database.clone(), reference.table.clone());
        if decls.locations.contains_key(&key) {
            continue;
        }
        let TableName { schema, name } = &reference.table;
        return Err(ConfigError::at(
            reference.location.clone(),
            format!(
                "policy \"{}\" is on table \"{}\" of database \"{}\", which is not declared",
                reference.policy, reference.table, reference.database
            ),
        )
        .with_hint(format!(
            "declare it in a block table \"{name}\" {{ }} with database = \"{}\", schema = \"{schema}\" and row_level_security = true",
            reference.database
        )));
    }
    Ok(())
}
