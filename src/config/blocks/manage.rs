//! `manage { }`: what pgfort may change beyond the declared objects.

use super::{Decoded, RefContext, RoleRef};
use crate::config::error::{ConfigError, Result};
use crate::config::reader::BlockReader;
use crate::config::suggest::did_you_mean;
use crate::config::value::NodeKind;
use crate::model::SettingsScope;

pub(super) fn decode(reader: &mut BlockReader<'_>, out: &mut Decoded) -> Result<()> {
    out.claim_singleton("manage", reader.location())?;
    if let Some(node) = reader.node("prune_roles")? {
        let prune = node.to_bool("prune_roles")?;
        out.config.manage.prune_roles = prune;
        out.prune_location = prune.then_some(node.location);
    }
    if let Some(patterns) = globs(reader, "ignore_roles")? {
        out.config.manage.ignore_roles = patterns;
    }
    if let Some(patterns) = globs(reader, "ignore_databases")? {
        out.config.manage.ignore_databases = patterns;
    }
    if let Some(node) = reader.node("reassign_owned_to")? {
        let role = node.to_text("reassign_owned_to")?;
        out.role_refs.push(RoleRef {
            name: role.clone(),
            location: node.location,
            context: RefContext::ReassignOwnedTo,
        });
        out.config.manage.reassign_owned_to = Some(role);
    }
    if let Some(prune) = reader.bool("prune_databases")? {
        out.config.manage.prune_databases = prune;
    }
    if let Some(public) = reader.bool("public_privileges")? {
        out.config.manage.public_privileges = public;
    }
    if let Some(node) = reader.node("settings")? {
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
    if let Some(prune) = reader.bool("prune_extensions")? {
        out.config.manage.prune_extensions = prune;
    }
    Ok(())
}

/// A list of glob patterns, each checked for syntax.
fn globs(reader: &mut BlockReader<'_>, name: &'static str) -> Result<Option<Vec<String>>> {
    let Some(node) = reader.node(name)? else {
        return Ok(None);
    };
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
    Ok(Some(patterns))
}
