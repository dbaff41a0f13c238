//! Who we are and what the server is: version, session user, databases.

use std::collections::BTreeMap;

use super::{Db, InspectError};
use crate::model::ServerFacts;

const FACTS: &str = "\
SELECT current_setting('server_version_num')::int AS version_num,
       session_user::text AS session_user,
       current_database()::text AS current_database,
       pg_catalog.pg_is_in_recovery() AS in_recovery,
       (SELECT rolname::text FROM pg_roles WHERE oid = 10) AS bootstrap,
       has_table_privilege('pg_catalog.pg_authid', 'SELECT') AS can_read_passwords,
       (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) AS is_superuser,
       ARRAY(SELECT rolname::text FROM pg_roles WHERE pg_has_role(session_user, oid, 'USAGE')
             ORDER BY 1) AS session_roles,
       ARRAY(SELECT datname::text FROM pg_database
             WHERE datallowconn AND NOT datistemplate ORDER BY datname) AS databases";

/// Databases where each role owns objects or holds privileges, one row per
/// (role, database), grouped here: a hashed DISTINCT is linear, where
/// `array_agg(DISTINCT …)` sorts every role's dependencies (50 ms at
/// 10,000 tables). Shared objects (dbid 0) are handled from the current
/// database.
const DEPENDENCIES: &str = "\
SELECT r.rolname::text, COALESCE(d.datname, current_database())::text
FROM (SELECT DISTINCT s.refobjid, s.dbid FROM pg_catalog.pg_shdepend s
      WHERE s.refclassid = 'pg_catalog.pg_authid'::regclass
        AND s.deptype IN ('o', 'a', 'i', 'r')) s
JOIN pg_catalog.pg_roles r ON r.oid = s.refobjid
LEFT JOIN pg_catalog.pg_database d ON d.oid = s.dbid";

pub(super) async fn read(db: &Db) -> Result<ServerFacts, InspectError> {
    let (row, dependencies) = futures_util::try_join!(
        db.query_one("server facts", FACTS),
        db.query("role dependencies (pg_shdepend)", DEPENDENCIES, &[]),
    )?;
    let mut role_dependencies: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in &dependencies {
        role_dependencies
            .entry(row.get(0))
            .or_default()
            .push(row.get(1));
    }
    for databases in role_dependencies.values_mut() {
        databases.sort();
        databases.dedup();
    }
    Ok(ServerFacts {
        version_num: u32::try_from(row.get::<_, i32>("version_num")).unwrap_or(0),
        session_user: row.get("session_user"),
        current_database: row.get("current_database"),
        in_recovery: row.get("in_recovery"),
        bootstrap_superuser: row
            .get::<_, Option<String>>("bootstrap")
            .unwrap_or_default(),
        can_read_passwords: row.get("can_read_passwords"),
        is_superuser: row.get::<_, Option<bool>>("is_superuser").unwrap_or(false),
        session_roles: row.get("session_roles"),
        databases: row.get("databases"),
        role_dependencies,
    })
}
