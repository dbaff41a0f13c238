//! Extensions: those installed in a database (one query per database) and
//! those the server could install (one cluster-wide query).

use tokio_postgres::Row;

use super::{Db, InspectError};
use crate::model::{AvailableExtension, DatabaseCatalog, Extension, ServerExtensions};

/// Installed extensions with the extensions each depends on.
pub(super) const INSTALLED: &str = "\
SELECT e.extname::text AS name, n.nspname::text AS schema, e.extversion AS version,
       e.extrelocatable AS relocatable,
       ARRAY(SELECT r.extname::text
             FROM pg_catalog.pg_depend d
             JOIN pg_catalog.pg_extension r ON r.oid = d.refobjid
             WHERE d.classid = 'pg_catalog.pg_extension'::regclass
               AND d.objid = e.oid
               AND d.refclassid = 'pg_catalog.pg_extension'::regclass
             ORDER BY 1) AS requires
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace";

/// Every installable version of every extension whose files are on the
/// server.
const AVAILABLE: &str = "\
SELECT v.name::text AS name, v.version, v.relocatable,
       COALESCE(v.requires::text[], '{}') AS requires,
       a.default_version
FROM pg_catalog.pg_available_extension_versions v
JOIN pg_catalog.pg_available_extensions a ON a.name = v.name
ORDER BY 1, 2";

pub(super) fn add(catalog: &mut DatabaseCatalog, database: &str, rows: &[Row]) {
    for row in rows {
        let name: String = row.get("name");
        let extension = Extension {
            database: database.to_owned(),
            name: name.clone(),
            schema: row.get("schema"),
            version: row.get("version"),
            cascade: false,
            relocatable: row.get("relocatable"),
            requires: row.get("requires"),
        };
        catalog.extensions.insert(name, extension);
    }
}

pub(super) async fn available(db: &Db) -> Result<ServerExtensions, InspectError> {
    let rows = db
        .query(
            "available extensions (pg_available_extension_versions)",
            AVAILABLE,
            &[],
        )
        .await?;
    let mut out = ServerExtensions::default();
    for row in &rows {
        let name: String = row.get("name");
        let version: String = row.get("version");
        let default_version: Option<String> = row.get("default_version");
        let entry = out
            .available
            .entry(name.clone())
            .or_insert_with(|| AvailableExtension {
                name,
                default_version: default_version.clone(),
                ..Default::default()
            });
        if default_version.as_ref() == Some(&version) {
            entry.relocatable = row.get("relocatable");
            entry.requires = row.get("requires");
        }
        entry.versions.push(version);
    }
    Ok(out)
}
