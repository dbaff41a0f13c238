//! `settings { name = value }`: server settings, written with `ALTER
//! SYSTEM`. Names and values are checked for shape here; whether the server
//! knows them (and accepts the value) is checked at plan time, against
//! `pg_settings`, which is why every entry's location is recorded.
//!
//! The root configuration and each module may have one settings block;
//! they merge, and a setting may be set only once in the whole tree (so
//! that a baseline module and the root can each bring their own settings).
//!
//! HCL names cannot contain dots, so an extension's settings are written
//! as a map: `pg_stat_statements = { track = "all" }` is
//! `pg_stat_statements.track`.

use super::Decoded;
use crate::config::error::{ConfigError, Location, Result};
use crate::config::normalize::settings::{NAME_HINT, normalize_name, normalize_value};
use crate::config::reader::BlockReader;
use crate::config::value::{MapEntry, Node, NodeKind};

pub(super) fn decode(reader: &mut BlockReader<'_>, out: &mut Decoded) -> Result<()> {
    out.claim_per_directory("settings", reader.location())?;
    for (key, location, node) in reader.all_attributes()? {
        match &node.kind {
            NodeKind::Map(entries) => {
                for entry in entries {
                    let name = format!("{key}.{}", entry.key);
                    add(out, &name, entry.key_location.clone(), &entry.value)?;
                }
            }
            _ => add(out, &key, location, &node)?,
        }
    }
    Ok(())
}

fn add(out: &mut Decoded, key: &str, location: Location, node: &Node) -> Result<()> {
    let name = normalize_name(key)
        .map_err(|message| ConfigError::at(location.clone(), message).with_hint(NAME_HINT))?;
    let address = format!("settings.{name}");
    if let Some(first) = out.config.locations.get(&address) {
        return Err(ConfigError::at(
            location,
            format!("setting \"{name}\" is already set at {first}"),
        ));
    }
    if node.is_null() {
        return Ok(());
    }
    let value = normalize_value(&name, node, &address)?;
    out.config.desired.settings.values.insert(name, value);
    out.config.locations.insert(address, location);
    Ok(())
}

/// Records where each entry of a `settings = { … }` map was written, under
/// `prefix` + the normalised name (role and database settings).
pub(super) fn record_locations(out: &mut Decoded, prefix: &str, entries: &[MapEntry]) {
    for entry in entries {
        if let Ok(name) = normalize_name(&entry.key) {
            out.config
                .locations
                .insert(format!("{prefix}{name}"), entry.key_location.clone());
        }
    }
}
