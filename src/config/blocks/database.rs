//! `database "name" { }`: one database, its owner, creation options,
//! settings and comment. Undeclared options keep the server's choice.

use super::common::{declared_name, name};
use super::{Decoded, RefContext, RoleRef};
use crate::config::error::{ConfigError, Result};
use crate::config::normalize::{encoding, settings};
use crate::config::reader::BlockReader;
use crate::config::suggest::did_you_mean;
use crate::model::Database;
use crate::plan::address;

pub(super) fn decode(reader: &mut BlockReader<'_>, out: &mut Decoded) -> Result<()> {
    let (db_name, location) = declared_name(reader, "database")?;
    if let Some(first) = out.database_locations.get(&db_name) {
        return Err(ConfigError::at(
            location,
            format!("database \"{db_name}\" is already declared at {first}"),
        ));
    }
    let mut database = Database::new(db_name.clone());
    if let Some(node) = reader.node("owner")? {
        let owner = name(&node, "owner", "role")?;
        out.role_refs.push(RoleRef {
            name: owner.clone(),
            location: node.location,
            context: RefContext::Owner,
        });
        database.owner = Some(owner);
    }
    if let Some(node) = reader.node("encoding")? {
        let text = node.to_text("encoding")?;
        let canonical = encoding::normalize(&text).map_err(|message| {
            let hint = did_you_mean(&text.to_ascii_uppercase(), encoding::names())
                .unwrap_or_else(|| "most databases use UTF8".to_string());
            ConfigError::at(node.location.clone(), message).with_hint(hint)
        })?;
        database.encoding = Some(canonical);
    }
    database.locale = reader.string("locale")?;
    database.template = reader.string("template")?;
    if let Some(limit) = reader.integer("connection_limit", -1, i64::from(i32::MAX))? {
        database.connection_limit = i32::try_from(limit).unwrap_or(i32::MAX);
    }
    if let Some(allow) = reader.bool("allow_connections")? {
        database.allow_connections = allow;
    }
    if let Some(is_template) = reader.bool("is_template")? {
        database.is_template = is_template;
    }
    if let Some(node) = reader.node("settings")? {
        database.settings = settings::normalize_map(node.to_map("settings")?, "settings")?;
        let prefix = format!("database.{db_name}.settings.");
        super::settings::record_locations(out, &prefix, node.to_map("settings")?);
    }
    database.comment = reader.string("comment")?;
    super::lifecycle::read(reader, out, || address::database(&db_name))?;
    out.config
        .locations
        .insert(address::database(&db_name), location.clone());
    out.database_locations.insert(db_name.clone(), location);
    out.config.desired.databases.insert(db_name, database);
    Ok(())
}
