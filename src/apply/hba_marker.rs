//! The rollback marker of a pg_hba.conf rewrite. Before the new file is
//! written, `pg_hba.conf.pgfort-pending` is put beside it, naming the
//! backup and the digests of the previous and the new text; it is removed
//! (emptied, over SQL) once a fresh login under the new rules succeeded,
//! or once the previous file was put back. A marker left behind means a
//! pgfort was killed in between: the new rules may be live and may lock
//! everyone out. The next apply puts the backup back first: locally
//! (--sandbox/--pgdata) before it even connects when it cannot, over SQL
//! (pg_read_file, COPY) under the apply lock otherwise. It restores only
//! when the file is still what the interrupted run wrote; anything else
//! (a hand-edited file, a backup that does not match) is refused with the
//! way to restore by hand.

use std::path::Path;

use super::ApplyError;
use crate::inspect::Db;

/// Suffix of the marker, beside pg_hba.conf.
pub const PENDING_SUFFIX: &str = ".pgfort-pending";

/// Largest file read over SQL.
const READ_LIMIT: i64 = 16 << 20;

/// What a marker says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub backup: String,
    pub backup_sha256: String,
    pub new_sha256: String,
}

impl Marker {
    pub fn new(backup: &str, before: &str, after: &str) -> Marker {
        Marker {
            backup: backup.to_owned(),
            backup_sha256: sha256(before),
            new_sha256: sha256(after),
        }
    }

    pub fn text(&self) -> String {
        format!(
            "# pgfort is rewriting pg_hba.conf; if this file outlives it, restore the backup:\n# cp {} <pg_hba.conf> && pg_ctl reload\nbackup={}\nbackup_sha256={}\nnew_sha256={}\n",
            self.backup, self.backup, self.backup_sha256, self.new_sha256
        )
    }

    /// `None`: no pending rewrite (an empty, cleared marker); `Err`: a
    /// marker pgfort cannot read.
    pub(crate) fn parse(text: &str) -> Result<Option<Marker>, ()> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        let field = |name: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
                .map(str::to_owned)
                .ok_or(())
        };
        Ok(Some(Marker {
            backup: field("backup")?,
            backup_sha256: field("backup_sha256")?,
            new_sha256: field("new_sha256")?,
        }))
    }
}

pub fn marker_path(hba_file: &str) -> String {
    format!("{hba_file}{PENDING_SUFFIX}")
}

fn sha256(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// What to do about a marker, from the texts found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// The file is the backup already: only the marker is left to clear.
    Clear,
    /// The file is what the interrupted run wrote: put the backup back.
    Restore(String),
    /// Neither: refuse, with this reason.
    Refuse(String),
}

pub(crate) fn decide(marker: &Marker, current: &str, backup: Option<&str>) -> Decision {
    if sha256(current) == marker.backup_sha256 {
        return Decision::Clear;
    }
    let Some(backup) = backup.filter(|text| sha256(text) == marker.backup_sha256) else {
        return Decision::Refuse(format!(
            "the backup {} is missing or is not the file pgfort replaced",
            marker.backup
        ));
    };
    if sha256(current) != marker.new_sha256 {
        return Decision::Refuse(
            "pg_hba.conf was changed since (it is neither the previous nor the new file)"
                .to_owned(),
        );
    }
    Decision::Restore(backup.to_owned())
}

fn refusal(file: &str, marker_file: &str, why: &str, backup: &str) -> ApplyError {
    ApplyError {
        message: format!(
            "an earlier pgfort was interrupted while rewriting {file} ({marker_file} is left), and its new rules may be live; pgfort did not restore it: {why}; nothing was changed"
        ),
        hint: Some(format!(
            "check {file}; to go back to the previous rules: cp {backup} {file}, reload the server (pg_ctl reload, or SELECT pg_reload_conf()), then delete {marker_file}"
        )),
        ..Default::default()
    }
}

fn restored(file: &str, marker_file: &str) -> String {
    format!(
        "pgfort: an earlier apply was interrupted while rewriting {file} ({marker_file}); the previous file was restored from its backup and reloaded"
    )
}

/// Whether a local data directory has a pending rewrite of its pg_hba.conf.
pub fn pending_local(data_dir: &Path) -> bool {
    let marker = data_dir.join(format!("pg_hba.conf{PENDING_SUFFIX}"));
    std::fs::read_to_string(marker).is_ok_and(|text| !text.trim().is_empty())
}

/// Restores `data_dir`'s pg_hba.conf from the backup an interrupted
/// rewrite left, with the files themselves (no connection: the rules on
/// disk may refuse it), then signals the postmaster to reload.
/// `Ok(Some(message))` when something was done.
pub fn recover_local(data_dir: &Path) -> Result<Option<String>, ApplyError> {
    let file = data_dir.join("pg_hba.conf");
    let file_name = file.display().to_string();
    let marker_file = marker_path(&file_name);
    let Ok(text) = std::fs::read_to_string(&marker_file) else {
        return Ok(None);
    };
    let io = |what: &str, err: std::io::Error| ApplyError {
        message: format!("{what}: {err}"),
        hint: Some("run pgfort as the server's user or as root".to_owned()),
        ..Default::default()
    };
    let Ok(marker) = Marker::parse(&text) else {
        return Err(refusal(
            &file_name,
            &marker_file,
            "the marker cannot be read",
            &format!("{file_name}{}", super::hba::BACKUP_SUFFIX),
        ));
    };
    let Some(marker) = marker else {
        return Ok(None);
    };
    let current = std::fs::read_to_string(&file).map_err(|e| io(&file_name, e))?;
    let backup = std::fs::read_to_string(&marker.backup).ok();
    match decide(&marker, &current, backup.as_deref()) {
        Decision::Refuse(why) => Err(refusal(&file_name, &marker_file, &why, &marker.backup)),
        Decision::Clear => {
            std::fs::remove_file(&marker_file).map_err(|e| io(&marker_file, e))?;
            Ok(None)
        }
        Decision::Restore(text) => {
            super::hba::write_local(&file, &text).map_err(|e| io(&file_name, e))?;
            signal_postmaster(data_dir);
            std::fs::remove_file(&marker_file).map_err(|e| io(&marker_file, e))?;
            Ok(Some(restored(&file_name, &marker_file)))
        }
    }
}

/// SIGHUP to the postmaster of `data_dir`, when it runs.
fn signal_postmaster(data_dir: &Path) {
    let pid = std::fs::read_to_string(data_dir.join("postmaster.pid"))
        .ok()
        .and_then(|text| text.lines().next()?.trim().parse::<libc::pid_t>().ok());
    if let Some(pid) = pid.filter(|pid| *pid > 0) {
        // SAFETY: kill(2) with a plain pid and signal number.
        unsafe {
            libc::kill(pid, libc::SIGHUP);
        }
    }
}

/// The same over SQL, on a connection that got in (holding the apply
/// lock, so no other pgfort is mid-rewrite): the marker and the backup
/// read with `pg_read_file`, the backup written back with `COPY`, then
/// `pg_reload_conf()`. Without the right to read server files there is
/// nothing pgfort could restore, and nothing is checked.
pub async fn recover_sql(db: &Db) -> Result<Option<String>, ApplyError> {
    let db_err = |what: &str, err: &tokio_postgres::Error| ApplyError::from_db(what, err, None);
    let row = db
        .client
        .query_one(
            "SELECT current_setting('hba_file'), pg_catalog.pg_read_file(current_setting('hba_file') || $1, 0, $2, true)",
            &[&PENDING_SUFFIX, &READ_LIMIT],
        )
        .await;
    db.count();
    let row = match row {
        Ok(row) => row,
        // Not allowed to read server files (or the setting): pgfort does
        // not manage pg_hba.conf on this server.
        Err(_) => return Ok(None),
    };
    let file: String = row.get(0);
    let marker_file = marker_path(&file);
    let text: Option<String> = row.get(1);
    let Ok(marker) = Marker::parse(text.as_deref().unwrap_or_default()) else {
        return Err(refusal(
            &file,
            &marker_file,
            "the marker cannot be read",
            &format!("{file}{}", super::hba::BACKUP_SUFFIX),
        ));
    };
    let Some(marker) = marker else {
        return Ok(None);
    };
    db.count();
    let row = db
        .client
        .query_one(
            "SELECT pg_catalog.pg_read_file($1, 0, $3, true), pg_catalog.pg_read_file($2, 0, $3, true)",
            &[&file, &marker.backup, &READ_LIMIT],
        )
        .await
        .map_err(|e| db_err("reading pg_hba.conf and its backup", &e))?;
    let current: String = row.get::<_, Option<String>>(0).unwrap_or_default();
    let backup: Option<String> = row.get(1);
    // The previous rules are back either way: a marker left behind is
    // reported, not an error (the next run finds the file restored).
    let clear = || async {
        match db
            .execute_one(&crate::sql::hba::copy_to_file(&marker_file, ""))
            .await
        {
            Ok(()) => None,
            Err(err) => Some(format!(
                "pgfort: {file} runs the previous rules, but {marker_file} could not be cleared ({}): delete it by hand",
                crate::inspect::describe(&err)
            )),
        }
    };
    match decide(&marker, &current, backup.as_deref()) {
        Decision::Refuse(why) => Err(refusal(&file, &marker_file, &why, &marker.backup)),
        Decision::Clear => Ok(clear().await),
        Decision::Restore(text) => {
            if !crate::sql::hba::writable(&text) {
                return Err(refusal(
                    &file,
                    &marker_file,
                    "the backup holds characters COPY cannot write back exactly",
                    &marker.backup,
                ));
            }
            db.execute_one(&crate::sql::hba::copy_to_file(&file, &text))
                .await
                .map_err(|e| db_err(&format!("restoring {file}"), &e))?;
            super::reload::signal(db).await?;
            let mut message = restored(&file, &marker_file);
            if let Some(left) = clear().await {
                message = format!("{message}\n{left}");
            }
            Ok(Some(message))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_round_trips_and_an_empty_one_is_none() {
        let marker = Marker::new("/d/pg_hba.conf.pgfort-backup", "old\n", "new\n");
        assert_eq!(Marker::parse(&marker.text()), Ok(Some(marker)));
        assert_eq!(Marker::parse(""), Ok(None));
        assert_eq!(Marker::parse("\n"), Ok(None));
        assert_eq!(Marker::parse("garbage"), Err(()));
    }

    #[test]
    fn restores_only_what_the_interrupted_run_wrote() {
        let marker = Marker::new("b", "old\n", "new\n");
        assert_eq!(
            decide(&marker, "new\n", Some("old\n")),
            Decision::Restore("old\n".into())
        );
        assert_eq!(decide(&marker, "old\n", None), Decision::Clear);
        assert!(matches!(
            decide(&marker, "edited\n", Some("old\n")),
            Decision::Refuse(_)
        ));
        assert!(matches!(
            decide(&marker, "new\n", Some("other\n")),
            Decision::Refuse(_)
        ));
        assert!(matches!(
            decide(&marker, "new\n", None),
            Decision::Refuse(_)
        ));
    }
}
