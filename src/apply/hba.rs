//! Rewriting pg_hba.conf without locking anyone out. The plan already
//! refused rules that would not admit pgfort's own connection; here, in
//! order: the file must still be what the plan saw; the old text is kept
//! next to it (`.pgfort-backup`); the new text is written and read back;
//! `pg_hba_file_rules` must report no error on any line; the server
//! reloads; a fresh connection with the same settings must get in. Any
//! failure puts the old text back (and reloads it through the session that
//! is still open when the new file was already live).
//!
//! The file is written locally when pgfort runs on the server's host
//! (sandbox or --pgdata) and can write it, otherwise over SQL with
//! `COPY … TO`, which keeps an existing file's mode.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use super::{ApplyError, ApplyReport};
use crate::connect::ConnectionSettings;
use crate::inspect::Db;
use crate::model::HbaWrite;
use crate::plan::Phase;
use crate::sql::hba as sql;

/// Suffix of the copy of the previous file.
pub const BACKUP_SUFFIX: &str = ".pgfort-backup";

/// Whether apply hands statements of `phase` to this module.
pub(super) fn handles(phase: Phase) -> bool {
    phase == Phase::HbaFile
}

/// How the file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writer {
    Local,
    Sql,
}

pub(super) async fn apply(
    db: &Db,
    settings: &ConnectionSettings,
    write: &HbaWrite,
    local_files: bool,
    report: &mut ApplyReport,
) -> Result<(), ApplyError> {
    let current = read(db, &write.file).await?;
    if current != write.before {
        return Err(failure(
            "pg_hba.conf changed since the plan was made; nothing was written",
            "run plan again",
        ));
    }
    let writer = choose(&write.file, &current, local_files);
    if writer == Writer::Sql && !(sql::writable(&write.after) && sql::writable(&current)) {
        return Err(failure(
            "pg_hba.conf holds characters COPY cannot write back exactly (carriage returns or control characters, or no final newline); nothing was written",
            "run apply on the server's host with --sandbox or --pgdata, or fix the file by hand first",
        ));
    }
    let backup = format!("{}{BACKUP_SUFFIX}", write.file);
    put(db, writer, &backup, &current, true).await?;
    if let Err(err) = put(db, writer, &write.file, &write.after, false).await {
        return Err(restore(db, writer, write, err, false).await);
    }
    report.statements += 1;
    match read(db, &write.file).await {
        Ok(text) if text == write.after => {}
        Ok(_) => {
            let err = failure(
                "pg_hba.conf does not read back as written",
                "check the file system holding it",
            );
            return Err(restore(db, writer, write, err, false).await);
        }
        Err(err) => return Err(restore(db, writer, write, err, false).await),
    }
    if let Err(err) = validate(db, write).await {
        return Err(restore(db, writer, write, err, false).await);
    }
    let signalled = match super::reload::signal(db).await {
        Ok(at) => at,
        Err(err) => return Err(restore(db, writer, write, err, true).await),
    };
    report.statements += 1;
    if let Err(err) = try_new_connection(settings, &signalled).await {
        return Err(restore(db, writer, write, err, true).await);
    }
    Ok(())
}

/// A fresh connection must get in under the new rules once they are live.
async fn try_new_connection(
    settings: &ConnectionSettings,
    signalled: &str,
) -> Result<(), ApplyError> {
    super::reload::wait_until_reloaded(settings, signalled, "pg_hba.conf", |err| {
        failure(
            &format!("a new connection was refused under the new pg_hba.conf: {err}"),
            "the rules admit pgfort's session on paper but not in practice (a host name, samenet, group or credential the server sees differently)",
        )
    })
    .await
}

fn failure(message: &str, hint: &str) -> ApplyError {
    ApplyError {
        message: message.to_owned(),
        hint: Some(hint.to_owned()),
        ..Default::default()
    }
}

/// Local when asked for and the file here is the server's (same text) and
/// writable; SQL otherwise.
fn choose(path: &str, current: &str, local_files: bool) -> Writer {
    if !local_files {
        return Writer::Sql;
    }
    let same = std::fs::read_to_string(path).is_ok_and(|text| text == current);
    let writable = std::fs::OpenOptions::new().append(true).open(path).is_ok();
    if same && writable {
        Writer::Local
    } else {
        Writer::Sql
    }
}

async fn read(db: &Db, path: &str) -> Result<String, ApplyError> {
    db.count();
    let row = db
        .client
        .query_one(&sql::read_file(path), &[])
        .await
        .map_err(|err| ApplyError::from_db("reading pg_hba.conf", &err, None))?;
    Ok(row.get::<_, Option<String>>(0).unwrap_or_default())
}

/// Writes `text` to `path`. A new local file (the backup) is private.
async fn put(
    db: &Db,
    writer: Writer,
    path: &str,
    text: &str,
    new_file: bool,
) -> Result<(), ApplyError> {
    match writer {
        Writer::Local => write_local(Path::new(path), text, new_file).map_err(|err| {
            failure(
                &format!("writing {path}: {err}"),
                "check the file's permissions",
            )
        }),
        Writer::Sql => {
            let statement = sql::copy_to_file(path, text);
            db.execute_one(&statement)
                .await
                .map_err(|err| ApplyError::from_db(&format!("writing {path}"), &err, None))
        }
    }
}

/// Truncates and rewrites in place, so an existing file keeps its owner
/// and mode.
fn write_local(path: &Path, text: &str, new_file: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).truncate(true);
    if new_file {
        options.create(true).mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// Every line must parse: one bad line makes the server refuse the whole
/// file at the next reload or restart.
async fn validate(db: &Db, write: &HbaWrite) -> Result<(), ApplyError> {
    db.count();
    let rows = db
        .client
        .query(crate::inspect::HBA_RULES, &[])
        .await
        .map_err(|err| ApplyError::from_db("reading pg_hba_file_rules", &err, None))?;
    let errors = crate::inspect::parse_hba_rows(&rows).errors;
    let Some((line, message)) = errors.first() else {
        return Ok(());
    };
    let rule = write.rule_at(*line).unwrap_or("?");
    Err(failure(
        &format!("PostgreSQL refuses rule \"{rule}\" (line {line} of pg_hba.conf): {message}"),
        "fix the rule in the configuration",
    ))
}

/// Puts the previous text back (and reloads when the new file was live),
/// saying in the error whether that worked.
async fn restore(
    db: &Db,
    writer: Writer,
    write: &HbaWrite,
    mut failure: ApplyError,
    reload_after: bool,
) -> ApplyError {
    let mut outcome = put(db, writer, &write.file, &write.before, false).await;
    if outcome.is_ok() && reload_after {
        outcome = super::reload::signal(db).await.map(drop);
    }
    let note = match outcome {
        Ok(()) => "the previous pg_hba.conf was put back".to_owned(),
        Err(err) => format!(
            "putting the previous pg_hba.conf back failed too ({}): copy {}{BACKUP_SUFFIX} over it by hand",
            err.message, write.file
        ),
    };
    failure.hint = Some(match failure.hint.take() {
        Some(hint) => format!("{hint}\n{note}"),
        None => note,
    });
    failure
}
