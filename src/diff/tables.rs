//! Declared tables: row-level security, owner, comment. pgfort does not
//! create tables, so a declared table that does not exist is an error.
//! Also says who the policies do not apply to (notes) and which policies
//! have no effect (warnings).

use std::collections::{BTreeMap, BTreeSet};

use super::settings::quoted;
use super::{Diff, DiffError, DiffInput};
use crate::model::{Role, RowLevelSecurity, Table};
use crate::plan::{Action, AttributeChange, Change, Need, address};
use crate::sql::policies as sql;

pub(super) fn diff_tables(input: &DiffInput<'_>, out: &mut Diff) -> Result<(), DiffError> {
    check_tables_exist(input)?;
    for (database, catalog) in &input.desired.catalogs {
        let Some(live_catalog) = input.live.catalogs.get(database) else {
            continue;
        };
        for (name, desired) in &catalog.tables {
            let Some(live) = live_catalog.tables.get(name) else {
                continue;
            };
            out.changes.extend(update(desired, live).map(|mut change| {
                change.need(Need::inside(address::database(database)));
                change.need(Need::inside(address::schema(database, &name.schema)));
                if let Some(owner) = &desired.owner {
                    change.need(Need::names(address::role(owner)));
                }
                change
            }));
            let rls = desired.row_level_security.or(live.row_level_security);
            let has_policies = catalog.policies.keys().any(|(table, _)| table == name);
            if rls == Some(RowLevelSecurity::Disabled) && has_policies {
                out.warnings.push(format!(
                    "the policies on table {database}.{name} have no effect: row level security is disabled on it (set row_level_security = true)"
                ));
            }
            if let Some(rls) = rls.filter(|rls| *rls != RowLevelSecurity::Disabled) {
                let owner = desired.owner.as_ref().or(live.owner.as_ref());
                out.notes.push(bypass_note(input, desired, rls, owner));
            }
        }
    }
    Ok(())
}

/// Every declared table must exist: pgfort manages tables' security, not
/// their columns, so it cannot create one.
fn check_tables_exist(input: &DiffInput<'_>) -> Result<(), DiffError> {
    let mut missing: Vec<(&Table, &str)> = Vec::new();
    for (database, catalog) in &input.desired.catalogs {
        let live = input.live.catalogs.get(database);
        let why = match (live, input.live.databases.get(database)) {
            (Some(_), _) => "does not exist",
            (None, Some(db)) if !db.allow_connections => {
                "cannot be checked: its database does not accept connections"
            }
            (None, _) => "does not exist: its database does not exist yet",
        };
        for (name, table) in &catalog.tables {
            if live.is_none_or(|live| !live.tables.contains_key(name)) {
                missing.push((table, why));
            }
        }
    }
    let Some((first, why)) = missing.first() else {
        return Ok(());
    };
    let origin = first
        .origin
        .as_deref()
        .map(|origin| format!(" (declared at {origin})"))
        .unwrap_or_default();
    let more = match missing.len() {
        1 => String::new(),
        n => format!("; {} more declared tables are missing too", n - 1),
    };
    Err(DiffError {
        message: format!(
            "table {}.{}{origin} {why}{more}",
            first.database, first.table
        ),
        hint: Some(
            "pgfort manages the security of existing tables but does not create them: \
             create the table first (e.g. with your migrations), or remove its table block"
                .to_owned(),
        ),
    })
}

fn update(desired: &Table, live: &Table) -> Option<Change> {
    let database = &desired.database;
    let name = &desired.table;
    let mut change = Change::new(format!("table.{database}.{name}"), Action::Update);
    if let Some(rls) = desired.row_level_security
        && live.row_level_security != Some(rls)
    {
        change.attributes.push(AttributeChange::new(
            "row_level_security",
            live.row_level_security.map(|r| r.as_config().to_owned()),
            Some(rls.as_config().to_owned()),
        ));
        change.statements.extend(sql::row_level_security(
            database,
            name,
            live.row_level_security,
            rls,
        ));
    }
    if let Some(owner) = &desired.owner
        && live.owner.as_ref() != Some(owner)
    {
        change.attributes.push(AttributeChange::new(
            "owner",
            live.owner.clone(),
            Some(owner.clone()),
        ));
        change
            .statements
            .push(sql::table_owner(database, name, owner));
    }
    if let Some(comment) = &desired.comment
        && live.comment.as_ref() != Some(comment)
    {
        change.attributes.push(AttributeChange::new(
            "comment",
            live.comment.as_deref().map(quoted),
            Some(quoted(comment)),
        ));
        change
            .statements
            .push(sql::table_comment(database, name, Some(comment)));
    }
    (!change.statements.is_empty()).then_some(change)
}

/// Who the table's policies will not apply to after the apply:
/// superusers, BYPASSRLS roles, and unless forced the owner and the roles
/// that inherit its privileges.
fn bypass_note(
    input: &DiffInput<'_>,
    table: &Table,
    rls: RowLevelSecurity,
    owner: Option<&String>,
) -> String {
    // Declared roles as they will be, the others as they are.
    let mut roles: BTreeMap<&str, &Role> = input
        .live
        .roles
        .iter()
        .map(|(name, role)| (name.as_str(), role))
        .collect();
    roles.extend(input.desired.roles.iter().map(|(n, r)| (n.as_str(), r)));
    let superusers: Vec<&str> = roles
        .values()
        .filter(|r| r.attributes.superuser)
        .map(|r| r.name.as_str())
        .collect();
    let bypassrls: Vec<&str> = roles
        .values()
        .filter(|r| r.attributes.bypassrls && !r.attributes.superuser)
        .map(|r| r.name.as_str())
        .collect();
    let mut parts = Vec::new();
    if !superusers.is_empty() {
        parts.push(format!("superusers ({})", superusers.join(", ")));
    }
    if !bypassrls.is_empty() {
        parts.push(format!("roles with BYPASSRLS ({})", bypassrls.join(", ")));
    }
    if rls == RowLevelSecurity::Enabled
        && let Some(owner) = owner
    {
        let members = inheriting_members(&roles, owner);
        let with_members = if members.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = members.into_iter().collect();
            format!(
                " and the roles that inherit its privileges ({})",
                names.join(", ")
            )
        };
        parts.push(format!(
            "its owner {owner}{with_members}, as row_level_security is not \"force\""
        ));
    }
    format!(
        "table {}.{}: row level security policies do not apply to {}",
        table.database,
        table.table,
        join_words(&parts)
    )
}

/// Roles that hold `owner`'s privileges through inheriting memberships,
/// directly or through other roles.
fn inheriting_members<'a>(roles: &BTreeMap<&'a str, &'a Role>, owner: &str) -> BTreeSet<&'a str> {
    let mut found: BTreeSet<&'a str> = BTreeSet::new();
    let mut frontier = vec![owner.to_owned()];
    while let Some(group) = frontier.pop() {
        for (name, role) in roles {
            let inherits = role
                .member_of
                .get(&group)
                .is_some_and(|membership| membership.inherit.unwrap_or(role.attributes.inherit));
            if inherits && *name != owner && found.insert(name) {
                frontier.push((*name).to_owned());
            }
        }
    }
    found
}

/// `a`, `a and b`, `a, b and c`.
fn join_words(parts: &[String]) -> String {
    match parts {
        [] => "no one".to_owned(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
