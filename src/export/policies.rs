//! Row-level security as `table` and `policy` blocks: every table whose
//! row-level security is on or that has policies, and all of its policies
//! (the policies of a declared table are authoritative, so none may be
//! left out). Expressions are written as the server prints them.

use super::Section;
use super::context::Context;
use super::hcl::{Block, Body, Value};
use crate::model::{PUBLIC, Policy, PolicyCommand, RowLevelSecurity, Table};

/// `policies.hcl`.
pub(super) fn section(context: &Context<'_>) -> Section {
    let mut body = Body::new();
    let mut notes = Vec::new();
    for (database, catalog) in context.catalogs() {
        for (name, table) in &catalog.tables {
            if name.schema.contains('.') || name.name.contains('.') {
                notes.push(format!(
                    "{database}: table \"{}\".\"{}\" and its policies are left out: a policy names \
                     its table as SCHEMA.TABLE, which cannot hold a dot in a name",
                    name.schema, name.name
                ));
                continue;
            }
            body.block(table_block(table, context));
            for policy in catalog.policies.values().filter(|p| p.table == *name) {
                body.block(policy_block(policy));
            }
        }
    }
    Section { body, notes }
}

fn table_block(table: &Table, context: &Context<'_>) -> Block {
    let mut block = Block::labelled("table", table.table.name.clone());
    let body = &mut block.body;
    body.attr("database", table.database.as_str());
    body.attr("schema", table.table.schema.as_str());
    match table.row_level_security {
        Some(RowLevelSecurity::Enabled) => body.attr("row_level_security", true),
        Some(RowLevelSecurity::Forced) => body.attr("row_level_security", "force"),
        Some(RowLevelSecurity::Disabled) | None => body.attr("row_level_security", false),
    };
    if let Some(owner) = table.owner.as_deref().filter(|o| context.nameable(o)) {
        body.attr("owner", owner);
    }
    body.attr_opt("comment", table.comment.as_deref());
    block
}

fn policy_block(policy: &Policy) -> Block {
    let mut block = Block::labelled("policy", policy.name.clone());
    let body = &mut block.body;
    body.attr("database", policy.database.as_str());
    body.attr("table", policy.table.to_string());
    if policy.command != PolicyCommand::All {
        body.attr("command", policy.command.sql_keyword());
    }
    if !policy.permissive {
        body.attr("as", "restrictive");
    }
    let public_only = policy.roles.len() == 1 && policy.roles.contains(PUBLIC);
    if !public_only {
        body.attr("to", Value::strings(policy.roles.iter().cloned()));
    }
    body.attr_opt("using", policy.using.as_ref().map(|e| e.sql.as_str()));
    body.attr_opt(
        "with_check",
        policy.with_check.as_ref().map(|e| e.sql.as_str()),
    );
    body.attr_opt("comment", policy.comment.as_deref());
    block
}
