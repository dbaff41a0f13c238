//! Privileges and default privileges: declared grants are expanded against
//! the live objects, and for every managed grantee the result is the
//! complete set — what is missing is granted, what is extra is revoked.

mod expand;
mod render;

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use super::{Diff, DiffError, DiffInput};
use crate::model::{DefaultKind, ObjectKind, ObjectRef, PUBLIC};

/// (object, grantee, privilege), borrowed from the declared and live
/// states wherever they hold them: at 10,000 tables each side has about
/// 100,000 privileges, and three allocations each dominated the diff.
pub(super) type PrivilegeKey<'a> = (Cow<'a, ObjectRef>, &'a str, &'a str);

/// Privileges and whether they are grantable, sorted by [`group_order`]
/// without duplicates.
pub(super) type PrivilegeList<'a> = Vec<(PrivilegeKey<'a>, bool)>;

/// Who owns the default privileges, where, for which kind, to whom.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct DefaultKey {
    pub database: String,
    pub owner: String,
    pub schema: Option<String>,
    pub kind: DefaultKind,
    pub grantee: String,
}

/// (default privileges key, privilege) → grantable.
pub(super) type DefaultMap = BTreeMap<(DefaultKey, String), bool>;

/// The changes for one grantee on one group of objects are shown as one
/// change: a database, a schema, or one kind of object in one schema.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct GroupKey {
    pub grantee: String,
    pub database: String,
    pub schema: Option<String>,
    pub kind: ObjectKind,
}

/// The schema an object's group is in: the schema itself for a schema,
/// none for a database.
fn group_schema(object: &ObjectRef) -> Option<&str> {
    match object.kind {
        ObjectKind::Database => None,
        ObjectKind::Schema => Some(&object.name),
        _ => object.schema.as_deref(),
    }
}

/// Orders privileges by group (in [`GroupKey`] order), then by object and
/// privilege: each group is one run, and within it the order is that of
/// (object, grantee, privilege).
pub(super) fn group_order(a: &PrivilegeKey<'_>, b: &PrivilegeKey<'_>) -> Ordering {
    let ((a_object, a_grantee, a_privilege), (b_object, b_grantee, b_privilege)) = (a, b);
    a_grantee
        .cmp(b_grantee)
        .then_with(|| a_object.database.cmp(&b_object.database))
        .then_with(|| group_schema(a_object).cmp(&group_schema(b_object)))
        .then_with(|| a_object.kind.cmp(&b_object.kind))
        .then_with(|| a_object.cmp(b_object))
        .then_with(|| a_privilege.cmp(b_privilege))
}

/// Sorts `list` by [`group_order`] and merges duplicates (grantable when
/// any copy is). Privileges are collected in runs that are already sorted,
/// which the sort merges in linear time.
pub(super) fn sort_privileges(list: &mut PrivilegeList<'_>) {
    list.sort_by(|a, b| group_order(&a.0, &b.0));
    list.dedup_by(|later, first| {
        let same = later.0 == first.0;
        if same {
            first.1 |= later.1;
        }
        same
    });
}

/// `grantable` of `key` in `list` (sorted by [`group_order`]), if there.
pub(super) fn find_privilege(list: &PrivilegeList<'_>, key: &PrivilegeKey<'_>) -> Option<bool> {
    list.binary_search_by(|(probe, _)| group_order(probe, key))
        .ok()
        .map(|i| list[i].1)
}

impl GroupKey {
    fn of_object(object: &ObjectRef, grantee: &str) -> Self {
        GroupKey {
            grantee: grantee.to_owned(),
            database: object.database.clone(),
            schema: group_schema(object).map(str::to_owned),
            kind: object.kind,
        }
    }

    /// Whether `grantee`'s privileges on `object` belong to this group.
    fn holds(&self, object: &ObjectRef, grantee: &str) -> bool {
        self.grantee == grantee
            && self.database == object.database
            && self.kind == object.kind
            && self.schema.as_deref() == group_schema(object)
    }

    fn of_default(key: &DefaultKey) -> Self {
        GroupKey {
            grantee: key.grantee.clone(),
            database: key.database.clone(),
            schema: key.schema.clone(),
            kind: key.kind.object_kind(),
        }
    }

    pub(super) fn address(&self) -> String {
        match (self.kind, &self.schema) {
            (ObjectKind::Database, _) => format!("grant.{}.{}", self.grantee, self.database),
            (ObjectKind::Schema, Some(schema)) => {
                format!("grant.{}.{}.{schema}", self.grantee, self.database)
            }
            (kind, schema) => format!(
                "grant.{}.{}.{}.{}",
                self.grantee,
                self.database,
                schema.as_deref().unwrap_or("*"),
                kind.plural()
            ),
        }
    }
}

/// (object, grantee, privilege) and grantable, sorted by key.
pub(super) type SortedPrivileges<'a> = Vec<(PrivilegeKey<'a>, bool)>;

/// What one group holds on each side. The object privileges are moved in
/// as runs of lists sorted by [`group_order`], so each side is sorted and
/// the two are compared in one merge, without building a map per group.
#[derive(Debug, Default)]
pub(super) struct Group<'a> {
    pub desired: SortedPrivileges<'a>,
    pub live: SortedPrivileges<'a>,
    pub desired_defaults: DefaultMap,
    pub live_defaults: DefaultMap,
}

/// Both sides in one shape.
#[derive(Debug, Default)]
pub(super) struct PrivilegeSets<'a> {
    pub privileges: PrivilegeList<'a>,
    pub defaults: DefaultMap,
}

pub(super) fn diff_grants<'a>(input: &DiffInput<'a>, out: &mut Diff) -> Result<(), DiffError> {
    let desired = expand::desired(input, &mut out.warnings)?;
    let live = live_in_scope(input);
    expand::check_can_grant(input, &desired, &live)?;

    let mut groups: BTreeMap<GroupKey, Group<'a>> = BTreeMap::new();
    fill_groups(&mut groups, desired.privileges, |group| &mut group.desired);
    fill_groups(&mut groups, live.privileges, |group| &mut group.live);
    for ((key, privilege), grantable) in desired.defaults {
        groups
            .entry(GroupKey::of_default(&key))
            .or_default()
            .desired_defaults
            .insert((key, privilege), grantable);
    }
    for ((key, privilege), grantable) in live.defaults {
        groups
            .entry(GroupKey::of_default(&key))
            .or_default()
            .live_defaults
            .insert((key, privilege), grantable);
    }
    for (key, group) in &groups {
        out.changes
            .extend(render::change(key, group, input.facts.version_num));
    }
    Ok(())
}

/// Moves `list` (sorted by [`group_order`]) into the groups, one run per
/// group: one key and one lookup per group, not per privilege, and each
/// run moved with one reservation (runs are measured first).
fn fill_groups<'a>(
    groups: &mut BTreeMap<GroupKey, Group<'a>>,
    list: PrivilegeList<'a>,
    side: for<'g> fn(&'g mut Group<'a>) -> &'g mut SortedPrivileges<'a>,
) {
    let mut runs: Vec<(GroupKey, usize)> = Vec::new();
    let mut start = 0;
    while let Some(((object, grantee, _), _)) = list.get(start) {
        let key = GroupKey::of_object(object, grantee);
        let length = 1 + list[start + 1..]
            .iter()
            .take_while(|((object, grantee, _), _)| key.holds(object, grantee))
            .count();
        runs.push((key, length));
        start += length;
    }
    let mut items = list.into_iter();
    for (key, length) in runs {
        let group = side(groups.entry(key).or_default());
        group.reserve(length);
        group.extend(items.by_ref().take(length));
    }
}

/// Live privileges pgfort is authoritative for: those of declared roles,
/// and PUBLIC's on declared databases and their schemas when
/// `public_privileges` is on.
fn live_in_scope<'a>(input: &DiffInput<'a>) -> PrivilegeSets<'a> {
    let managed = |grantee: &str, object: &ObjectRef| {
        if super::pgbouncer_lookup::is_lookup_object(input.desired, object) {
            false
        } else if grantee == PUBLIC {
            input.manage.public_privileges
                && matches!(object.kind, ObjectKind::Database | ObjectKind::Schema)
                && input.desired.databases.contains_key(&object.database)
        } else {
            input.desired.roles.contains_key(grantee)
        }
    };
    let mut sets = PrivilegeSets::default();
    let catalogs = input.live.catalogs.values();
    let privileges = input
        .live
        .database_privileges
        .iter()
        .chain(catalogs.clone().flat_map(|c| c.privileges.iter()));
    // Read in object order; gathered per grantee, each grantee's share is
    // already close to group order, which the final sort merges cheaply.
    let mut by_grantee: HashMap<&str, PrivilegeList<'a>> = HashMap::new();
    for p in privileges {
        if managed(&p.grantee, &p.object) {
            by_grantee.entry(&p.grantee).or_default().push((
                (Cow::Borrowed(&p.object), &p.grantee, &p.privilege),
                p.grantable,
            ));
        }
    }
    let mut by_grantee: Vec<(&str, PrivilegeList<'a>)> = by_grantee.into_iter().collect();
    by_grantee.sort_unstable_by_key(|(grantee, _)| *grantee);
    sets.privileges = by_grantee.into_iter().flat_map(|(_, list)| list).collect();
    if input.manage.public_privileges {
        for database in input.desired.databases.keys() {
            if !input.live.databases.contains_key(database) {
                created_database_defaults(database, input.facts.version_num, &mut sets);
            }
        }
    }
    sort_privileges(&mut sets.privileges);
    for d in catalogs.flat_map(|c| c.default_privileges.iter()) {
        if d.grantee != PUBLIC && input.desired.roles.contains_key(&d.grantee) {
            let key = DefaultKey {
                database: d.database.clone(),
                owner: d.owner.clone(),
                schema: d.schema.clone(),
                kind: d.kind,
                grantee: d.grantee.clone(),
            };
            sets.defaults
                .insert((key, d.privilege.clone()), d.grantable);
        }
    }
    sets
}

/// What PUBLIC holds on a database `CREATE DATABASE` makes (CONNECT and
/// TEMPORARY) and on its schema public (USAGE, and CREATE before
/// PostgreSQL 15): there is no live catalog to read yet, but what is not
/// declared must still be revoked in the same apply.
fn created_database_defaults(database: &str, version_num: u32, sets: &mut PrivilegeSets<'_>) {
    let object = |kind: ObjectKind, name: &str| ObjectRef {
        kind,
        database: database.to_owned(),
        schema: None,
        name: name.to_owned(),
        column: None,
    };
    let mut add = |object: ObjectRef, privilege: &'static str| {
        sets.privileges
            .push(((Cow::Owned(object), PUBLIC, privilege), false));
    };
    add(object(ObjectKind::Database, database), "CONNECT");
    add(object(ObjectKind::Database, database), "TEMPORARY");
    add(object(ObjectKind::Schema, "public"), "USAGE");
    if version_num < 150_000 {
        add(object(ObjectKind::Schema, "public"), "CREATE");
    }
}

#[cfg(test)]
mod tests;
