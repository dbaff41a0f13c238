//! Privileges and default privileges: declared grants are expanded against
//! the live objects, and for every managed grantee the result is the
//! complete set — what is missing is granted, what is extra is revoked.

mod expand;
mod render;

use std::collections::BTreeMap;

use super::{Diff, DiffError, DiffInput};
use crate::model::{DefaultKind, ObjectKind, ObjectRef, PUBLIC};

/// (object, grantee, privilege) → grantable.
pub(super) type PrivilegeMap = BTreeMap<(ObjectRef, String, String), bool>;

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

impl GroupKey {
    fn of_object(object: &ObjectRef, grantee: &str) -> Self {
        let schema = match object.kind {
            ObjectKind::Database => None,
            ObjectKind::Schema => Some(object.name.clone()),
            _ => object.schema.clone(),
        };
        GroupKey {
            grantee: grantee.to_owned(),
            database: object.database.clone(),
            schema,
            kind: object.kind,
        }
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
pub(super) type SortedPrivileges = Vec<((ObjectRef, String, String), bool)>;

/// What one group holds on each side. The object privileges are filled
/// from the ordered maps in key order, so each side is sorted and the two
/// are compared in one merge, without building a map per group.
#[derive(Debug, Default)]
pub(super) struct Group {
    pub desired: SortedPrivileges,
    pub live: SortedPrivileges,
    pub desired_defaults: DefaultMap,
    pub live_defaults: DefaultMap,
}

/// Both sides in one shape.
#[derive(Debug, Default)]
pub(super) struct PrivilegeSets {
    pub privileges: PrivilegeMap,
    pub defaults: DefaultMap,
}

pub(super) fn diff_grants(input: &DiffInput<'_>, out: &mut Diff) -> Result<(), DiffError> {
    let desired = expand::desired(input, &mut out.warnings)?;
    let live = live_in_scope(input);
    expand::check_can_grant(input, &desired, &live)?;

    let mut groups: BTreeMap<GroupKey, Group> = BTreeMap::new();
    for ((object, grantee, privilege), grantable) in desired.privileges {
        let group = groups
            .entry(GroupKey::of_object(&object, &grantee))
            .or_default();
        group
            .desired
            .push(((object, grantee, privilege), grantable));
    }
    for ((object, grantee, privilege), grantable) in live.privileges {
        let group = groups
            .entry(GroupKey::of_object(&object, &grantee))
            .or_default();
        group.live.push(((object, grantee, privilege), grantable));
    }
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

/// Live privileges pgfort is authoritative for: those of declared roles,
/// and PUBLIC's on declared databases and their schemas when
/// `public_privileges` is on.
fn live_in_scope(input: &DiffInput<'_>) -> PrivilegeSets {
    let managed = |grantee: &str, object: &ObjectRef| {
        if grantee == PUBLIC {
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
    for p in privileges {
        if managed(&p.grantee, &p.object) {
            sets.privileges.insert(
                (p.object.clone(), p.grantee.clone(), p.privilege.clone()),
                p.grantable,
            );
        }
    }
    if input.manage.public_privileges {
        for database in input.desired.databases.keys() {
            if !input.live.databases.contains_key(database) {
                created_database_defaults(database, input.facts.version_num, &mut sets);
            }
        }
    }
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
fn created_database_defaults(database: &str, version_num: u32, sets: &mut PrivilegeSets) {
    let object = |kind: ObjectKind, name: &str| ObjectRef {
        kind,
        database: database.to_owned(),
        schema: None,
        name: name.to_owned(),
        column: None,
    };
    let mut add = |object: ObjectRef, privilege: &str| {
        sets.privileges
            .insert((object, PUBLIC.to_owned(), privilege.to_owned()), false);
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
