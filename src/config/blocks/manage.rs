//! `manage { }`: what pgfort may change beyond the declared objects.
//!
//! The root configuration and each module may have one manage block; they
//! merge, each attribute set at most once in the whole tree, so that a
//! module (the hardened baseline's `public_privileges`) and the root
//! (`prune_roles`) can each say what they need.

use super::{Decoded, RefContext, RoleRef};
use crate::config::error::{ConfigError, Location, Result};
use crate::config::reader::BlockReader;
use crate::config::suggest::did_you_mean;
use crate::config::value::{Node, NodeKind};
use crate::model::SettingsScope;
use crate::plan::target::KINDS;

pub(super) fn decode(reader: &mut BlockReader<'_>, out: &mut Decoded) -> Result<()> {
    out.claim_per_directory("manage", reader.location())?;
    if let Some(node) = claimed(reader, out, "prune_roles")? {
        let prune = node.to_bool("prune_roles")?;
        out.config.manage.prune_roles = prune;
        out.prune_location = prune.then_some(node.location);
    }
    if let Some(node) = claimed(reader, out, "ignore_roles")? {
        out.config.manage.ignore_roles = globs(&node, "ignore_roles")?;
    }
    if let Some(node) = claimed(reader, out, "ignore_databases")? {
        out.config.manage.ignore_databases = globs(&node, "ignore_databases")?;
    }
    if let Some(node) = claimed(reader, out, "reassign_owned_to")? {
        let role = node.to_text("reassign_owned_to")?;
        out.role_refs.push(RoleRef {
            name: role.clone(),
            location: node.location,
            context: RefContext::ReassignOwnedTo,
        });
        out.config.manage.reassign_owned_to = Some(role);
    }
    if let Some(node) = claimed(reader, out, "prune_databases")? {
        out.config.manage.prune_databases = node.to_bool("prune_databases")?;
    }
    if let Some(node) = claimed(reader, out, "public_privileges")? {
        out.config.manage.public_privileges = node.to_bool("public_privileges")?;
    }
    if let Some(node) = claimed(reader, out, "settings")? {
        let scope = node.to_text("settings")?;
        out.config.manage.settings = match scope.as_str() {
            "declared" => SettingsScope::Declared,
            "authoritative" => SettingsScope::Authoritative,
            _ => {
                return Err(ConfigError::at(
                    node.location,
                    format!(
                        "unknown settings scope \"{scope}\", expected declared or authoritative"
                    ),
                )
                .with_optional_hint(did_you_mean(&scope, ["declared", "authoritative"])));
            }
        };
    }
    if let Some(node) = claimed(reader, out, "prune_extensions")? {
        out.config.manage.prune_extensions = node.to_bool("prune_extensions")?;
    }
    if let Some(node) = claimed(reader, out, "prevent_destroy")? {
        out.config.guards.patterns = address_patterns(&node, "prevent_destroy")?;
    }
    Ok(())
}

/// Address patterns (`role.app_*`, `database.*`), each starting with a
/// kind of object so that a misspelt kind does not silently protect
/// nothing.
fn address_patterns(node: &Node, name: &str) -> Result<Vec<(String, Location)>> {
    let patterns = globs(node, name)?;
    let NodeKind::List(items) = &node.kind else {
        return Err(node.type_error(name, "a list of address patterns"));
    };
    let mut out = Vec::new();
    for (pattern, item) in patterns.into_iter().zip(items) {
        let kind = pattern.split('.').next().unwrap_or_default();
        if !KINDS.contains(&kind) && !kind.contains(['*', '?']) {
            return Err(ConfigError::at(
                item.location.clone(),
                format!("\"{pattern}\" does not start with a kind of object"),
            )
            .with_hint(
                did_you_mean(kind, KINDS.iter().copied()).unwrap_or_else(|| {
                    format!(
                        "write e.g. \"role.app_*\" or \"database.*\"; kinds: {}",
                        KINDS.join(", ")
                    )
                }),
            ));
        }
        out.push((pattern, item.location.clone()));
    }
    Ok(out)
}

/// The value of attribute `name`, if written; fails when another manage
/// block (of the root or of a module) already set it.
fn claimed(
    reader: &mut BlockReader<'_>,
    out: &mut Decoded,
    name: &'static str,
) -> Result<Option<Node>> {
    let Some(node) = reader.node(name)? else {
        return Ok(None);
    };
    let key = format!("manage.{name}");
    if let Some(first) = out.config.locations.get(&key) {
        return Err(ConfigError::at(
            node.location.clone(),
            format!("manage.{name} is already set at {first}"),
        )
        .with_hint("the manage blocks of the root and of modules merge: set each attribute once"));
    }
    out.config.locations.insert(key, node.location.clone());
    Ok(Some(node))
}

/// A list of glob patterns, each checked for syntax.
fn globs(node: &Node, name: &str) -> Result<Vec<String>> {
    node.require_plain(name)?;
    let NodeKind::List(items) = &node.kind else {
        return Err(node.type_error(name, "a list of glob patterns"));
    };
    let mut patterns = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let pattern = item.to_text(&format!("{name}[{i}]"))?;
        if let Err(err) = glob::Pattern::new(&pattern) {
            return Err(ConfigError::at(
                item.location.clone(),
                format!("invalid glob pattern \"{pattern}\": {}", err.msg),
            ));
        }
        patterns.push(pattern);
    }
    Ok(patterns)
}
