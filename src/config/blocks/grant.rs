//! `grant { to, privileges, on }`: privileges for roles (or PUBLIC) on a
//! database, schemas, objects, columns, or all objects of a kind. Grants
//! are kept in file order; the diff explodes them against the server.

use super::common::{check_unique, name_list};
use super::{Decoded, RefContext, RoleRef, grant_on};
use crate::config::error::{ConfigError, Location, Result};
use crate::config::reader::BlockReader;
use crate::config::value::{Node, NodeKind};
use crate::model::{Grant, GrantTarget, ObjectKind, PUBLIC};

pub(super) fn decode(reader: &mut BlockReader<'_>, out: &mut Decoded) -> Result<()> {
    let to = reader.node("to")?;
    let privileges = reader.node("privileges")?;
    let on = reader.node("on")?;
    let with_grant_option = reader.node("with_grant_option")?;
    let owners = reader.node("owners")?;
    let Some(to) = to else {
        return Err(reader.missing("to", "[\"ROLE\"]"));
    };
    let Some(privileges) = privileges else {
        return Err(reader.missing("privileges", "[\"SELECT\"]"));
    };
    let Some(on) = on else {
        return Err(reader.missing("on", "{ database = \"DATABASE\" }"));
    };

    let mut target = grant_on::decode(&on)?;
    let privileges = privilege_list(&privileges, target.object_kind())?;
    let grantees = grantees(&to, out)?;
    let with_grant_option = match with_grant_option {
        Some(node) => {
            let value = node.to_bool("with_grant_option")?;
            if value && grantees.iter().any(|name| name == PUBLIC) {
                return Err(ConfigError::at(
                    node.location,
                    "with_grant_option cannot be given to PUBLIC",
                )
                .with_hint("grant to PUBLIC in a separate grant block without with_grant_option"));
            }
            value
        }
        None => false,
    };
    // `owners = []` is the default, whatever the target.
    let owners =
        owners.filter(|node| !matches!(&node.kind, NodeKind::List(items) if items.is_empty()));
    if let Some(node) = owners {
        let GrantTarget::All { owners, .. } = &mut target else {
            return Err(ConfigError::at(
                node.location,
                "owners applies only to grants on all objects of a kind (on.all)",
            )
            .with_hint("owners lists the roles whose future objects the grant covers; write on = { ..., all = \"tables\" }"));
        };
        let names = name_list(&node, "owners", "role")?;
        check_unique(&names, "owners")?;
        for (name, location) in names {
            out.role_refs.push(RoleRef {
                name: name.clone(),
                location,
                context: RefContext::GrantOwner,
            });
            owners.push(name);
        }
    }
    out.config.desired.grants.push(Grant {
        to: grantees,
        privileges,
        on: target,
        with_grant_option,
    });
    Ok(())
}

/// `to = ["role", "public"]`: role names, with PUBLIC in any case.
fn grantees(node: &Node, out: &mut Decoded) -> Result<Vec<String>> {
    let mut names = name_list(node, "to", "role")?;
    for (name, _) in &mut names {
        if name.eq_ignore_ascii_case(PUBLIC) {
            *name = PUBLIC.to_string();
        }
    }
    check_unique(&names, "to")?;
    for (name, location) in &names {
        if name != PUBLIC {
            out.role_refs.push(RoleRef {
                name: name.clone(),
                location: location.clone(),
                context: RefContext::Grantee,
            });
        }
    }
    Ok(names.into_iter().map(|(name, _)| name).collect())
}

/// Upper case, single spaces, and the short forms PostgreSQL accepts
/// written in full.
fn normalize_privilege(text: &str) -> String {
    let words: Vec<String> = text
        .split_whitespace()
        .map(str::to_ascii_uppercase)
        .collect();
    match words.join(" ").as_str() {
        "ALL PRIVILEGES" => "ALL".to_string(),
        "TEMP" => "TEMPORARY".to_string(),
        other => other.to_string(),
    }
}

/// The privileges, each valid for `kind`. `MAINTAIN` is accepted whatever
/// the server: only the diff knows its version.
fn privilege_list(node: &Node, kind: ObjectKind) -> Result<Vec<String>> {
    node.require_plain("privileges")?;
    let NodeKind::List(items) = &node.kind else {
        return Err(node.type_error("privileges", "a list of privileges"));
    };
    if items.is_empty() {
        return Err(ConfigError::at(
            node.location.clone(),
            "privileges cannot be empty",
        ));
    }
    let valid = kind.privileges(u32::MAX);
    let mut privileges: Vec<(String, Location)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let privilege = normalize_privilege(&item.to_text(&format!("privileges[{i}]"))?);
        if privilege != "ALL" && !valid.contains(&privilege.as_str()) {
            return Err(ConfigError::at(
                item.location.clone(),
                format!(
                    "privilege \"{privilege}\" is not valid on {}; expected one of {}, ALL",
                    kind.plural(),
                    valid.join(", ")
                ),
            ));
        }
        privileges.push((privilege, item.location.clone()));
    }
    check_unique(&privileges, "privileges")?;
    if privileges.len() > 1
        && let Some((_, location)) = privileges.iter().find(|(p, _)| p == "ALL")
    {
        return Err(ConfigError::at(
            location.clone(),
            "ALL already includes every other privilege",
        )
        .with_hint("write privileges = [\"ALL\"] alone, or list the privileges without ALL"));
    }
    Ok(privileges.into_iter().map(|(p, _)| p).collect())
}
