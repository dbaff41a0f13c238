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

use tokio_postgres::error::SqlState;

use super::{ApplyError, ApplyReport};
use crate::connect::ConnectionSettings;
use crate::inspect::Db;
use crate::model::HbaWrite;
use crate::model::hba_token::redact_text;
use crate::plan::Phase;
use crate::sql::hba as sql;

/// Suffix of the copy of the previous file.
pub const BACKUP_SUFFIX: &str = ".pgfort-backup";

/// Whether apply hands statements of `phase` to this module.
pub(super) fn handles(phase: Phase) -> bool {
    phase == Phase::HbaFile
}

/// Refuses, before anything runs, a write whose secret option values were
/// redacted (a saved plan never holds them).
pub(super) fn check_applicable(write: &HbaWrite) -> Result<(), ApplyError> {
    if write.redacted {
        return Err(failure(
            "this saved plan rewrites pg_hba.conf with secret option values (ldapbindpasswd, radiussecrets), which a saved plan does not hold; nothing was applied",
            "apply from the configuration directory instead: `pgfort apply DIR`",
        ));
    }
    Ok(())
}

/// How the file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writer {
    Local,
    Sql,
}

/// How far a rewrite got when it failed: what the error must say about
/// the file the server runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The new text is (perhaps partly) on disk, but the server was not
    /// told to load it.
    Written,
    /// The server was told to reload with the new text: it is live.
    Signalled,
}

pub(super) async fn apply(
    db: &Db,
    settings: &ConnectionSettings,
    write: &HbaWrite,
    local_files: bool,
    report: &mut ApplyReport,
) -> Result<(), ApplyError> {
    check_applicable(write)?;
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
    // Secret option values travel in the COPY statements' text: keep them
    // out of the server log and pg_stat_statements.
    let quiet = writer == Writer::Sql
        && (redact_text(&write.after) != write.after || redact_text(&current) != current);
    if quiet {
        session(db, super::certificates::server::QUIET).await?;
    }
    let result = rewrite(db, settings, write, writer, &current, report).await;
    if quiet {
        let reset = session(db, super::certificates::server::LOUD).await;
        result?;
        return reset;
    }
    result
}

async fn session(db: &Db, statements: &[&str]) -> Result<(), ApplyError> {
    let results = db.pipeline_texts(statements).await;
    match crate::inspect::pipeline::first_error(&results) {
        Some((_, err)) => Err(ApplyError::from_db(
            "setting up the session for pg_hba.conf",
            err,
            None,
        )),
        None => Ok(()),
    }
}

/// Backup, write, read back, validate, reload, log in: see the module.
async fn rewrite(
    db: &Db,
    settings: &ConnectionSettings,
    write: &HbaWrite,
    writer: Writer,
    current: &str,
    report: &mut ApplyReport,
) -> Result<(), ApplyError> {
    let backup = format!("{}{BACKUP_SUFFIX}", write.file);
    if let Err(mut err) = put_backup(db, writer, &backup, current).await {
        err.message
            .push_str("; pg_hba.conf was not changed (the server runs the previous rules)");
        return Err(err);
    }
    // Beside the file until a fresh login succeeded: a pgfort killed in
    // between leaves it, and the next apply restores the backup first.
    let marker = super::hba_marker::marker_path(&write.file);
    let pending = super::hba_marker::Marker::new(&backup, current, &write.after);
    if let Err(mut err) = put_backup(db, writer, &marker, &pending.text()).await {
        err.message
            .push_str("; pg_hba.conf was not changed (the server runs the previous rules)");
        return Err(err);
    }
    if let Err(err) = put(db, writer, &write.file, &write.after).await {
        return Err(restore(db, writer, write, err, Stage::Written).await);
    }
    report.statements += 1;
    match read(db, &write.file).await {
        Ok(text) if text == write.after => {}
        Ok(_) => {
            let err = failure(
                "pg_hba.conf does not read back as written",
                "check the file system holding it",
            );
            return Err(restore(db, writer, write, err, Stage::Written).await);
        }
        Err(err) => return Err(restore(db, writer, write, err, Stage::Written).await),
    }
    if let Err(err) = validate(db, write).await {
        return Err(restore(db, writer, write, err, Stage::Written).await);
    }
    // A failed pg_reload_conf() sent no signal: the new text was not loaded.
    let signalled = match super::reload::signal(db).await {
        Ok(at) => at,
        Err(err) => return Err(restore(db, writer, write, err, Stage::Written).await),
    };
    report.statements += 1;
    if let Err(err) = try_new_connection(settings, &signalled).await {
        return Err(restore(db, writer, write, err, Stage::Signalled).await);
    }
    clear_marker(db, writer, &marker).await.map_err(|err| {
        failure(
            &format!("the new pg_hba.conf is live and admits pgfort, but {marker} could not be removed: {}", err.message),
            &format!("delete {marker} by hand: while it is there, the next apply puts the previous file back"),
        )
    })
}

/// Removes the marker (empties it over SQL, which cannot delete files).
async fn clear_marker(db: &Db, writer: Writer, marker: &str) -> Result<(), ApplyError> {
    match writer {
        Writer::Local => match std::fs::remove_file(marker) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(failure(
                &format!("removing {marker}: {err}"),
                "check the directory's permissions",
            )),
            _ => Ok(()),
        },
        Writer::Sql => put(db, writer, marker, "").await,
    }
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

/// Rewrites `path` in place (it keeps its owner and mode).
async fn put(db: &Db, writer: Writer, path: &str, text: &str) -> Result<(), ApplyError> {
    match writer {
        Writer::Local => write_local(Path::new(path), text).map_err(|err| {
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
pub(super) fn write_local(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)?;
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
/// and says in the error exactly which rules the server now runs.
async fn restore(
    db: &Db,
    writer: Writer,
    write: &HbaWrite,
    mut failure: ApplyError,
    stage: Stage,
) -> ApplyError {
    let put_back = put(db, writer, &write.file, &write.before).await;
    let reloaded = match (&put_back, stage) {
        (Ok(()), Stage::Signalled) => Some(super::reload::signal(db).await.map(drop)),
        _ => None,
    };
    // The previous rules are back (on disk, and live when they were
    // replaced): nothing is pending any more.
    let back = matches!(
        (stage, &put_back, &reloaded),
        (Stage::Written, Ok(()), _) | (Stage::Signalled, Ok(()), Some(Ok(())))
    );
    if back {
        let marker = super::hba_marker::marker_path(&write.file);
        let _ = clear_marker(db, writer, &marker).await;
    }
    let backup = format!("{}{BACKUP_SUFFIX}", write.file);
    let (state, action) = outcome(stage, &put_back, reloaded.as_ref(), &write.file, &backup);
    failure.message = format!("{}; {state}", failure.message);
    failure.hint = Some(match (failure.hint.take(), action) {
        (Some(hint), Some(action)) => format!("{hint}\n{action}"),
        (Some(hint), None) => hint,
        (None, Some(action)) => action,
        (None, None) => String::new(),
    })
    .filter(|hint| !hint.is_empty());
    failure
}

/// What the server runs after a failed rewrite and a restore attempt, and
/// what is left to do by hand. Kept separate so every combination is
/// tested: a message must never claim the new file is not live when it is.
fn outcome(
    stage: Stage,
    put_back: &Result<(), ApplyError>,
    reloaded: Option<&Result<(), ApplyError>>,
    file: &str,
    backup: &str,
) -> (String, Option<String>) {
    match (stage, put_back, reloaded) {
        (Stage::Written, Ok(()), _) => (
            "the new pg_hba.conf was never loaded and the previous one was put back: the server runs the previous rules".to_owned(),
            None,
        ),
        (Stage::Written, Err(err), _) => (
            format!(
                "the new pg_hba.conf is on disk but was not loaded, and putting the previous one back failed ({}): the server runs the previous rules until its next reload or restart, which would load the new file",
                err.message
            ),
            Some(format!("copy {backup} over {file} by hand before anything reloads the server")),
        ),
        (Stage::Signalled, Ok(()), Some(Ok(()))) => (
            "the new pg_hba.conf was live briefly; the previous one was put back and reloaded: the server runs the previous rules".to_owned(),
            None,
        ),
        (Stage::Signalled, Ok(()), reload) => {
            let why = match reload {
                Some(Err(err)) => format!(" ({})", err.message),
                _ => String::new(),
            };
            (
                format!(
                    "the previous pg_hba.conf was put back on disk, but reloading it failed{why}: THE NEW RULES ARE STILL LIVE"
                ),
                Some(format!(
                    "reload the server (SELECT pg_reload_conf()) to run the previous rules of {file} again; a copy is in {backup}"
                )),
            )
        }
        (Stage::Signalled, Err(err), _) => (
            format!(
                "THE NEW pg_hba.conf IS LIVE: putting the previous one back failed ({})",
                err.message
            ),
            Some(format!(
                "copy {backup} over {file} by hand, then reload the server (SELECT pg_reload_conf())"
            )),
        ),
    }
}

/// Writes the copy of the previous file: private (0600) and owned by the
/// server's user, whoever runs pgfort, since it holds the same rules and
/// secrets as pg_hba.conf itself.
async fn put_backup(db: &Db, writer: Writer, path: &str, text: &str) -> Result<(), ApplyError> {
    match writer {
        Writer::Local => {
            let owner = server_owner(db, path).await;
            write_backup_local(Path::new(path), text, owner).map_err(|err| {
                failure(
                    &format!("writing {path}: {err}"),
                    "run pgfort as the server's user or as root",
                )
            })
        }
        Writer::Sql => {
            // Through a shell with umask 077 (superuser or
            // pg_execute_server_program); otherwise plain COPY, whose file
            // the server creates with its own umask (0600, or 0640 when the
            // data directory allows group access), never world-readable.
            let private = db.execute_one(&sql::copy_to_private_file(path, text)).await;
            match private {
                Ok(()) => Ok(()),
                Err(err) if err.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => db
                    .execute_one(&sql::copy_to_file(path, text))
                    .await
                    .map_err(|err| ApplyError::from_db(&format!("writing {path}"), &err, None)),
                Err(err) => Err(ApplyError::from_db(&format!("writing {path}"), &err, None)),
            }
        }
    }
}

/// The data directory's owner (uid, gid): the server's user. Falls back to
/// the directory holding pg_hba.conf when the setting cannot be read.
async fn server_owner(db: &Db, path: &str) -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt as _;
    db.count();
    let data = db
        .client
        .query_one("SELECT current_setting('data_directory')", &[])
        .await
        .ok()
        .map(|row| row.get::<_, String>(0));
    let dir = match data {
        Some(dir) => std::path::PathBuf::from(dir),
        None => Path::new(path).parent()?.to_path_buf(),
    };
    std::fs::metadata(dir).ok().map(|m| (m.uid(), m.gid()))
}

/// A fresh file every time: whatever is at `path` (an old backup with a
/// wider mode, a symbolic link planted by the server's user when pgfort
/// runs as root) is removed first, and the new file is created exclusively
/// with mode 0600, then given to `owner`.
fn write_backup_local(path: &Path, text: &str, owner: Option<(u32, u32)>) -> std::io::Result<()> {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    match std::fs::remove_file(path) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err),
        _ => {}
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    let written = (|| {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        let meta = file.metadata()?;
        if let Some((uid, gid)) = owner
            && (meta.uid(), meta.gid()) != (uid, gid)
        {
            std::os::unix::fs::fchown(&file, Some(uid), Some(gid))?;
        }
        file.write_all(text.as_bytes())?;
        file.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(path);
    }
    written
}

#[cfg(test)]
#[path = "hba_tests.rs"]
mod tests;
