//! Server settings: every parameter (`pg_settings`) and every configuration
//! file entry (`pg_file_settings`), two queries. The first gives the values
//! the server runs with, the second what the files say (what a reload or
//! restart would load), so a value written but not loaded is seen.

use tokio_postgres::Row;
use tokio_postgres::error::SqlState;

use super::{Db, InspectError};
use crate::model::{ConfiguredValue, Context, FileError, Parameter, ServerSettings, VarType};

///
/// `session_reloaded`: whether this session has re-read the files since it
/// started (a backend inherits the postmaster's load time when it starts).
const PARAMETERS: &str = "\
SELECT name::text, setting, unit, vartype, min_val, max_val, enumvals, context, source,
       boot_val, pending_restart,
       COALESCE(pg_catalog.pg_conf_load_time() > me.backend_start, true) AS session_reloaded
FROM pg_catalog.pg_settings
LEFT JOIN (SELECT backend_start FROM pg_catalog.pg_stat_activity
           WHERE pid = pg_catalog.pg_backend_pid()) me ON true";

/// Every entry of every configuration file, in the order the server reads
/// them (postgresql.auto.conf last). Superusers only by default.
const FILE_SETTINGS: &str = "\
SELECT sourcefile, sourceline, name, setting, applied, error
FROM pg_catalog.pg_file_settings
ORDER BY seqno";

/// The file ALTER SYSTEM writes.
const AUTO_CONF: &str = "postgresql.auto.conf";

/// What `pg_file_settings.error` says of a restart-only change that waits
/// for a restart: not an error in the file.
pub(crate) const WAITING_FOR_RESTART: &str = "setting could not be applied";

pub(super) async fn read(db: &Db) -> Result<ServerSettings, InspectError> {
    let (parameters, files) = futures_util::try_join!(
        db.query("server parameters (pg_settings)", PARAMETERS, &[]),
        file_settings(db),
    )?;
    let mut settings = ServerSettings {
        files_readable: files.is_some(),
        ..Default::default()
    };
    for row in &parameters {
        settings.session_reloaded |= row.get::<_, bool>("session_reloaded");
        let param = parameter(row);
        settings.parameters.insert(param.name.clone(), param);
    }
    for row in files.unwrap_or_default() {
        add_file_entry(&mut settings, &row);
    }
    Ok(settings)
}

/// `None` when the connected role may not read `pg_file_settings`.
async fn file_settings(db: &Db) -> Result<Option<Vec<Row>>, InspectError> {
    match db
        .query("configuration files (pg_file_settings)", FILE_SETTINGS, &[])
        .await
    {
        Ok(rows) => Ok(Some(rows)),
        Err(err) if err.source.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Names are case-insensitive (`TimeZone`); they are kept in lower case,
/// as the configuration writes them.
fn parameter(row: &Row) -> Parameter {
    Parameter {
        name: row.get::<_, String>("name").to_lowercase(),
        vartype: VarType::parse(&row.get::<_, String>("vartype")),
        unit: row.get("unit"),
        min: row.get("min_val"),
        max: row.get("max_val"),
        enumvals: row
            .get::<_, Option<Vec<String>>>("enumvals")
            .unwrap_or_default(),
        context: Context::parse(&row.get::<_, String>("context")),
        setting: row.get::<_, Option<String>>("setting").unwrap_or_default(),
        boot_val: row.get("boot_val"),
        source: row.get::<_, Option<String>>("source").unwrap_or_default(),
        pending_restart: row.get("pending_restart"),
    }
}

/// postgresql.auto.conf entries go to `values` whatever their state (so
/// they can be replaced or reset); other files' entries the server refuses
/// are errors, not configured values.
fn add_file_entry(settings: &mut ServerSettings, row: &Row) {
    let file: String = row
        .get::<_, Option<String>>("sourcefile")
        .unwrap_or_default();
    let name: Option<String> = row.get("name");
    let value: Option<String> = row.get("setting");
    let error: Option<String> = row.get("error");
    let refused = error.as_deref().is_some_and(|e| e != WAITING_FOR_RESTART);
    if let Some(name) = &name {
        // The last entry for a name is the one that counts.
        let waits = error.as_deref() == Some(WAITING_FOR_RESTART);
        if row.get::<_, bool>("applied") || waits {
            settings.unapplicable.remove(&name.to_lowercase());
        } else {
            settings.unapplicable.insert(name.to_lowercase());
        }
    }
    if let Some(error) = error.filter(|_| refused) {
        settings.file_errors.push(FileError {
            file: file.clone(),
            line: row.get::<_, Option<i32>>("sourceline").unwrap_or(0),
            name: name.clone(),
            error,
        });
    }
    let (Some(name), Some(value)) = (name.map(|n| n.to_lowercase()), value) else {
        return;
    };
    if file.ends_with(AUTO_CONF) {
        settings.values.insert(name, value);
    } else if !refused {
        settings
            .configured
            .insert(name, ConfiguredValue { value, file });
    }
}
