//! Databases and their schemas as `database` and `schema` blocks.
//!
//! Encoding and locale are written only where they differ from
//! `template1`'s (the server's default): they matter when the database is
//! created elsewhere, and an ICU or builtin locale copied without its
//! provider would not create. Owners are written when the configuration
//! may name them; an owner left out is left as it is by plans.

use super::Section;
use super::context::Context;
use super::hcl::{Block, Body};
use super::roles::settings_map;
use crate::model::{Database, Schema};

/// `databases.hcl`.
pub(super) fn section(context: &Context<'_>) -> Section {
    let mut body = Body::new();
    let template = context.state.databases.get("template1");
    for name in &context.databases {
        let Some(database) = context.state.databases.get(*name) else {
            continue;
        };
        body.block(database_block(database, template, context));
        if let Some(catalog) = context.state.catalogs.get(*name) {
            for schema in catalog.schemas.values() {
                body.block(schema_block(schema, context));
            }
        }
    }
    Section {
        body,
        notes: Vec::new(),
    }
}

fn database_block(
    database: &Database,
    template: Option<&Database>,
    context: &Context<'_>,
) -> Block {
    let mut block = Block::labelled("database", database.name.clone());
    let body = &mut block.body;
    owner(body, database.owner.as_deref(), context);
    let differs = |value: &Option<String>, default: Option<&Option<String>>| {
        value.is_some() && default.is_none_or(|d| !eq_ignore_case(d, value))
    };
    if differs(&database.encoding, template.map(|t| &t.encoding)) {
        body.attr_opt("encoding", database.encoding.as_deref());
    }
    if differs(&database.locale, template.map(|t| &t.locale)) {
        body.attr_opt("locale", database.locale.as_deref());
    }
    if database.connection_limit != -1 {
        body.attr("connection_limit", database.connection_limit);
    }
    if !database.allow_connections {
        body.attr("allow_connections", false);
    }
    if database.is_template {
        body.attr("is_template", true);
    }
    if !database.settings.is_empty() {
        body.attr("settings", settings_map(&database.settings));
    }
    body.attr_opt("comment", database.comment.as_deref());
    block
}

fn eq_ignore_case(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    }
}

fn schema_block(schema: &Schema, context: &Context<'_>) -> Block {
    let mut block = Block::labelled("schema", schema.name.clone());
    let body = &mut block.body;
    body.attr("database", schema.database.as_str());
    let key = (schema.database.clone(), schema.name.clone());
    match context.schema_owner_notes.get(&key) {
        Some(note) => {
            body.comment(note.as_str());
        }
        // Without a note, the declared owner is the live one when nameable.
        None => owner(body, schema.owner.as_deref(), context),
    }
    body.attr_opt("comment", schema.comment.as_deref());
    block
}

/// `owner = …` when the configuration may name the role; otherwise a
/// comment saying who it is.
fn owner(body: &mut Body, owner: Option<&str>, context: &Context<'_>) {
    let Some(owner) = owner else {
        return;
    };
    if context.nameable(owner) {
        body.attr("owner", owner);
    } else {
        body.comment(format!(
            "owner: \"{owner}\" (not declared here: left as it is)"
        ));
    }
}
