//! Default privileges (`ALTER DEFAULT PRIVILEGES`) of one database granted
//! to managed grantees: one query.

use tokio_postgres::Row;

use super::acl::{AclError, AclReader};
use crate::model::{DatabaseCatalog, DefaultKind, DefaultPrivilege};

/// One row per entry of `pg_default_acl`, with its list as text; the
/// managed grantees are picked out here, as for every other object. Schema
/// defaults (`n`) are not managed.
///
/// A global entry (namespace 0) replaces the built-in default, so its ACL
/// also lists the owner's own privileges: those are dropped. Its PUBLIC
/// entries (EXECUTE on functions, USAGE on types) are real and stay.
pub(super) const DEFAULT_PRIVILEGES: &str = "\
SELECT pg_catalog.pg_get_userbyid(d.defaclrole)::text AS owner,
       n.nspname::text AS schema, d.defaclobjtype::text AS kind,
       d.defaclacl::text AS acl
FROM pg_catalog.pg_default_acl d
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
WHERE d.defaclobjtype IN ('r', 'S', 'f', 'T')";

pub(super) fn add(
    catalog: &mut DatabaseCatalog,
    database: &str,
    rows: &[Row],
    acls: &mut AclReader<'_>,
) -> Result<(), AclError> {
    for row in rows {
        let Some(kind) = default_kind(row.get(2)) else {
            continue;
        };
        let owner: &str = row.get(0);
        let schema: Option<String> = row.get(1);
        for entry in acls.entries(row.get(3), owner)? {
            catalog.default_privileges.insert(DefaultPrivilege {
                database: database.to_owned(),
                owner: owner.to_owned(),
                schema: schema.clone(),
                kind,
                grantee: entry.grantee.clone(),
                privilege: entry.privilege.to_owned(),
                grantable: entry.grantable,
            });
        }
    }
    Ok(())
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
