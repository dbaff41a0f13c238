//! Declared grants → exploded desired privileges, checked against the live
//! objects (they must exist) and the server version (privilege names).

use std::borrow::Cow;
use std::collections::BTreeSet;

use super::{DefaultKey, PrivilegeSets, find_privilege, sort_privileges};
use crate::diff::{DiffError, DiffInput};
use crate::model::{Grant, GrantTarget, ObjectKind, ObjectRef};
use crate::text::{NAMES_SHOWN, capped};

/// Owners whose default privileges are meaningless: nobody creates objects
/// as them.
const NEVER_OWNERS: &[&str] = &["pg_database_owner"];

pub(super) fn desired<'a>(
    input: &DiffInput<'a>,
    warnings: &mut Vec<String>,
) -> Result<PrivilegeSets<'a>, DiffError> {
    let mut sets = PrivilegeSets::default();
    for grant in &input.desired.grants {
        let kind = grant.on.object_kind();
        let privileges = privileges(grant, kind, input.facts.version_num)?;
        let objects = objects(input, &grant.on)?;
        for grantee in &grant.to {
            for (object, owner) in &objects {
                if owner.as_deref() == Some(grantee.as_str()) {
                    continue; // owners hold every privilege implicitly
                }
                for privilege in &privileges {
                    sets.privileges.push((
                        (object.clone(), grantee.as_str(), privilege),
                        grant.with_grant_option,
                    ));
                }
            }
        }
        if let GrantTarget::All {
            database,
            schemas,
            kind,
            owners,
        } = &grant.on
        {
            for schema in schemas {
                let creators = creators(input, database, schema, owners);
                if creators.is_empty() {
                    warnings.push(format!(
                        "{} created later in {database}.{schema} will not be covered: the schema is not declared \
                         with an owner and the grant names no `owners`",
                        kind.sql_keyword().to_lowercase()
                    ));
                }
                for owner in creators {
                    for grantee in grant.to.iter().filter(|g| **g != owner) {
                        let key = DefaultKey {
                            database: database.clone(),
                            owner: owner.clone(),
                            schema: Some(schema.clone()),
                            kind: *kind,
                            grantee: grantee.clone(),
                        };
                        for privilege in &privileges {
                            let entry = sets
                                .defaults
                                .entry((key.clone(), privilege.to_string()))
                                .or_default();
                            *entry |= grant.with_grant_option;
                        }
                    }
                }
            }
        }
    }
    sort_privileges(&mut sets.privileges);
    Ok(sets)
}

/// `ALL` expanded for the server version; unknown names rejected.
fn privileges(
    grant: &Grant,
    kind: ObjectKind,
    version_num: u32,
) -> Result<Vec<&'static str>, DiffError> {
    let valid = kind.privileges(version_num);
    let mut out = Vec::new();
    for privilege in &grant.privileges {
        if privilege == "ALL" {
            out.extend(valid);
        } else if let Some(known) = valid.iter().find(|p| **p == privilege) {
            out.push(*known);
        } else {
            return Err(DiffError {
                message: format!(
                    "privilege {privilege} does not exist on {} in PostgreSQL {} (grant to {})",
                    kind.plural(),
                    version_num / 10000,
                    grant.to.join(", ")
                ),
                hint: Some(format!("valid here: {}", valid.join(", "))),
            });
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// An object a grant covers, and its owner when known.
type Covered<'a> = (Cow<'a, ObjectRef>, Option<String>);

/// The objects a grant covers; those that exist are borrowed from the live
/// catalog.
fn objects<'a>(input: &DiffInput<'a>, target: &GrantTarget) -> Result<Vec<Covered<'a>>, DiffError> {
    let database = target.database();
    let live_catalog = input.live.catalogs.get(database);
    let desired_catalog = input.desired.catalogs.get(database);
    let object = |kind, schema: Option<&str>, name: &str| ObjectRef {
        kind,
        database: database.to_owned(),
        schema: schema.map(str::to_owned),
        name: name.to_owned(),
        column: None,
    };
    let schema_owner = |schema: &str| -> Result<Option<String>, DiffError> {
        let desired = desired_catalog.and_then(|c| c.schemas.get(schema));
        let live = live_catalog.and_then(|c| c.schemas.get(schema));
        match (desired, live) {
            (None, None) => Err(DiffError {
                message: format!(
                    "schema \"{schema}\" does not exist in database \"{database}\" and is not declared"
                ),
                hint: Some(format!(
                    "declare it: schema \"{schema}\" {{ database = \"{database}\" }}"
                )),
            }),
            (desired, live) => Ok(desired
                .and_then(|s| s.owner.clone())
                .or_else(|| live.and_then(|s| s.owner.clone()))),
        }
    };
    let live_owner = |object: &ObjectRef| live_catalog.and_then(|c| c.objects.get(object)).cloned();
    match target {
        GrantTarget::Database { database } => {
            let desired = input.desired.databases.get(database);
            let live = input.live.databases.get(database);
            if desired.is_none() && live.is_none() {
                return Err(DiffError {
                    message: format!("database \"{database}\" does not exist and is not declared"),
                    hint: Some(format!(
                        "declare it with a `database \"{database}\" {{}}` block"
                    )),
                });
            }
            let owner = desired
                .and_then(|d| d.owner.clone())
                .or_else(|| live.and_then(|d| d.owner.clone()));
            Ok(vec![(
                Cow::Owned(object(ObjectKind::Database, None, database)),
                owner,
            )])
        }
        GrantTarget::Schemas { schemas, .. } => schemas
            .iter()
            .map(|schema| {
                Ok((
                    Cow::Owned(object(ObjectKind::Schema, None, schema)),
                    schema_owner(schema)?,
                ))
            })
            .collect(),
        GrantTarget::Objects {
            schema,
            kind,
            names,
            ..
        } => names
            .iter()
            .map(|name| {
                let wanted = object(*kind, Some(schema), name);
                match live_owner(&wanted) {
                    Some(owner) => Ok((Cow::Owned(wanted), Some(owner))),
                    None => Err(missing(*kind, database, schema, name)),
                }
            })
            .collect(),
        GrantTarget::Columns {
            schema,
            table,
            columns,
            ..
        } => {
            let owner = live_owner(&object(ObjectKind::Table, Some(schema), table))
                .ok_or_else(|| missing(ObjectKind::Table, database, schema, table))?;
            Ok(columns
                .iter()
                .map(|column| {
                    let mut target = object(ObjectKind::Column, Some(schema), table);
                    target.column = Some(column.clone());
                    (Cow::Owned(target), Some(owner.clone()))
                })
                .collect())
        }
        GrantTarget::All { schemas, kind, .. } => {
            let mut out = Vec::new();
            for schema in schemas {
                schema_owner(schema)?;
                if let Some(catalog) = live_catalog {
                    out.extend(
                        catalog
                            .objects
                            .iter()
                            .filter(|(o, _)| {
                                o.kind == kind.object_kind()
                                    && o.schema.as_deref() == Some(schema.as_str())
                            })
                            .map(|(o, owner)| (Cow::Borrowed(o), Some(owner.clone()))),
                    );
                }
            }
            Ok(out)
        }
    }
}

fn missing(kind: ObjectKind, database: &str, schema: &str, name: &str) -> DiffError {
    let noun = kind.plural().trim_end_matches('s');
    DiffError {
        message: format!("{noun} {schema}.{name} does not exist in database \"{database}\""),
        hint: Some(format!(
            "pgfort grants privileges on existing {}; create it first, or use `all = \"{}\"` to cover future ones",
            kind.plural(),
            kind.plural()
        )),
    }
}

/// Roles that create objects in the schema: its declared owner and the
/// grant's `owners`.
fn creators(
    input: &DiffInput<'_>,
    database: &str,
    schema: &str,
    owners: &[String],
) -> BTreeSet<String> {
    let declared = input
        .desired
        .catalogs
        .get(database)
        .and_then(|c| c.schemas.get(schema))
        .and_then(|s| s.owner.clone());
    declared
        .into_iter()
        .chain(owners.iter().cloned())
        .filter(|o| !NEVER_OWNERS.contains(&o.as_str()))
        .collect()
}

/// Without superuser, pgfort can change privileges only on objects owned by
/// roles it has the privileges of. Fails up front, naming the objects.
pub(super) fn check_can_grant(
    input: &DiffInput<'_>,
    desired: &PrivilegeSets<'_>,
    live: &PrivilegeSets<'_>,
) -> Result<(), DiffError> {
    if input.facts.is_superuser {
        return Ok(());
    }
    let mine = |owner: &str| input.facts.session_roles.iter().any(|r| r == owner);
    let owner_of = |object: &ObjectRef| -> Option<String> {
        match object.kind {
            ObjectKind::Database => input
                .live
                .databases
                .get(&object.name)
                .and_then(|d| d.owner.clone()),
            ObjectKind::Schema => input
                .live
                .catalogs
                .get(&object.database)
                .and_then(|c| c.schemas.get(&object.name))
                .and_then(|s| s.owner.clone()),
            ObjectKind::Column => {
                let table = ObjectRef {
                    kind: ObjectKind::Table,
                    column: None,
                    ..object.clone()
                };
                input
                    .live
                    .catalogs
                    .get(&object.database)
                    .and_then(|c| c.objects.get(&table))
                    .cloned()
            }
            _ => input
                .live
                .catalogs
                .get(&object.database)
                .and_then(|c| c.objects.get(object))
                .cloned(),
        }
    };
    let mut refused = BTreeSet::new();
    let changed = desired
        .privileges
        .iter()
        .filter(|(k, v)| find_privilege(&live.privileges, k) != Some(*v))
        .chain(
            live.privileges
                .iter()
                .filter(|(k, _)| find_privilege(&desired.privileges, k).is_none()),
        );
    for ((object, _, _), _) in changed {
        // Objects that do not exist yet are created by pgfort, as itself.
        if let Some(owner) = owner_of(object)
            && !mine(&owner)
        {
            refused.insert(format!(
                "{} (owner {owner})",
                super::render::display_object(object)
            ));
        }
    }
    let defaults = desired
        .defaults
        .keys()
        .filter(|k| !live.defaults.contains_key(*k))
        .chain(
            live.defaults
                .keys()
                .filter(|k| !desired.defaults.contains_key(*k)),
        );
    for (key, _) in defaults {
        if !mine(&key.owner) {
            refused.insert(format!(
                "default privileges of {} in {}",
                key.owner, key.database
            ));
        }
    }
    if refused.is_empty() {
        return Ok(());
    }
    Err(DiffError {
        message: format!(
            "role \"{}\" cannot change privileges on {}",
            input.facts.session_user,
            capped(&refused, NAMES_SHOWN)
        ),
        hint: Some(
            "connect as a superuser, or as (a member of) the owners of these objects".to_owned(),
        ),
    })
}
