//! Checks that need the whole configuration: references to roles (members,
//! owners, grantees, pgbouncer auth file users) and the manage policy's requirements. Databases named
//! by schemas and grants need no declaration: they may already exist, which
//! only the server can tell.

use std::collections::HashMap;

use super::blocks::{Decoded, RefContext, RoleRef};
use super::error::{ConfigError, Result};
use super::suggest::did_you_mean;

/// Predefined roles exist on every server and need no declaration.
fn is_predefined(name: &str) -> bool {
    name.starts_with("pg_")
}

/// Every problem found, in file order (see [`ConfigError::all`]).
pub(crate) fn validate(decoded: &Decoded) -> Result<()> {
    let mut errors: Vec<ConfigError> = decoded
        .role_refs
        .iter()
        .filter_map(|role_ref| undeclared(role_ref, decoded))
        .collect();
    // Cycles only among valid references: a bad one would show twice.
    let cycles = match errors.is_empty() {
        true => check_membership_cycles(&decoded.role_refs),
        false => Ok(()),
    };
    let checks = [
        cycles,
        super::blocks::validate_tables(&decoded.tables),
        super::blocks::validate_certificates(decoded),
    ];
    errors.extend(checks.into_iter().filter_map(Result::err));
    errors.extend(super::blocks::validate_pgbouncers(decoded));
    errors.extend(super::blocks::validate_patroni(decoded));
    if let Some(location) = &decoded.prune_location
        && decoded.config.manage.reassign_owned_to.is_none()
    {
        errors.push(
            ConfigError::at(
                location.clone(),
                "prune_roles = true needs reassign_owned_to, to receive the objects of dropped roles",
            )
            .with_hint("add reassign_owned_to = \"ROLE\" to the manage block"),
        );
    }
    ConfigError::check(errors)
}

/// Why a reference to a role is wrong, if it is.
fn undeclared(role_ref: &RoleRef, decoded: &Decoded) -> Option<ConfigError> {
    let name = &role_ref.name;
    match &role_ref.context {
        RefContext::MemberOf { member } if member == name => Some(ConfigError::at(
            role_ref.location.clone(),
            format!("role \"{name}\" cannot be a member of itself"),
        )),
        _ if decoded.is_declared_role(name) => None,
        context if context.allows_predefined() && is_predefined(name) => None,
        _ => {
            let declared = decoded.role_locations.keys().map(String::as_str);
            let hint = did_you_mean(name, declared)
                .unwrap_or_else(|| format!("declare it: role \"{name}\" {{}}"));
            let mut message = format!("role \"{name}\" is not declared");
            if role_ref.context == RefContext::ReassignOwnedTo {
                message.push_str("; reassign_owned_to must name a declared role");
            }
            Some(ConfigError::at(role_ref.location.clone(), message).with_hint(hint))
        }
    }
}

/// Where a role stands in the depth-first walk for cycles.
enum Visit {
    /// On the current path, at this index.
    OnPath(usize),
    Done,
}

/// PostgreSQL refuses circular memberships; report one at the entry that
/// closes the circle. An iterative depth-first walk with hashed state:
/// linear in roles and memberships, and no recursion, so a chain of tens
/// of thousands of roles neither slows it down nor overflows the stack.
fn check_membership_cycles(refs: &[RoleRef]) -> Result<()> {
    let mut edges: HashMap<&str, Vec<&RoleRef>> = HashMap::new();
    let mut starts: Vec<&str> = Vec::new();
    for role_ref in refs {
        if let RefContext::MemberOf { member } = &role_ref.context {
            edges
                .entry(member.as_str())
                .or_insert_with(|| {
                    starts.push(member);
                    Vec::new()
                })
                .push(role_ref);
        }
    }
    // Walks start in name order, so the cycle reported does not depend on
    // the hash; roles are usually declared in that order, and the sort
    // then only confirms it.
    starts.sort();
    let mut visits: HashMap<&str, Visit> = HashMap::with_capacity(edges.len());
    for start in starts {
        if visits.contains_key(start) {
            continue;
        }
        // The path from `start`, and for each role on it the next of its
        // memberships to follow.
        let mut path: Vec<&str> = vec![start];
        let mut next: Vec<usize> = vec![0];
        visits.insert(start, Visit::OnPath(0));
        while let (Some(&member), Some(cursor)) = (path.last(), next.last_mut()) {
            let out = edges.get(member).map(Vec::as_slice).unwrap_or_default();
            let Some(role_ref) = out.get(*cursor) else {
                visits.insert(member, Visit::Done);
                path.pop();
                next.pop();
                continue;
            };
            *cursor += 1;
            let target = role_ref.name.as_str();
            match visits.get(target) {
                Some(Visit::Done) => {}
                Some(Visit::OnPath(at)) => {
                    let mut chain = path[*at..].to_vec();
                    chain.push(target);
                    return Err(ConfigError::at(
                        role_ref.location.clone(),
                        format!("circular role membership: {}", chain.join(" -> ")),
                    ));
                }
                None => {
                    visits.insert(target, Visit::OnPath(path.len()));
                    path.push(target);
                    next.push(0);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::config::error::Location;

    fn member_of(member: &str, group: &str, line: usize) -> RoleRef {
        RoleRef {
            name: group.to_owned(),
            location: Location {
                file: PathBuf::from("roles.hcl").into(),
                line,
                column: 3,
            },
            context: RefContext::MemberOf {
                member: member.to_owned(),
            },
        }
    }

    /// r1 → r0, r2 → r1, …: a chain `n` long.
    fn chain(n: usize) -> Vec<RoleRef> {
        (1..n)
            .map(|i| member_of(&format!("r{i}"), &format!("r{}", i - 1), i))
            .collect()
    }

    #[test]
    fn a_long_chain_is_no_cycle() {
        assert!(check_membership_cycles(&chain(20_000)).is_ok());
    }

    #[test]
    fn a_cycle_closing_a_long_chain_is_reported_whole() {
        let mut refs = chain(20_000);
        refs.push(member_of("r0", "r19999", 20_000));
        let error = check_membership_cycles(&refs).expect_err("a cycle");
        let text = error.to_string();
        assert!(text.contains("roles.hcl:"), "{text}");
        assert!(text.contains("circular role membership: "), "{text}");
        assert_eq!(text.matches(" -> ").count(), 20_000, "every step is named");
    }

    #[test]
    fn shared_groups_are_walked_once_and_cycles_found_anywhere() {
        let refs = vec![
            member_of("a", "g", 1),
            member_of("b", "g", 2),
            member_of("g", "h", 3),
            member_of("x", "y", 4),
            member_of("y", "z", 5),
            member_of("z", "x", 6),
        ];
        let error = check_membership_cycles(&refs).expect_err("x -> y -> z -> x");
        assert!(
            error
                .to_string()
                .contains("circular role membership: x -> y -> z -> x"),
            "{error}"
        );
        assert!(check_membership_cycles(&refs[..4]).is_ok());
    }
}
