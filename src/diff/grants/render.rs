//! One group's differences → one change: attributes summarised per
//! privilege (counts and a few names, so 2,000 tables make one line), and
//! statements that grant many objects at once.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::{DefaultKey, Group, GroupKey, SortedPrivileges};
use crate::model::{ObjectKind, ObjectRef, PUBLIC};
use crate::plan::{Action, AttributeChange, Change, Need, Statement, address};
use crate::sql::grants::{self as sql, DefaultScope, OBJECTS_PER_STATEMENT};
use crate::text::thousands;

/// Names shown per attribute before "…".
const NAMES_SHOWN: usize = 3;

pub(super) fn display_object(object: &ObjectRef) -> String {
    match (object.kind, &object.schema, &object.column) {
        (ObjectKind::Database, ..) => format!("database {}", object.name),
        (ObjectKind::Schema, ..) => format!("schema {}", object.name),
        (_, Some(schema), Some(column)) => format!("{schema}.{}({column})", object.name),
        (_, Some(schema), None) => format!("{schema}.{}", object.name),
        (_, None, _) => object.name.clone(),
    }
}

/// One (object, privilege) pair and what happens to it.
type ObjectMove<'a> = (&'a ObjectRef, &'a str, Move);

/// What happens to one (object, privilege) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Move {
    Grant { grantable: bool },
    AddGrantOption,
    DropGrantOption,
    Revoke { cascade: bool },
}

/// Within a group the grantee is fixed, so keys compare directly.
/// The moves from `live` to `desired`, both sorted by key: one merge.
/// Grants and grant option changes come in key order, then the revokes.
fn moves<'a>(
    desired: &'a SortedPrivileges<'_>,
    live: &'a SortedPrivileges<'_>,
) -> Vec<ObjectMove<'a>> {
    let mut out = Vec::new();
    let mut revokes = Vec::new();
    let (mut wanted, mut held) = (desired.iter().peekable(), live.iter().peekable());
    loop {
        match (wanted.peek(), held.peek()) {
            (Some((want_key, want)), Some((held_key, has))) => match want_key.cmp(held_key) {
                Ordering::Less => {
                    out.push((&*want_key.0, want_key.2, Move::Grant { grantable: *want }));
                    wanted.next();
                }
                Ordering::Greater => {
                    revokes.push((&*held_key.0, held_key.2, Move::Revoke { cascade: *has }));
                    held.next();
                }
                Ordering::Equal => {
                    if *want && !*has {
                        out.push((&*want_key.0, want_key.2, Move::AddGrantOption));
                    } else if !*want && *has {
                        out.push((&*want_key.0, want_key.2, Move::DropGrantOption));
                    }
                    wanted.next();
                    held.next();
                }
            },
            (Some((want_key, want)), None) => {
                out.push((&*want_key.0, want_key.2, Move::Grant { grantable: *want }));
                wanted.next();
            }
            (None, Some((held_key, has))) => {
                revokes.push((&*held_key.0, held_key.2, Move::Revoke { cascade: *has }));
                held.next();
            }
            (None, None) => break,
        }
    }
    out.extend(revokes);
    out
}

pub(super) fn change(key: &GroupKey, group: &Group<'_>, version_num: u32) -> Option<Change> {
    let object_moves = moves(&group.desired, &group.live);
    let default_moves = default_moves(group);
    if object_moves.is_empty() && default_moves.is_empty() {
        return None;
    }
    let action = if group.live.is_empty() && group.live_defaults.is_empty() {
        Action::Create
    } else if group.desired.is_empty() && group.desired_defaults.is_empty() {
        Action::Delete
    } else {
        Action::Update
    };
    let mut change = Change::new(key.address(), action);
    change.destructive = false; // a revoked privilege is restored by another apply
    attributes(key, group, &object_moves, version_num, &mut change);
    statements(key, &object_moves, &mut change);
    default_attributes(&default_moves, &mut change);
    default_statements(&default_moves, &mut change);
    record_needs(key, group, &mut change);
    Some(change)
}

/// One attribute per scope of future objects: the privileges granted
/// together on one line (`future tables of app_owner in app = SELECT,
/// INSERT, UPDATE, DELETE`), those revoked on another, and a line per grant
/// option change.
fn default_attributes(default_moves: &[(&DefaultKey, &String, Move)], change: &mut Change) {
    // (attribute name, revoked, granted, plain, canonical order): plain
    // grants and revokes of one scope accumulate; a grant option change
    // stands alone.
    type Line = (
        String,
        Vec<String>,
        Vec<String>,
        bool,
        &'static [&'static str],
    );
    let mut lines: Vec<Line> = Vec::new();
    for (scope, privilege, m) in default_moves {
        let owner_schema = match &scope.schema {
            Some(schema) => format!("{} in {schema}", scope.owner),
            None => scope.owner.clone(),
        };
        let name = format!(
            "future {} of {owner_schema}",
            scope.kind.sql_keyword().to_lowercase()
        );
        let (before, after) = match m {
            Move::Grant { .. } => (None, Some(privilege.to_string())),
            Move::Revoke { .. } => (Some(privilege.to_string()), None),
            Move::AddGrantOption => (
                Some(privilege.to_string()),
                Some(format!("{privilege} WITH GRANT OPTION")),
            ),
            Move::DropGrantOption => (
                Some(format!("{privilege} WITH GRANT OPTION")),
                Some(privilege.to_string()),
            ),
        };
        let plain = matches!(m, Move::Grant { .. } | Move::Revoke { .. });
        match lines.last_mut() {
            Some((last, revoked, granted, true, _))
                if plain && *last == name && revoked.is_empty() == before.is_none() =>
            {
                revoked.extend(before);
                granted.extend(after);
            }
            _ => lines.push((
                name,
                before.into_iter().collect(),
                after.into_iter().collect(),
                plain,
                scope.kind.object_kind().privileges(u32::MAX),
            )),
        }
    }
    for (name, revoked, granted, _, order) in lines {
        let joined = |mut list: Vec<String>| {
            // In the order PostgreSQL lists them (SELECT, INSERT, …).
            list.sort_by_key(|p| order.iter().position(|c| p.starts_with(c)));
            (!list.is_empty()).then(|| list.join(", "))
        };
        change.attributes.push(AttributeChange::new(
            &name,
            joined(revoked),
            joined(granted),
        ));
    }
}

/// The grantee, the database and schema the objects are in, and the
/// owners whose future objects the default privileges cover: a targeted
/// grant creates them along with it.
fn record_needs(key: &GroupKey, group: &Group<'_>, change: &mut Change) {
    change.need(Need::inside(address::database(&key.database)));
    if let Some(schema) = &key.schema {
        change.need(Need::inside(address::schema(&key.database, schema)));
    }
    if key.grantee != PUBLIC {
        change.need(Need::names(address::role(&key.grantee)));
    }
    for (default, _) in group.desired_defaults.keys() {
        change.need(Need::names(address::role(&default.owner)));
    }
}

/// One attribute per privilege: how many objects hold it before and after,
/// with the names of those that change.
fn attributes(
    key: &GroupKey,
    group: &Group<'_>,
    moves: &[ObjectMove<'_>],
    version_num: u32,
    change: &mut Change,
) {
    let order = key.kind.privileges(version_num);
    let mut by_privilege: BTreeMap<usize, (&str, Vec<&ObjectMove<'_>>)> = BTreeMap::new();
    for m in moves {
        let rank = order.iter().position(|p| *p == m.1).unwrap_or(usize::MAX);
        by_privilege
            .entry(rank)
            .or_insert((m.1, Vec::new()))
            .1
            .push(m);
    }
    let single = matches!(key.kind, ObjectKind::Database | ObjectKind::Schema);
    for (privilege, list) in by_privilege.values() {
        if single {
            let state = |grantable: bool| {
                if grantable {
                    "granted WITH GRANT OPTION"
                } else {
                    "granted"
                }
                .to_owned()
            };
            let (before, after) = match list[0].2 {
                Move::Grant { grantable } => (None, Some(state(grantable))),
                Move::Revoke { cascade } => (Some(state(cascade)), None),
                Move::AddGrantOption => (Some(state(false)), Some(state(true))),
                Move::DropGrantOption => (Some(state(true)), Some(state(false))),
            };
            change
                .attributes
                .push(AttributeChange::new(privilege, before, after));
            continue;
        }
        let count = |side: &SortedPrivileges<'_>| {
            side.iter().filter(|((_, _, p), _)| p == privilege).count()
        };
        let (before, after) = (count(&group.live), count(&group.desired));
        let noun = key.kind.plural();
        let added: Vec<String> = list
            .iter()
            .filter(|m| matches!(m.2, Move::Grant { .. }))
            .map(|m| display_object(m.0))
            .collect();
        let removed: Vec<String> = list
            .iter()
            .filter(|m| matches!(m.2, Move::Revoke { .. }))
            .map(|m| display_object(m.0))
            .collect();
        if !added.is_empty() {
            change
                .details
                .push(format!("{privilege} granted on: {}", added.join(", ")));
        }
        if !removed.is_empty() {
            change
                .details
                .push(format!("{privilege} revoked on: {}", removed.join(", ")));
        }
        let options = list.len() - added.len() - removed.len();
        let mut detail = Vec::new();
        if !added.is_empty() {
            detail.push(format!("+{}: {}", thousands(added.len()), sample(&added)));
        }
        if !removed.is_empty() {
            detail.push(format!(
                "-{}: {}",
                thousands(removed.len()),
                sample(&removed)
            ));
        }
        if options > 0 {
            detail.push(format!("grant option changes on {}", thousands(options)));
        }
        let shown = |n: usize| (n > 0).then(|| format!("{} {noun}", thousands(n)));
        let detail = format!("({})", detail.join("; "));
        let (before, after) = match (shown(before), shown(after)) {
            (before, Some(after)) => (before, Some(format!("{after} {detail}"))),
            (Some(before), None) => (Some(format!("{before} {detail}")), None),
            (None, None) => (None, None),
        };
        change
            .attributes
            .push(AttributeChange::new(privilege, before, after));
    }
}

fn sample(names: &[String]) -> String {
    if names.len() <= NAMES_SHOWN {
        names.join(", ")
    } else {
        format!("{}, …", names[..NAMES_SHOWN].join(", "))
    }
}

/// Statements for object moves: objects needing the same privileges in the
/// same way share a statement (up to a chunk size).
fn statements(key: &GroupKey, moves: &[ObjectMove<'_>], change: &mut Change) {
    let grantee = key.grantee.as_str();
    // (move kind) → object → privileges
    let mut plan: BTreeMap<(u8, bool), BTreeMap<&ObjectRef, Vec<String>>> = BTreeMap::new();
    for (object, privilege, m) in moves {
        let slot = match m {
            Move::Grant { grantable } => (0, *grantable),
            Move::AddGrantOption => (0, true),
            Move::DropGrantOption => (1, true),
            Move::Revoke { cascade } => (2, *cascade),
        };
        plan.entry(slot)
            .or_default()
            .entry(object)
            .or_default()
            .push((*privilege).to_owned());
    }
    for ((kind, flag), objects) in plan {
        if key.kind == ObjectKind::Column {
            column_statements(grantee, kind, flag, &objects, change);
            continue;
        }
        let mut by_privileges: BTreeMap<Vec<String>, Vec<&ObjectRef>> = BTreeMap::new();
        for (object, mut privileges) in objects {
            privileges.sort();
            by_privileges.entry(privileges).or_default().push(object);
        }
        for (privileges, objects) in by_privileges {
            for chunk in objects.chunks(OBJECTS_PER_STATEMENT) {
                let statement: Option<Statement> = match kind {
                    0 => sql::grant(chunk, &privileges, grantee, flag),
                    1 => sql::revoke(chunk, &privileges, grantee, true, true),
                    _ => sql::revoke(chunk, &privileges, grantee, false, flag),
                };
                change.statements.extend(statement);
            }
        }
    }
}

/// Column privileges go table by table: `GRANT SELECT (a, b) ON t`.
fn column_statements(
    grantee: &str,
    kind: u8,
    flag: bool,
    objects: &BTreeMap<&ObjectRef, Vec<String>>,
    change: &mut Change,
) {
    let mut tables: BTreeMap<ObjectRef, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (object, privileges) in objects {
        let table = ObjectRef {
            column: None,
            ..(*object).clone()
        };
        for privilege in privileges {
            let columns = tables
                .entry(table.clone())
                .or_default()
                .entry(privilege.clone())
                .or_default();
            columns.extend(object.column.clone());
        }
    }
    for (table, privileges) in tables {
        let list: Vec<(String, Vec<String>)> = privileges.into_iter().collect();
        let statement = match kind {
            0 => sql::columns(&table, &list, grantee, true, false, flag),
            1 => sql::columns(&table, &list, grantee, false, true, false),
            _ => sql::columns(&table, &list, grantee, false, false, false),
        };
        change.statements.push(statement);
    }
}

fn default_moves<'g>(group: &'g Group<'_>) -> Vec<(&'g DefaultKey, &'g String, Move)> {
    let mut out = Vec::new();
    for ((key, privilege), wanted) in &group.desired_defaults {
        match group.live_defaults.get(&(key.clone(), privilege.clone())) {
            None => out.push((key, privilege, Move::Grant { grantable: *wanted })),
            Some(held) if *wanted && !*held => out.push((key, privilege, Move::AddGrantOption)),
            Some(held) if !*wanted && *held => out.push((key, privilege, Move::DropGrantOption)),
            Some(_) => {}
        }
    }
    for ((key, privilege), held) in &group.live_defaults {
        if !group
            .desired_defaults
            .contains_key(&(key.clone(), privilege.clone()))
        {
            out.push((key, privilege, Move::Revoke { cascade: *held }));
        }
    }
    out
}

fn default_statements(moves: &[(&DefaultKey, &String, Move)], change: &mut Change) {
    let mut plan: BTreeMap<(&DefaultKey, bool, bool), Vec<String>> = BTreeMap::new();
    for (key, privilege, m) in moves {
        let (grant, option) = match m {
            Move::Grant { grantable } => (true, *grantable),
            Move::AddGrantOption => (true, true),
            Move::DropGrantOption => (false, true),
            Move::Revoke { .. } => (false, false),
        };
        plan.entry((*key, grant, option))
            .or_default()
            .push((*privilege).to_owned());
    }
    for ((key, grant, option), privileges) in plan {
        let scope = DefaultScope {
            database: &key.database,
            owner: &key.owner,
            schema: key.schema.as_deref(),
            kind: key.kind,
            grantee: &key.grantee,
        };
        change
            .statements
            .push(sql::default_privileges(&scope, &privileges, grant, option));
    }
}
