//! Installed extensions as `extension` blocks, with their schema and
//! version, so plans neither move nor update them. `plpgsql` is in every
//! database and left out.

use super::Section;
use super::context::Context;
use super::hcl::{Block, Body};

/// Installed everywhere by initdb.
const BUILT_IN: &[&str] = &["plpgsql"];

/// `extensions.hcl`.
pub(super) fn section(context: &Context<'_>) -> Section {
    let mut body = Body::new();
    for (database, catalog) in context.catalogs() {
        for extension in catalog.extensions.values() {
            if BUILT_IN.contains(&extension.name.as_str()) {
                continue;
            }
            let mut block = Block::labelled("extension", extension.name.clone());
            block
                .body
                .attr("database", database)
                .attr_opt("schema", extension.schema.as_deref())
                .attr_opt("version", extension.version.as_deref());
            body.block(block);
        }
    }
    Section {
        body,
        notes: Vec::new(),
    }
}
