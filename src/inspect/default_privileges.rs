//! Default privileges (`ALTER DEFAULT PRIVILEGES`) of one database granted
//! to managed grantees: one query.

use tokio_postgres::Row;

use super::sql::with_grantees;
use crate::model::{DatabaseCatalog, DefaultKind, DefaultPrivilege};

/// One row per default privilege. Schema defaults (`n`) are not managed.
///
/// A global entry (namespace 0) replaces the built-in default, so its ACL
/// also lists the owner's own privileges: rows for the owner are dropped.
/// Its PUBLIC rows (EXECUTE on functions, USAGE on types) are real and stay.
pub(super) const DEFAULT_PRIVILEGES: &str = concat!(
    with_grantees!(),
    "SELECT pg_catalog.pg_get_userbyid(d.defaclrole)::text AS owner,
       n.nspname::text AS schema, d.defaclobjtype::text AS kind,
       g.name AS grantee, x.privilege_type AS privilege, x.is_grantable AS grantable
FROM pg_catalog.pg_default_acl d
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
CROSS JOIN LATERAL pg_catalog.aclexplode(d.defaclacl) x
JOIN grantees g ON g.oid = x.grantee
WHERE d.defaclobjtype IN ('r', 'S', 'f', 'T') AND x.grantee <> d.defaclrole"
);

pub(super) fn add(catalog: &mut DatabaseCatalog, database: &str, rows: &[Row]) {
    for row in rows {
        let Some(kind) = default_kind(row.get("kind")) else {
            continue;
        };
        catalog.default_privileges.insert(DefaultPrivilege {
            database: database.to_owned(),
            owner: row.get("owner"),
            schema: row.get("schema"),
            kind,
            grantee: row.get("grantee"),
            privilege: row.get("privilege"),
            grantable: row.get("grantable"),
        });
    }
}

/// `pg_default_acl.defaclobjtype` → kind.
fn default_kind(code: &str) -> Option<DefaultKind> {
    match code {
        "r" => Some(DefaultKind::Tables),
        "S" => Some(DefaultKind::Sequences),
        "f" => Some(DefaultKind::Functions),
        "T" => Some(DefaultKind::Types),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_types_map_to_kinds() {
        assert_eq!(default_kind("r"), Some(DefaultKind::Tables));
        assert_eq!(default_kind("S"), Some(DefaultKind::Sequences));
        assert_eq!(default_kind("f"), Some(DefaultKind::Functions));
        assert_eq!(default_kind("T"), Some(DefaultKind::Types));
        assert_eq!(default_kind("n"), None);
    }
}
