//! Schemas of one database with their owners, comments and the privileges
//! managed grantees hold on them: one query.

use tokio_postgres::Row;

use super::acl::{AclError, AclReader};
use super::objects::add_privileges;
use super::sql::{not_in_extension, user_schema};
use crate::model::{DatabaseCatalog, ObjectKind, ObjectRef, Schema};

/// One row per schema, with its access control list.
pub(super) const SCHEMAS: &str = concat!(
    "SELECT n.nspname::text AS name,
       pg_catalog.pg_get_userbyid(n.nspowner)::text AS owner,
       pg_catalog.obj_description(n.oid, 'pg_namespace') AS comment,
       COALESCE(n.nspacl, pg_catalog.acldefault('n', n.nspowner))::text AS acl
FROM pg_catalog.pg_namespace n
WHERE ",
    user_schema!("n"),
    " AND ",
    not_in_extension!("pg_namespace", "n.oid")
);

pub(super) fn add(
    catalog: &mut DatabaseCatalog,
    database: &str,
    rows: &[Row],
    acls: &mut AclReader<'_>,
) -> Result<(), AclError> {
    let mut privileges = Vec::new();
    for row in rows {
        let name: String = row.get("name");
        let object = ObjectRef {
            kind: ObjectKind::Schema,
            database: database.to_owned(),
            schema: None,
            name: name.clone(),
            column: None,
        };
        add_privileges(
            &mut privileges,
            acls,
            row.get("acl"),
            &object,
            row.get("owner"),
        )?;
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
    catalog.privileges.extend(privileges);
    Ok(())
}
