//! Role memberships (`member_of`): authoritative for each declared role.

use super::DiffInput;
use crate::model::{Membership, Role};
use crate::plan::{AttributeChange, Change};
use crate::sql::roles as sql;

/// Adds to `change` what makes `live`'s memberships equal `desired`'s.
pub(super) fn diff_member_of(
    input: &DiffInput<'_>,
    desired: &Role,
    live: Option<&Role>,
    change: &mut Change,
) {
    let with_options = input.facts.has_membership_options();
    let empty = Default::default();
    let live_groups = live.map(|l| &l.member_of).unwrap_or(&empty);
    for (group, wanted) in &desired.member_of {
        let wanted = effective(wanted, desired, with_options);
        // Built only for a difference: most memberships have none.
        let address = || format!("member_of.{group}");
        match live_groups.get(group) {
            None => {
                change.attributes.push(AttributeChange::new(
                    &address(),
                    None,
                    Some(describe(&wanted)),
                ));
                change.statements.push(sql::grant_membership(
                    group,
                    &desired.name,
                    &wanted,
                    with_options,
                ));
            }
            Some(current) => {
                let current = effective(current, desired, with_options);
                if current == wanted {
                    continue;
                }
                change.attributes.push(AttributeChange::new(
                    &address(),
                    Some(describe(&current)),
                    Some(describe(&wanted)),
                ));
                if current.admin && !wanted.admin {
                    change
                        .statements
                        .push(sql::revoke_admin_option(group, &desired.name));
                }
                let other_options_differ =
                    current.inherit != wanted.inherit || current.set != wanted.set;
                if (wanted.admin && !current.admin) || (with_options && other_options_differ) {
                    change.statements.push(sql::grant_membership(
                        group,
                        &desired.name,
                        &wanted,
                        with_options,
                    ));
                }
            }
        }
    }
    let implicit = live.map(|l| &l.implicit_admin_of);
    for (group, current) in live_groups {
        if !desired.member_of.contains_key(group)
            && !implicit.is_some_and(|implicit| implicit.contains(group))
        {
            let current = effective(current, desired, with_options);
            change.attributes.push(AttributeChange::new(
                &format!("member_of.{group}"),
                Some(describe(&current)),
                None,
            ));
            change
                .statements
                .push(sql::revoke_membership(group, &desired.name));
        }
    }
}

/// The options as the server will hold them: before PostgreSQL 16 only
/// ADMIN exists; from 16 an unspecified INHERIT follows the member's INHERIT
/// attribute and an unspecified SET is true.
fn effective(membership: &Membership, member: &Role, with_options: bool) -> Membership {
    if !with_options {
        return Membership {
            admin: membership.admin,
            inherit: None,
            set: None,
        };
    }
    Membership {
        admin: membership.admin,
        inherit: Some(membership.inherit.unwrap_or(member.attributes.inherit)),
        set: Some(membership.set.unwrap_or(true)),
    }
}

fn describe(m: &Membership) -> String {
    let mut options = vec![format!("admin={}", m.admin)];
    if let Some(inherit) = m.inherit {
        options.push(format!("inherit={inherit}"));
    }
    if let Some(set) = m.set {
        options.push(format!("set={set}"));
    }
    options.join(" ")
}
