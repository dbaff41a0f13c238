//! What an undeclared role can do. pgfort leaves undeclared roles alone
//! (unless pruning), but one holding superuser-level powers is a way in
//! that nobody reviewed: plans warn about it and drift reports it as drift.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::Role;

/// Predefined roles whose members read or write the server's files, run
/// programs on its host, or read or write every table (CIS 4.9).
const POWERFUL_GROUPS: &[&str] = &[
    "pg_execute_server_program",
    "pg_read_server_files",
    "pg_write_server_files",
    "pg_read_all_data",
    "pg_write_all_data",
];

/// The powers of role `name` beyond an ordinary role's: its own
/// SUPERUSER, CREATEROLE, REPLICATION and BYPASSRLS, and memberships,
/// direct or through groups, in a superuser role (`SET ROLE` reaches it)
/// or in one of [`POWERFUL_GROUPS`]. Empty for an ordinary role.
pub(crate) fn powers(roles: &BTreeMap<String, Role>, name: &str) -> Vec<String> {
    let Some(role) = roles.get(name) else {
        return Vec::new();
    };
    let attributes = &role.attributes;
    let mut out: Vec<String> = [
        (attributes.superuser, "SUPERUSER"),
        (attributes.createrole, "CREATEROLE"),
        (attributes.replication, "REPLICATION"),
        (attributes.bypassrls, "BYPASSRLS"),
    ]
    .into_iter()
    .filter(|(has, _)| *has)
    .map(|(_, power)| power.to_owned())
    .collect();
    let mut seen: BTreeSet<&str> = BTreeSet::from([name]);
    let mut queue: Vec<&str> = role.member_of.keys().map(String::as_str).collect();
    while let Some(group) = queue.pop() {
        if !seen.insert(group) {
            continue;
        }
        let superuser = roles.get(group).is_some_and(|g| g.attributes.superuser);
        if superuser {
            out.push(format!("membership in superuser {group}"));
        } else if POWERFUL_GROUPS.contains(&group) {
            out.push(format!("membership in {group}"));
        }
        if let Some(role) = roles.get(group) {
            queue.extend(role.member_of.keys().map(String::as_str));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Membership;

    fn role(name: &str, member_of: &[&str]) -> (String, Role) {
        let mut role = Role::new(name);
        for group in member_of {
            role.member_of
                .insert((*group).to_owned(), Membership::default());
        }
        (name.to_owned(), role)
    }

    #[test]
    fn attributes_and_memberships_through_groups() {
        let mut roles: BTreeMap<String, Role> = [
            role("postgres", &[]),
            role("ops", &["pg_write_server_files", "postgres"]),
            role("pg_write_server_files", &[]),
            role("intruder", &["ops"]),
            role("plain", &["ops_readers"]),
            role("ops_readers", &[]),
        ]
        .into_iter()
        .collect();
        roles.get_mut("postgres").unwrap().attributes.superuser = true;
        roles.get_mut("intruder").unwrap().attributes.createrole = true;
        let mut found = powers(&roles, "intruder");
        found.sort();
        assert_eq!(
            found,
            [
                "CREATEROLE",
                "membership in pg_write_server_files",
                "membership in superuser postgres"
            ]
        );
        assert!(powers(&roles, "plain").is_empty());
        assert_eq!(powers(&roles, "postgres"), ["SUPERUSER"]);
        assert!(powers(&roles, "nobody").is_empty());
    }

    #[test]
    fn membership_cycles_end() {
        let roles: BTreeMap<String, Role> =
            [role("a", &["b"]), role("b", &["a"])].into_iter().collect();
        assert!(powers(&roles, "a").is_empty());
    }
}
