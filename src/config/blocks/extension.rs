//! `extension "name" { database, schema, version, cascade }`: an extension
//! in one database. Libraries that are only preloaded and have no `CREATE
//! EXTENSION` (`auto_explain`) are declared the same way, without
//! attributes. Availability is checked at plan time, against the server.

use super::Decoded;
use super::common::{declared_name, name};
use crate::config::error::{ConfigError, Result};
use crate::config::reader::BlockReader;
use crate::model::{Extension, preload};

pub(super) fn decode(reader: &mut BlockReader<'_>, out: &mut Decoded) -> Result<()> {
    let (ext_name, location) = declared_name(reader, "extension")?;
    let database = reader.node("database")?;
    let schema = reader.node("schema")?;
    let version = reader.node("version")?;
    let cascade = reader.bool("cascade")?;

    if preload(&ext_name).is_some_and(|entry| !entry.creates_extension) {
        let written = [&database, &schema, &version]
            .into_iter()
            .flatten()
            .next()
            .map(|node| node.location.clone())
            .or_else(|| cascade.map(|_| location.clone()));
        if let Some(at) = written {
            return Err(ConfigError::at(
                at,
                format!(
                    "\"{ext_name}\" is a library without CREATE EXTENSION: it is only added to \
                     shared_preload_libraries, so it takes no attributes"
                ),
            )
            .with_hint(format!("write: extension \"{ext_name}\" {{}}")));
        }
        let key = format!("extension.{ext_name}");
        if let Some(first) = out.config.locations.get(&key) {
            return Err(ConfigError::at(
                location,
                format!("extension \"{ext_name}\" is already declared at {first}"),
            ));
        }
        out.config.locations.insert(key, location);
        out.config.desired.settings.libraries.insert(ext_name);
        return Ok(());
    }

    let Some(database) = database else {
        return Err(reader.missing("database", "\"myapp\""));
    };
    let database = name(&database, "database", "database")?;
    let key = format!("extension.{database}.{ext_name}");
    if let Some(first) = out.config.locations.get(&key) {
        return Err(ConfigError::at(
            location,
            format!(
                "extension \"{ext_name}\" in database \"{database}\" is already declared at {first}"
            ),
        ));
    }
    let mut extension = Extension {
        database: database.clone(),
        name: ext_name.clone(),
        cascade: cascade.unwrap_or(false),
        ..Default::default()
    };
    if let Some(node) = schema {
        extension.schema = Some(name(&node, "schema", "schema")?);
        out.config
            .locations
            .insert(format!("{key}.schema"), node.location.clone());
    }
    if let Some(node) = version {
        let text = node.to_text("version")?;
        if text.trim().is_empty() {
            return Err(ConfigError::at(node.location, "version cannot be empty")
                .with_hint("leave version out to install the default version"));
        }
        extension.version = Some(text);
        out.config
            .locations
            .insert(format!("{key}.version"), node.location.clone());
    }
    super::lifecycle::read(reader, out, || key.clone())?;
    out.config.locations.insert(key, location);
    out.config
        .desired
        .catalogs
        .entry(database)
        .or_default()
        .extensions
        .insert(ext_name, extension);
    Ok(())
}
