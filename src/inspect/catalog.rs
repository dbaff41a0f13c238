//! The contents of the databases in scope: one connection per database (the
//! main one for its own database), a fixed set of pipelined queries on each,
//! several databases at a time.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::{StreamExt as _, TryStreamExt as _, stream};

use super::acl::{AclError, AclReader};
use super::databases::DatabaseList;
use super::{Db, InspectCause, InspectError, InspectScope};
use super::{default_privileges, extensions, objects, policies, schemas};
use crate::connect::{self, ConnectionSettings};
use crate::model::DatabaseCatalog;

/// Databases read at the same time, each holding one connection: enough to
/// hide latency, few enough not to exhaust `max_connections`.
const CONCURRENT_DATABASES: usize = 8;

/// Every database's contents, and the queries made on connections other
/// than the main one.
pub(super) struct Contents {
    pub catalogs: BTreeMap<String, DatabaseCatalog>,
    pub round_trips: u64,
}

/// Reads the databases of `scope` that exist and accept connections; the
/// others are skipped (they are desired but not created yet).
pub(super) async fn read_all(
    main: &Db,
    settings: &ConnectionSettings,
    scope: &InspectScope,
    live: &DatabaseList,
) -> Result<Contents, InspectError> {
    let targets: BTreeSet<&str> = scope
        .databases
        .iter()
        .map(String::as_str)
        .filter(|name| live.accepts_connections(name))
        .collect();
    let read_one = |name: &str| {
        let name = name.to_owned();
        async move {
            if live.current.as_deref() == Some(name.as_str()) {
                let catalog = read(main, &name, scope).await?;
                return Ok::<_, InspectError>((name, catalog, 0));
            }
            let client = connect::connect(&settings.with_dbname(name.as_str()))
                .await
                .map_err(|source| InspectError {
                    what: "schemas, objects and privileges",
                    database: Some(name.clone()),
                    source: InspectCause::Connect(source),
                })?;
            let db = Db::new(client);
            let catalog = read(&db, &name, scope).await?;
            Ok((name, catalog, db.round_trips()))
        }
    };
    let read: Vec<(String, DatabaseCatalog, u64)> = stream::iter(targets)
        .map(read_one)
        .buffer_unordered(CONCURRENT_DATABASES)
        .try_collect()
        .await?;
    let mut contents = Contents {
        catalogs: BTreeMap::new(),
        round_trips: 0,
    };
    for (name, catalog, round_trips) in read {
        contents.catalogs.insert(name, catalog);
        contents.round_trips += round_trips;
    }
    Ok(contents)
}

/// Reads one database's contents on `db` (connected to it): seven queries,
/// nine when tables are declared in it (or every table under row-level
/// security is asked for), pipelined.
async fn read(
    db: &Db,
    database: &str,
    scope: &InspectScope,
) -> Result<DatabaseCatalog, InspectError> {
    let (schemas, relations, functions, types, columns, defaults, exts, rls) =
        futures_util::try_join!(
            db.query("schemas (pg_namespace)", schemas::SCHEMAS, &[]),
            db.query("tables and sequences (pg_class)", objects::RELATIONS, &[]),
            db.query("functions (pg_proc)", objects::FUNCTIONS, &[]),
            db.query("types (pg_type)", objects::TYPES, &[]),
            db.query("column privileges (pg_attribute)", objects::COLUMNS, &[]),
            db.query(
                "default privileges (pg_default_acl)",
                default_privileges::DEFAULT_PRIVILEGES,
                &[]
            ),
            db.query("extensions (pg_extension)", extensions::INSTALLED, &[]),
            policies::read(db, database, scope),
        )
        .map_err(|error| error.in_database(database))?;
    let mut catalog = DatabaseCatalog::default();
    let mut acls = AclReader::new(&scope.managed_roles, scope.include_public);
    let unreadable = |source: AclError| InspectError {
        what: "privileges",
        database: Some(database.to_owned()),
        source: InspectCause::Acl(source),
    };
    schemas::add(&mut catalog, database, &schemas, &mut acls).map_err(unreadable)?;
    let rows = objects::ObjectRows {
        relations: &relations,
        functions: &functions,
        types: &types,
        columns: &columns,
    };
    objects::add(&mut catalog, database, rows, &mut acls).map_err(unreadable)?;
    default_privileges::add(&mut catalog, database, &defaults, &mut acls).map_err(unreadable)?;
    extensions::add(&mut catalog, database, &exts);
    policies::add(&mut catalog, database, rls);
    Ok(catalog)
}
