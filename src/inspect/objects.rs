//! Tables, sequences, functions and types of one database, with owners and
//! the privileges managed grantees hold on them, and column privileges:
//! one query per family, whatever the number of objects. The access
//! control lists come back as text and are filtered here (see `acl`).
//!
//! Objects that belong to an extension are left out: the extension owns
//! them and its scripts set their privileges.

use tokio_postgres::Row;

use super::acl::{AclError, AclReader};
use super::sql::{not_in_extension, user_schema};
use crate::model::{DatabaseCatalog, ObjectKind, ObjectRef, Privilege};

/// Tables, views, materialized views, foreign and partitioned tables, and
/// sequences: one row per relation, with its access control list.
/// Unordered: at thousands of relations the server's sort (after computing
/// every list's text) cost more than the rest of the query; the rows are
/// sorted here.
pub(super) const RELATIONS: &str = concat!(
    "SELECT c.relkind = 'S' AS is_sequence, n.nspname::text AS schema, c.relname::text AS name,
       pg_catalog.pg_get_userbyid(c.relowner)::text AS owner,
       COALESCE(c.relacl, pg_catalog.acldefault(
        CASE WHEN c.relkind = 'S' THEN 's'::\"char\" ELSE 'r'::\"char\" END, c.relowner))::text AS acl
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p', 'S') AND ",
    user_schema!("n"),
    " AND ",
    not_in_extension!("pg_class", "c.oid")
);

/// Functions and procedures (not aggregates nor window functions), named
/// with their identity argument types as PostgreSQL prints them.
pub(super) const FUNCTIONS: &str = concat!(
    "SELECT n.nspname::text AS schema,
       pg_catalog.format('%s(%s)', f.proname, pg_catalog.oidvectortypes(f.proargtypes)) AS name,
       pg_catalog.pg_get_userbyid(f.proowner)::text AS owner,
       COALESCE(f.proacl, pg_catalog.acldefault('f', f.proowner))::text AS acl
FROM pg_catalog.pg_proc f
JOIN pg_catalog.pg_namespace n ON n.oid = f.pronamespace
WHERE f.prokind IN ('f', 'p') AND ",
    user_schema!("n"),
    " AND ",
    not_in_extension!("pg_proc", "f.oid"),
    "
ORDER BY n.nspname COLLATE \"C\",
    pg_catalog.format('%s(%s)', f.proname, pg_catalog.oidvectortypes(f.proargtypes)) COLLATE \"C\""
);

/// Types users declare: domains, enums, ranges, multiranges and standalone
/// composite types (not the row types of relations). Array types are base
/// types, so the `typtype` filter leaves them out.
pub(super) const TYPES: &str = concat!(
    "SELECT n.nspname::text AS schema, t.typname::text AS name,
       pg_catalog.pg_get_userbyid(t.typowner)::text AS owner,
       COALESCE(t.typacl, pg_catalog.acldefault('T', t.typowner))::text AS acl
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_class r ON r.oid = t.typrelid
WHERE (t.typtype IN ('d', 'e', 'r', 'm') OR (t.typtype = 'c' AND r.relkind = 'c')) AND ",
    user_schema!("n"),
    " AND ",
    not_in_extension!("pg_type", "t.oid"),
    "
ORDER BY n.nspname COLLATE \"C\", t.typname COLLATE \"C\""
);

/// Columns with privileges of their own. Only explicit column ACLs count:
/// a column has no privileges by default.
pub(super) const COLUMNS: &str = concat!(
    "SELECT n.nspname::text AS schema, c.relname::text AS name, a.attname::text AS attname,
       pg_catalog.pg_get_userbyid(c.relowner)::text AS owner, a.attacl::text AS acl
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped
  AND c.relkind IN ('r', 'v', 'm', 'f', 'p') AND ",
    user_schema!("n"),
    " AND ",
    not_in_extension!("pg_class", "c.oid"),
    "
ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\", a.attname COLLATE \"C\""
);

/// The rows of the object queries of one database.
pub(super) struct ObjectRows<'a> {
    pub relations: &'a [Row],
    pub functions: &'a [Row],
    pub types: &'a [Row],
    pub columns: &'a [Row],
}

/// Records every object of `rows` with its owner, and the privileges
/// managed grantees hold on it. Collected first, then built into the
/// ordered maps in one go: a sorted bulk build is linear, where inserting
/// 100,000 privileges one by one compares long shared key prefixes at
/// every step.
pub(super) fn add(
    catalog: &mut DatabaseCatalog,
    database: &str,
    rows: ObjectRows<'_>,
    acls: &mut AclReader<'_>,
) -> Result<(), AclError> {
    let mut privileges: Vec<Privilege> = Vec::new();
    let kinds = rows
        .relations
        .iter()
        .map(|row| match row.get::<_, bool>(0) {
            true => (ObjectKind::Sequence, row, 1),
            false => (ObjectKind::Table, row, 1),
        })
        .chain(
            rows.functions
                .iter()
                .map(|row| (ObjectKind::Function, row, 0)),
        )
        .chain(rows.types.iter().map(|row| (ObjectKind::Type, row, 0)));
    // Columns are read by position (`first` is where `schema` is), not by
    // name: a name lookup per value costs more than the value itself.
    let mut read: Vec<(ObjectRef, &str, &str)> = Vec::with_capacity(
        rows.relations.len() + rows.functions.len() + rows.types.len() + rows.columns.len(),
    );
    for (kind, row, first) in kinds {
        let object = ObjectRef {
            kind,
            database: database.to_owned(),
            schema: Some(row.get(first)),
            name: row.get(first + 1),
            column: None,
        };
        read.push((object, row.get(first + 2), row.get(first + 3)));
    }
    for row in rows.columns {
        let object = ObjectRef {
            kind: ObjectKind::Column,
            database: database.to_owned(),
            schema: Some(row.get(0)),
            name: row.get(1),
            column: Some(row.get(2)),
        };
        read.push((object, row.get(3), row.get(4)));
    }
    // The rows come unordered. Sorted by object (stably: the first owner
    // read wins, as before), the privileges made object by object form one
    // sorted run, which the bulk build below only confirms.
    read.sort_by(|a, b| a.0.cmp(&b.0));
    let mut objects: Vec<(ObjectRef, String)> = Vec::with_capacity(read.len());
    for (object, owner, acl) in read {
        add_privileges(&mut privileges, acls, acl, &object, owner)?;
        if object.kind != ObjectKind::Column {
            objects.push((object, owner.to_owned()));
        }
    }
    // The maps keep what they had.
    objects.retain(|(object, _)| !catalog.objects.contains_key(object));
    objects.dedup_by(|later, first| later.0 == first.0);
    let mut all_objects: Vec<(ObjectRef, String)> =
        std::mem::take(&mut catalog.objects).into_iter().collect();
    all_objects.extend(objects);
    catalog.objects = all_objects.into_iter().collect();
    privileges.extend(std::mem::take(&mut catalog.privileges));
    catalog.privileges = privileges.into_iter().collect();
    Ok(())
}

/// The privileges of access control list `acl` on `object`, owned by
/// `owner`.
pub(super) fn add_privileges(
    privileges: &mut Vec<Privilege>,
    acls: &mut AclReader<'_>,
    acl: &str,
    object: &ObjectRef,
    owner: &str,
) -> Result<(), AclError> {
    let start = privileges.len();
    for entry in acls.entries(acl, owner)? {
        privileges.push(Privilege {
            object: object.clone(),
            grantee: entry.grantee.clone(),
            privilege: entry.privilege.to_owned(),
            grantable: entry.grantable,
        });
    }
    // In key order, so that objects read in order give one sorted run.
    privileges[start..].sort_unstable();
    Ok(())
}
