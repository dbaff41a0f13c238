//! Databases (all of them, templates included) and the privileges managed
//! grantees hold on them: two cluster-wide queries.

use std::collections::{BTreeMap, BTreeSet};

use super::acl::AclReader;
use super::objects::add_privileges;
use super::{Db, InspectCause, InspectError, InspectScope};
use crate::model::{Database, ObjectKind, ObjectRef, Privilege};

/// One row per database. The locale is LC_COLLATE unless the database uses
/// ICU (15+) or the builtin provider (17+); their locale columns are read
/// through jsonb so one query text works on every supported version.
const DATABASES: &str = "\
SELECT d.datname::text AS name,
       pg_catalog.pg_get_userbyid(d.datdba)::text AS owner,
       pg_catalog.pg_encoding_to_char(d.encoding)::text AS encoding,
       CASE doc.j ->> 'datlocprovider'
           WHEN 'i' THEN COALESCE(doc.j ->> 'daticulocale', doc.j ->> 'datlocale')
           WHEN 'b' THEN doc.j ->> 'datlocale'
           ELSE d.datcollate::text
       END AS locale,
       d.datconnlimit AS connection_limit,
       d.datallowconn AS allow_connections,
       d.datistemplate AS is_template,
       s.setconfig AS settings,
       pg_catalog.shobj_description(d.oid, 'pg_database') AS comment,
       d.datname = pg_catalog.current_database() AS current
FROM pg_catalog.pg_database d
CROSS JOIN LATERAL (SELECT to_jsonb(d) AS j) doc
LEFT JOIN pg_catalog.pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0
ORDER BY 1";

/// Every database's access control list, as text (a NULL ACL is the
/// built-in default, which gives PUBLIC CONNECT and TEMPORARY). The
/// managed grantees are picked out here, as for every other object.
const PRIVILEGES: &str = "\
SELECT d.datname::text AS database,
       pg_catalog.pg_get_userbyid(d.datdba)::text AS owner,
       COALESCE(d.datacl, pg_catalog.acldefault('d', d.datdba))::text AS acl
FROM pg_catalog.pg_database d";

/// The live databases, and which one the main connection is on.
pub(super) struct DatabaseList {
    pub databases: BTreeMap<String, Database>,
    /// The main connection's database, read through it rather than a new
    /// connection.
    pub current: Option<String>,
}

impl DatabaseList {
    /// Whether `name` exists and may be connected to.
    pub fn accepts_connections(&self, name: &str) -> bool {
        self.databases
            .get(name)
            .is_some_and(|database| database.allow_connections)
    }
}

pub(super) async fn read(db: &Db) -> Result<DatabaseList, InspectError> {
    let rows = db.query("databases (pg_database)", DATABASES, &[]).await?;
    let mut list = DatabaseList {
        databases: BTreeMap::new(),
        current: None,
    };
    for row in &rows {
        let name: String = row.get("name");
        let mut settings = BTreeMap::new();
        for entry in row
            .get::<_, Option<Vec<String>>>("settings")
            .unwrap_or_default()
        {
            // Canonical case on the server (`DateStyle`), lower case in
            // the configuration.
            if let Some((key, value)) = entry.split_once('=') {
                settings.insert(key.to_lowercase(), value.to_owned());
            }
        }
        if row.get::<_, bool>("current") {
            list.current = Some(name.clone());
        }
        let database = Database {
            name: name.clone(),
            owner: row.get("owner"),
            encoding: row.get("encoding"),
            locale: row.get("locale"),
            template: None,
            connection_limit: row.get("connection_limit"),
            allow_connections: row.get("allow_connections"),
            is_template: row.get("is_template"),
            settings,
            comment: row.get("comment"),
        };
        list.databases.insert(name, database);
    }
    Ok(list)
}

pub(super) async fn privileges(
    db: &Db,
    scope: &InspectScope,
) -> Result<BTreeSet<Privilege>, InspectError> {
    const WHAT: &str = "database privileges (pg_database.datacl)";
    let rows = db.query(WHAT, PRIVILEGES, &[]).await?;
    let mut acls = AclReader::new(&scope.managed_roles, scope.include_public);
    let mut privileges = Vec::new();
    for row in &rows {
        let database: String = row.get(0);
        let object = ObjectRef {
            kind: ObjectKind::Database,
            database: database.clone(),
            schema: None,
            name: database,
            column: None,
        };
        add_privileges(&mut privileges, &mut acls, row.get(2), &object, row.get(1)).map_err(
            |source| InspectError {
                what: WHAT,
                database: None,
                source: InspectCause::Acl(source),
            },
        )?;
    }
    Ok(privileges.into_iter().collect())
}
