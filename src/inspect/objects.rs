//! Tables, sequences, functions and types of one database, with owners and
//! the privileges managed grantees hold on them, and column privileges:
//! one query per family, whatever the number of objects.
//!
//! Objects that belong to an extension are left out: the extension owns
//! them and its scripts set their privileges.

use tokio_postgres::Row;

use super::catalog::privilege_in_row;
use super::sql::{not_in_extension, privileges_in, user_schema, with_grantees};
use crate::model::{DatabaseCatalog, ObjectKind, ObjectRef};

/// Tables, views, materialized views, foreign and partitioned tables, and
/// sequences: one row per relation and managed privilege.
pub(super) const RELATIONS: &str = concat!(
    with_grantees!(),
    "SELECT c.relkind = 'S' AS is_sequence, n.nspname::text AS schema, c.relname::text AS name,
       pg_catalog.pg_get_userbyid(c.relowner)::text AS owner,
       g.name AS grantee, acl.privilege, acl.grantable
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace",
    privileges_in!(
        "COALESCE(c.relacl, pg_catalog.acldefault(
        CASE WHEN c.relkind = 'S' THEN 's'::\"char\" ELSE 'r'::\"char\" END, c.relowner))",
        "c.relowner"
    ),
    "WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p', 'S') AND ",
    user_schema!("n"),
    " AND ",
    not_in_extension!("pg_class", "c.oid")
);

/// Functions and procedures (not aggregates nor window functions), named
/// with their identity argument types as PostgreSQL prints them.
pub(super) const FUNCTIONS: &str = concat!(
    with_grantees!(),
    "SELECT n.nspname::text AS schema,
       pg_catalog.format('%s(%s)', f.proname, pg_catalog.oidvectortypes(f.proargtypes)) AS name,
       pg_catalog.pg_get_userbyid(f.proowner)::text AS owner,
       g.name AS grantee, acl.privilege, acl.grantable
FROM pg_catalog.pg_proc f
JOIN pg_catalog.pg_namespace n ON n.oid = f.pronamespace",
    privileges_in!(
        "COALESCE(f.proacl, pg_catalog.acldefault('f', f.proowner))",
        "f.proowner"
    ),
    "WHERE f.prokind IN ('f', 'p') AND ",
    user_schema!("n"),
    " AND ",
    not_in_extension!("pg_proc", "f.oid")
);

/// Types users declare: domains, enums, ranges, multiranges and standalone
/// composite types (not the row types of relations). Array types are base
/// types, so the `typtype` filter leaves them out.
pub(super) const TYPES: &str = concat!(
    with_grantees!(),
    "SELECT n.nspname::text AS schema, t.typname::text AS name,
       pg_catalog.pg_get_userbyid(t.typowner)::text AS owner,
       g.name AS grantee, acl.privilege, acl.grantable
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_class r ON r.oid = t.typrelid",
    privileges_in!(
        "COALESCE(t.typacl, pg_catalog.acldefault('T', t.typowner))",
        "t.typowner"
    ),
    "WHERE (t.typtype IN ('d', 'e', 'r', 'm') OR (t.typtype = 'c' AND r.relkind = 'c')) AND ",
    user_schema!("n"),
    " AND ",
    not_in_extension!("pg_type", "t.oid")
);

/// Column privileges of managed grantees. Only explicit column ACLs count:
/// a column has no privileges of its own by default.
pub(super) const COLUMNS: &str = concat!(
    with_grantees!(),
    "SELECT n.nspname::text AS schema, c.relname::text AS name, a.attname::text AS attname,
       g.name AS grantee, x.privilege_type AS privilege, x.is_grantable AS grantable
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL pg_catalog.aclexplode(a.attacl) x
JOIN grantees g ON g.oid = x.grantee
WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped
  AND x.grantee <> c.relowner
  AND c.relkind IN ('r', 'v', 'm', 'f', 'p') AND ",
    user_schema!("n"),
    " AND ",
    not_in_extension!("pg_class", "c.oid")
);

pub(super) fn add_relations(catalog: &mut DatabaseCatalog, database: &str, rows: &[Row]) {
    for row in rows {
        let kind = if row.get::<_, bool>("is_sequence") {
            ObjectKind::Sequence
        } else {
            ObjectKind::Table
        };
        add_object(catalog, database, kind, row);
    }
}

pub(super) fn add_functions(catalog: &mut DatabaseCatalog, database: &str, rows: &[Row]) {
    for row in rows {
        add_object(catalog, database, ObjectKind::Function, row);
    }
}

pub(super) fn add_types(catalog: &mut DatabaseCatalog, database: &str, rows: &[Row]) {
    for row in rows {
        add_object(catalog, database, ObjectKind::Type, row);
    }
}

pub(super) fn add_columns(catalog: &mut DatabaseCatalog, database: &str, rows: &[Row]) {
    for row in rows {
        let object = ObjectRef {
            kind: ObjectKind::Column,
            database: database.to_owned(),
            schema: Some(row.get("schema")),
            name: row.get("name"),
            column: Some(row.get("attname")),
        };
        if let Some(privilege) = privilege_in_row(row, &object) {
            catalog.privileges.insert(privilege);
        }
    }
}

/// Records the object of `row` with its owner, and the privilege the row
/// carries if any.
fn add_object(catalog: &mut DatabaseCatalog, database: &str, kind: ObjectKind, row: &Row) {
    let object = ObjectRef {
        kind,
        database: database.to_owned(),
        schema: Some(row.get("schema")),
        name: row.get("name"),
        column: None,
    };
    if let Some(privilege) = privilege_in_row(row, &object) {
        catalog.privileges.insert(privilege);
    }
    catalog
        .objects
        .entry(object)
        .or_insert_with(|| row.get("owner"));
}
