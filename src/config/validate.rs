//! Checks that need the whole configuration: references to roles (members,
//! owners, grantees) and the manage policy's requirements. Databases named
//! by schemas and grants need no declaration: they may already exist, which
//! only the server can tell.

use std::collections::BTreeMap;

use super::blocks::{Decoded, RefContext, RoleRef};
use super::error::{ConfigError, Result};
use super::suggest::did_you_mean;

/// Predefined roles exist on every server and need no declaration.
fn is_predefined(name: &str) -> bool {
    name.starts_with("pg_")
}

pub(crate) fn validate(decoded: &Decoded) -> Result<()> {
    let declared = &decoded.role_locations;
    for role_ref in &decoded.role_refs {
        let name = &role_ref.name;
        match &role_ref.context {
            RefContext::MemberOf { member } if member == name => {
                return Err(ConfigError::at(
                    role_ref.location.clone(),
                    format!("role \"{name}\" cannot be a member of itself"),
                ));
            }
            _ if declared.contains_key(name) => {}
            context if context.allows_predefined() && is_predefined(name) => {}
            _ => {
                let hint = did_you_mean(name, declared.keys().map(String::as_str))
                    .unwrap_or_else(|| format!("declare it: role \"{name}\" {{}}"));
                let mut message = format!("role \"{name}\" is not declared");
                if role_ref.context == RefContext::ReassignOwnedTo {
                    message.push_str("; reassign_owned_to must name a declared role");
                }
                return Err(ConfigError::at(role_ref.location.clone(), message).with_hint(hint));
            }
        }
    }
    check_membership_cycles(&decoded.role_refs)?;
    super::blocks::validate_tables(&decoded.tables)?;
    super::blocks::validate_certificates(decoded)?;
    if let Some(location) = &decoded.prune_location
        && decoded.config.manage.reassign_owned_to.is_none()
    {
        return Err(ConfigError::at(
            location.clone(),
            "prune_roles = true needs reassign_owned_to, to receive the objects of dropped roles",
        )
        .with_hint("add reassign_owned_to = \"ROLE\" to the manage block"));
    }
    Ok(())
}

/// PostgreSQL refuses circular memberships; report one at the entry that
/// closes the circle.
fn check_membership_cycles(refs: &[RoleRef]) -> Result<()> {
    let mut edges: BTreeMap<&str, Vec<&RoleRef>> = BTreeMap::new();
    for role_ref in refs {
        if let RefContext::MemberOf { member } = &role_ref.context {
            edges.entry(member.as_str()).or_default().push(role_ref);
        }
    }
    let mut done: Vec<&str> = Vec::new();
    for &start in edges.keys() {
        let mut path = vec![start];
        walk(start, &edges, &mut path, &mut done)?;
    }
    Ok(())
}

fn walk<'a>(
    member: &'a str,
    edges: &BTreeMap<&'a str, Vec<&'a RoleRef>>,
    path: &mut Vec<&'a str>,
    done: &mut Vec<&'a str>,
) -> Result<()> {
    if done.contains(&member) {
        return Ok(());
    }
    for role_ref in edges.get(member).map(Vec::as_slice).unwrap_or_default() {
        let target = role_ref.name.as_str();
        if let Some(start) = path.iter().position(|&p| p == target) {
            let mut chain = path[start..].to_vec();
            chain.push(target);
            return Err(ConfigError::at(
                role_ref.location.clone(),
                format!("circular role membership: {}", chain.join(" -> ")),
            ));
        }
        path.push(target);
        walk(target, edges, path, done)?;
        path.pop();
    }
    done.push(member);
    Ok(())
}
