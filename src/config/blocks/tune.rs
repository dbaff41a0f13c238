//! `tune { memory, cpus, connections, storage, workload }`: settings
//! computed with pgtune's formulas at plan time (for the server's version);
//! explicit `settings` win.

use super::Decoded;
use crate::config::error::{ConfigError, Result};
use crate::config::reader::BlockReader;
use crate::config::suggest::did_you_mean;
use crate::config::value::Node;
use crate::model::units::parse_memory_kb;
use crate::tune::{Storage, TuneProfile, Workload};

/// PostgreSQL's own limit on max_connections.
const MAX_CONNECTIONS: i64 = 262_143;

pub(super) fn decode(reader: &mut BlockReader<'_>, out: &mut Decoded) -> Result<()> {
    out.claim_singleton("tune", reader.location())?;
    let memory = reader.node("memory")?;
    let cpus = reader.integer("cpus", 1, 4096)?;
    let connections = reader.integer("connections", 1, MAX_CONNECTIONS)?;
    let storage = reader
        .node("storage")?
        .map(|node| choice(&node, "storage", Storage::NAMES, Storage::parse))
        .transpose()?
        .unwrap_or(Storage::Ssd);
    let workload = reader
        .node("workload")?
        .map(|node| choice(&node, "workload", Workload::NAMES, Workload::parse))
        .transpose()?
        .unwrap_or(Workload::Mixed);
    let Some(memory) = memory else {
        return Err(reader.missing("memory", "\"16GB\""));
    };
    let text = memory.to_text("memory")?;
    let memory_kb = parse_memory_kb(&text).map_err(|message| {
        ConfigError::at(
            memory.location.clone(),
            format!("invalid memory: {message}"),
        )
        .with_hint("write the RAM PostgreSQL may use, e.g. memory = \"16GB\"")
    })?;
    out.config.desired.settings.tune = Some(TuneProfile {
        memory_kb,
        cpus: cpus.and_then(|n| u32::try_from(n).ok()),
        connections: connections.and_then(|n| u32::try_from(n).ok()),
        storage,
        workload,
    });
    out.config
        .locations
        .insert("tune".to_owned(), reader.location());
    Ok(())
}

fn choice<T>(
    node: &Node,
    what: &str,
    names: &[&'static str],
    parse: fn(&str) -> Option<T>,
) -> Result<T> {
    let text = node.to_text(what)?;
    parse(&text).ok_or_else(|| {
        ConfigError::at(
            node.location.clone(),
            format!(
                "unknown {what} \"{text}\", expected one of: {}",
                names.join(", ")
            ),
        )
        .with_optional_hint(did_you_mean(
            &text.to_ascii_lowercase(),
            names.iter().copied(),
        ))
    })
}
