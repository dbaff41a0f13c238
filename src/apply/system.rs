//! `ALTER SYSTEM` with a way back. ALTER SYSTEM checks a value's type and
//! range only, so a value can pass it and still be refused when the file is
//! read. The entries of postgresql.auto.conf are read before writing; after
//! writing, `pg_file_settings` must report no new error, otherwise every
//! entry is put back as it was and the apply fails. Only then is the
//! configuration reloaded, and this session waits until it has re-read it.

use std::collections::{BTreeMap, BTreeSet};

use super::{ApplyError, ApplyReport};
use crate::inspect::Db;
use crate::plan::{Phase, Statement};
use crate::sql::system::{reset_sql, set_sql};

const FILE_SETTINGS: &str = "\
SELECT COALESCE(sourcefile, ''), name, setting, error
FROM pg_catalog.pg_file_settings
ORDER BY seqno";

/// pg_file_settings' word for a restart-only change waiting for a restart.
const WAITING_FOR_RESTART: &str = "setting could not be applied";

/// Whether apply hands statements of `phase` to this module.
pub(super) fn handles(phase: Phase) -> bool {
    matches!(phase, Phase::SystemSettings | Phase::ReloadConfiguration)
}

/// What the configuration files hold at one moment.
pub(super) struct Snapshot {
    /// postgresql.auto.conf's entries.
    auto_conf: BTreeMap<String, String>,
    /// Refused entries as (file, name, error); lines move, so they are left out.
    errors: BTreeSet<(String, String, String)>,
}

async fn snapshot(db: &Db) -> Result<Snapshot, ApplyError> {
    db.count();
    let rows = db
        .client
        .query(FILE_SETTINGS, &[])
        .await
        .map_err(|err| ApplyError::from_db("reading pg_file_settings", &err, None))?;
    let mut snapshot = Snapshot {
        auto_conf: BTreeMap::new(),
        errors: BTreeSet::new(),
    };
    for row in rows {
        let file: String = row.get(0);
        let name: Option<String> = row.get(1);
        let setting: Option<String> = row.get(2);
        let error: Option<String> = row.get(3);
        if let Some(error) = error.filter(|e| e != WAITING_FOR_RESTART) {
            snapshot
                .errors
                .insert((file.clone(), name.clone().unwrap_or_default(), error));
        }
        if let (Some(name), Some(setting)) = (name, setting)
            && file.ends_with("postgresql.auto.conf")
        {
            snapshot.auto_conf.insert(name, setting);
        }
    }
    Ok(snapshot)
}

/// Writes the settings, checks them, reloads; on any failure puts
/// postgresql.auto.conf back as it was and reloads nothing. Returns what
/// postgresql.auto.conf held before, for [`roll_back`].
pub(super) async fn apply(
    db: &Db,
    statements: &[&Statement],
    report: &mut ApplyReport,
    total: usize,
    progress: &dyn Fn(usize, usize),
) -> Result<Option<Snapshot>, ApplyError> {
    if statements.is_empty() {
        return Ok(None);
    }
    let before = snapshot(db).await?;
    let (writes, reloads): (Vec<&Statement>, Vec<&Statement>) = statements
        .iter()
        .partition(|statement| statement.phase == Phase::SystemSettings);
    for statement in writes {
        if let Err(err) = execute(db, &statement.for_execution()).await {
            let failure =
                ApplyError::from_db("writing server settings", &err, Some(statement.redacted()));
            return Err(restore(db, &before, failure).await);
        }
        report.statements += 1;
        progress(report.statements, total);
    }
    let after = snapshot(db).await?;
    let refused: Vec<String> = after
        .errors
        .difference(&before.errors)
        .map(|(file, name, error)| format!("{name} in {file}: {error}"))
        .collect();
    if !refused.is_empty() {
        let failure = ApplyError {
            message: format!(
                "the server refuses the new settings ({})",
                refused.join("; ")
            ),
            ..Default::default()
        };
        return Err(restore(db, &before, failure).await);
    }
    for _ in reloads {
        // What the reload statement does, noting the time, so the session
        // that verifies the apply waits until it runs with what was written.
        let signalled = super::reload::signal(db).await?;
        super::reload::wait_in_session(db, &signalled).await?;
        report.statements += 1;
        progress(report.statements, total);
    }
    Ok(Some(before))
}

/// After a later step failed: puts postgresql.auto.conf back as `before`
/// and reloads.
pub(super) async fn roll_back(db: &Db, before: &Snapshot) -> Result<(), String> {
    let now = snapshot(db).await.map_err(|err| err.message)?;
    restore_entries(db, before, &now.auto_conf).await?;
    execute(db, "SELECT pg_catalog.pg_reload_conf()")
        .await
        .map_err(|err| crate::inspect::describe(&err))
}

async fn execute(db: &Db, sql: &str) -> Result<(), tokio_postgres::Error> {
    db.execute_one(sql).await
}

/// Puts postgresql.auto.conf's entries back as `before` had them and says
/// so (or why it could not) in the error.
async fn restore(db: &Db, before: &Snapshot, mut failure: ApplyError) -> ApplyError {
    let outcome = match snapshot(db).await {
        Ok(now) => restore_entries(db, before, &now.auto_conf).await,
        Err(err) => Err(err.message),
    };
    let note = match outcome {
        Ok(()) => "postgresql.auto.conf was restored to its previous values and the configuration was not reloaded".to_owned(),
        Err(why) => format!("restoring postgresql.auto.conf failed too ({why}): check it before the server reloads or restarts"),
    };
    failure.hint = Some(match failure.hint.take() {
        Some(hint) => format!("{hint}\n{note}"),
        None => note,
    });
    failure
}

async fn restore_entries(
    db: &Db,
    before: &Snapshot,
    now: &BTreeMap<String, String>,
) -> Result<(), String> {
    let mut statements = Vec::new();
    for (name, value) in now {
        match before.auto_conf.get(name) {
            Some(old) if old == value => {}
            Some(old) => statements.push(set_sql(name, old)),
            None => statements.push(reset_sql(name)),
        }
    }
    for (name, old) in &before.auto_conf {
        if !now.contains_key(name) {
            statements.push(set_sql(name, old));
        }
    }
    for sql in statements {
        execute(db, &sql)
            .await
            .map_err(|err| format!("{sql}: {}", crate::inspect::describe(&err)))?;
    }
    Ok(())
}
