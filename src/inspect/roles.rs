//! Roles with attributes, passwords, comments, memberships and settings:
//! three queries whatever the number of roles.

use std::collections::{BTreeMap, HashMap};

use super::{Db, InspectError};
use crate::model::{Membership, Password, Role, RoleAttributes, Secret};

/// Every role with its attributes. Unordered: sorting thousands of names in
/// the database's collation costs the server more than the rest of the
/// query, and the rows are sorted here by byte order anyway.
const ROLES: &str = "\
SELECT a.rolname::text AS name, a.rolsuper, a.rolinherit, a.rolcreaterole, a.rolcreatedb,
       a.rolcanlogin, a.rolreplication, a.rolbypassrls, a.rolconnlimit,
       CASE WHEN a.rolvaliduntil IS NULL OR NOT isfinite(a.rolvaliduntil) THEN NULL
            ELSE to_char(a.rolvaliduntil AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') END AS valid_until,
       d.description AS comment
FROM pg_catalog.pg_roles a
LEFT JOIN pg_catalog.pg_shdescription d
       ON d.objoid = a.oid AND d.classoid = 'pg_catalog.pg_authid'::regclass";

/// Password verifiers. Roles that may not read `pg_authid` get SQLSTATE
/// 42501, which means "passwords unreadable" rather than a failure.
const PASSWORDS: &str = "SELECT rolname::text, rolpassword FROM pg_catalog.pg_authid";

/// Memberships, from PostgreSQL 16 (`inherit_option` and `set_option`).
/// From 16 a pair may have one grant per grantor: they are merged by OID
/// before the names are joined, which is cheaper than grouping by name.
///
/// `implicit`: from 16, a non-superuser's CREATE ROLE grants the new role
/// to its creator WITH ADMIN TRUE, INHERIT FALSE, SET FALSE, recorded as
/// granted by the bootstrap superuser (OID 10); the creator needs CREATEROLE.
/// True when every grant of the pair looks like that (a superuser's explicit
/// grant of the same options cannot be told apart).
const MEMBERSHIPS: &str = "\
SELECT m.rolname::text AS member, g.rolname::text AS grp,
       am.admin, am.inherit, am.set, am.implicit AND m.rolcreaterole AS implicit
FROM (SELECT member, roleid,
             bool_or(admin_option) AS admin,
             bool_or(inherit_option) AS inherit,
             bool_or(set_option) AS set,
             bool_and(grantor = 10 AND admin_option
                      AND NOT inherit_option AND NOT set_option) AS implicit
      FROM pg_catalog.pg_auth_members
      GROUP BY member, roleid) am
JOIN pg_catalog.pg_roles m ON m.oid = am.member
JOIN pg_catalog.pg_roles g ON g.oid = am.roleid";

/// Memberships before PostgreSQL 16: one grant per pair (a unique key), no
/// per-grant inherit or set option, and no implicit grants.
const MEMBERSHIPS_BEFORE_16: &str = "\
SELECT m.rolname::text AS member, g.rolname::text AS grp,
       am.admin_option AS admin,
       NULL::boolean AS inherit, NULL::boolean AS set, false AS implicit
FROM pg_catalog.pg_auth_members am
JOIN pg_catalog.pg_roles m ON m.oid = am.member
JOIN pg_catalog.pg_roles g ON g.oid = am.roleid";

/// The server's version, read first so each query can be written for it
/// (one short round trip rather than per-row work to stay version-blind).
const VERSION: &str = "SELECT current_setting('server_version_num')::int";

const SETTINGS: &str = "\
SELECT r.rolname::text, d.datname::text, s.setconfig
FROM pg_catalog.pg_db_role_setting s
JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase";

pub(super) async fn read(db: &Db) -> Result<BTreeMap<String, Role>, InspectError> {
    let version: i32 = db.query_one("server version", VERSION).await?.get(0);
    let memberships_query = match version >= 160_000 {
        true => MEMBERSHIPS,
        false => MEMBERSHIPS_BEFORE_16,
    };
    let (roles, passwords, memberships, settings) = futures_util::try_join!(
        db.query("roles (pg_roles)", ROLES, &[]),
        passwords(db),
        db.query("role memberships (pg_auth_members)", memberships_query, &[]),
        db.query("role settings (pg_db_role_setting)", SETTINGS, &[]),
    )?;
    let passwords_readable = passwords.is_some();
    let mut stored: HashMap<String, Option<String>> = passwords
        .unwrap_or_default()
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, Option<String>>(1)))
        .collect();

    // Columns are read by their position in the queries above: a lookup
    // by name per value costs more than the value, at thousands of roles.
    let mut out: Vec<(String, Role)> = Vec::with_capacity(roles.len());
    for row in &roles {
        let name: String = row.get(0);
        let password = if passwords_readable {
            match stored.remove(&name).flatten() {
                Some(verifier) => Password::Stored(Secret::new(verifier)),
                None => Password::None,
            }
        } else {
            Password::Unreadable
        };
        let role = Role {
            attributes: RoleAttributes {
                login: row.get(5),
                superuser: row.get(1),
                createdb: row.get(4),
                createrole: row.get(3),
                inherit: row.get(2),
                replication: row.get(6),
                bypassrls: row.get(7),
                connection_limit: row.get(8),
                valid_until: row.get(9),
            },
            password,
            comment: row.get(10),
            ..Role::new(name.clone())
        };
        out.push((name, role));
    }
    // In name order: found by bisection below, and built into the map in
    // one go (inserting thousands of roles one by one costs more).
    out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for row in &memberships {
        if let Some(role) = role_mut(&mut out, row.get(0)) {
            let group: String = row.get(1);
            if row.get(5) {
                role.implicit_admin_of.insert(group.clone());
            }
            role.member_of.insert(
                group,
                Membership {
                    admin: row.get(2),
                    inherit: row.get(3),
                    set: row.get(4),
                },
            );
        }
    }
    for row in &settings {
        let database: Option<String> = row.get(1);
        let config: Vec<String> = row.get::<_, Option<Vec<String>>>(2).unwrap_or_default();
        let Some(role) = role_mut(&mut out, row.get(0)) else {
            continue;
        };
        let target = match database {
            Some(db) => role.database_settings.entry(db).or_default(),
            None => &mut role.settings,
        };
        for entry in config {
            // The server stores names in their canonical case (`DateStyle`);
            // the configuration writes them in lower case.
            if let Some((name, value)) = entry.split_once('=') {
                target.insert(name.to_lowercase(), value.to_owned());
            }
        }
    }
    Ok(out.into_iter().collect())
}

/// The role named `name` among `roles`, sorted by name.
fn role_mut<'r>(roles: &'r mut [(String, Role)], name: &str) -> Option<&'r mut Role> {
    let at = roles.binary_search_by(|(n, _)| n.as_str().cmp(name)).ok()?;
    roles.get_mut(at).map(|(_, role)| role)
}

/// `None` when the connected role may not read `pg_authid`.
async fn passwords(db: &Db) -> Result<Option<Vec<tokio_postgres::Row>>, InspectError> {
    match db.query("role passwords (pg_authid)", PASSWORDS, &[]).await {
        Ok(rows) => Ok(Some(rows)),
        Err(err)
            if err.source.code()
                == Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) =>
        {
            Ok(None)
        }
        Err(err) => Err(err),
    }
}
