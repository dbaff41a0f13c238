//! Schemas of one database with their owners, comments and the privileges
//! managed grantees hold on them: one query.

use tokio_postgres::Row;

use super::catalog::privilege_in_row;
use super::sql::{not_in_extension, privileges_in, user_schema, with_grantees};
use crate::model::{DatabaseCatalog, ObjectKind, ObjectRef, Schema};

/// One row per schema and managed privilege (NULL privilege columns for a
/// schema without any).
pub(super) const SCHEMAS: &str = concat!(
    with_grantees!(),
    "SELECT n.nspname::text AS name,
       pg_catalog.pg_get_userbyid(n.nspowner)::text AS owner,
       pg_catalog.obj_description(n.oid, 'pg_namespace') AS comment,
       g.name AS grantee, acl.privilege, acl.grantable
FROM pg_catalog.pg_namespace n",
    privileges_in!(
        "COALESCE(n.nspacl, pg_catalog.acldefault('n', n.nspowner))",
        "n.nspowner"
    ),
    "WHERE ",
    user_schema!("n"),
    " AND ",
    not_in_extension!("pg_namespace", "n.oid")
);

pub(super) fn add(catalog: &mut DatabaseCatalog, database: &str, rows: &[Row]) {
    for row in rows {
        let name: String = row.get("name");
        let object = ObjectRef {
            kind: ObjectKind::Schema,
            database: database.to_owned(),
            schema: None,
            name: name.clone(),
            column: None,
        };
        if let Some(privilege) = privilege_in_row(row, &object) {
            catalog.privileges.insert(privilege);
        }
        catalog
            .schemas
            .entry(name.clone())
            .or_insert_with(|| Schema {
                database: database.to_owned(),
                name,
                owner: row.get("owner"),
                comment: row.get("comment"),
            });
    }
}
