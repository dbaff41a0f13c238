//! The declared PgBouncer instances: their files, read from `config_dir`
//! on this machine (PgBouncer runs next to pgfort, not inside the server),
//! and the `auth_query` lookup function in the databases they pool.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::Path;

use super::{Db, InspectCause, InspectError};
use crate::connect::ConnectionSettings;
use crate::model::{
    AuthFunction, AuthLookup, PgBouncer, PgBouncerAuth, PgBouncerFiles, PgBouncerTlsFiles, Secret,
};
use crate::pgbouncer::{
    AUTH_FILE_NAME, INI_FILE_NAME, TLS_CA_FILE_NAME, TLS_CERT_FILE_NAME, TLS_KEY_FILE_NAME,
};
use crate::sql::pgbouncer as sql;

/// A PgBouncer file that exists but cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("pgbouncer \"{name}\": reading {path}: {source}")]
pub struct PgBouncerReadError {
    pub name: String,
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

/// The live files of every declared PgBouncer (a missing file is `None`).
pub fn read_files(
    declared: &BTreeMap<String, PgBouncer>,
) -> Result<BTreeMap<String, PgBouncerFiles>, PgBouncerReadError> {
    declared
        .values()
        .map(|pgbouncer| {
            let read = |file: &str| read_optional(&pgbouncer.name, &pgbouncer.config_dir, file);
            let tls = match &pgbouncer.tls {
                Some(_) => read_tls(pgbouncer)?,
                None => PgBouncerTlsFiles::default(),
            };
            let files = PgBouncerFiles {
                ini: read(INI_FILE_NAME)?,
                userlist: read(AUTH_FILE_NAME)?.map(Secret::new),
                tls,
            };
            Ok((pgbouncer.name.clone(), files))
        })
        .collect()
}

/// What the certificate, key and CA files in `config_dir` hold. The key
/// is read only to compare it with the certificate, and never kept.
fn read_tls(pgbouncer: &PgBouncer) -> Result<PgBouncerTlsFiles, PgBouncerReadError> {
    let read = |file: &str| read_optional(&pgbouncer.name, &pgbouncer.config_dir, file);
    let certificate =
        read(TLS_CERT_FILE_NAME)?.and_then(|pem| crate::tls::first_certificate(&pem).ok());
    let key = read(TLS_KEY_FILE_NAME)?.map(Secret::new);
    let key_matches = match (&certificate, &key) {
        (Some(cert), Some(key)) => crate::tls::load_key(key.expose())
            .is_ok_and(|pair| crate::tls::key_matches(cert, &pair)),
        _ => false,
    };
    let key_private = std::fs::metadata(pgbouncer.config_dir.join(TLS_KEY_FILE_NAME))
        .is_ok_and(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o077 == 0);
    let ca = read(TLS_CA_FILE_NAME)?.and_then(|pem| crate::tls::first_certificate(&pem).ok());
    Ok(PgBouncerTlsFiles {
        certificate,
        key_matches,
        key_private,
        ca,
    })
}

fn read_optional(name: &str, dir: &Path, file: &str) -> Result<Option<String>, PgBouncerReadError> {
    let path = dir.join(file);
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
        Err(source) => Err(PgBouncerReadError {
            name: name.to_owned(),
            path: path.display().to_string(),
            source,
        }),
    }
}

/// The server databases PgBouncer instances with `auth = "query"` pool.
pub fn lookup_databases(declared: &BTreeMap<String, PgBouncer>) -> Vec<String> {
    let mut databases: Vec<String> = declared
        .values()
        .filter(|pgbouncer| matches!(pgbouncer.auth, PgBouncerAuth::Query { .. }))
        .flat_map(|pgbouncer| pgbouncer.databases.values().map(|d| d.dbname.clone()))
        .collect();
    databases.sort_unstable();
    databases.dedup();
    databases
}

/// The `auth_query` lookup in each of `databases` that exists (one query
/// per database, the databases read concurrently).
pub async fn read_lookups(
    settings: &ConnectionSettings,
    databases: &[String],
) -> Result<BTreeMap<String, AuthLookup>, InspectError> {
    let reads = databases.iter().map(|database| async move {
        let client = crate::connect::connect(&settings.with_dbname(database))
            .await
            .map_err(|err| InspectError {
                what: "the pgbouncer auth_query function",
                database: Some(database.clone()),
                source: InspectCause::Connect(err),
            })?;
        let db = Db::new(client);
        let rows = db
            .query("the pgbouncer auth_query function", sql::INSPECT, &[])
            .await
            .map_err(|err| err.in_database(database))?;
        Ok::<_, InspectError>(rows.first().map(|row| (database.clone(), lookup(row))))
    });
    let found = futures_util::future::try_join_all(reads).await?;
    Ok(found.into_iter().flatten().collect())
}

fn lookup(row: &tokio_postgres::Row) -> AuthLookup {
    let function = row
        .get::<_, Option<String>>("function_owner")
        .map(|owner| AuthFunction {
            owner,
            body: row.get::<_, Option<String>>("prosrc").unwrap_or_default(),
            security_definer: row.get::<_, Option<bool>>("prosecdef").unwrap_or(false),
            config: row
                .get::<_, Option<Vec<String>>>("proconfig")
                .unwrap_or_default(),
            execute: row.get("execute"),
        });
    AuthLookup {
        schema_owner: row.get("schema_owner"),
        usage: row.get("usage"),
        function,
    }
}
