//! `schema "name" { database = "db" }`: one schema of one database. The
//! same name may be declared in several databases.

use super::common::{declared_name, name};
use super::{Decoded, RefContext, RoleRef};
use crate::config::error::{ConfigError, Result};
use crate::config::reader::BlockReader;
use crate::model::Schema;
use crate::plan::address;

pub(super) fn decode(reader: &mut BlockReader<'_>, out: &mut Decoded) -> Result<()> {
    let (schema_name, location) = declared_name(reader, "schema")?;
    if schema_name.starts_with("pg_") {
        return Err(ConfigError::at(
            location,
            format!(
                "schema name \"{schema_name}\" is reserved: names starting with pg_ are for system schemas"
            ),
        ));
    }
    let database_node = reader.node("database")?;
    let owner_node = reader.node("owner")?;
    let comment = reader.string("comment")?;
    let Some(database_node) = database_node else {
        return Err(reader.missing("database", "\"DATABASE\""));
    };
    let database = name(&database_node, "database", "database")?;
    let key = (database.clone(), schema_name.clone());
    if let Some(first) = out.schema_locations.get(&key) {
        return Err(ConfigError::at(
            location,
            format!(
                "schema \"{schema_name}\" of database \"{database}\" is already declared at {first}"
            ),
        ));
    }
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
    super::lifecycle::read(reader, out, || address::schema(&database, &schema_name))?;
    out.schema_locations.insert(key, location);
    out.config
        .desired
        .catalogs
        .entry(database.clone())
        .or_default()
        .schemas
        .insert(
            schema_name.clone(),
            Schema {
                database,
                name: schema_name,
                owner,
                comment,
            },
        );
    Ok(())
}
