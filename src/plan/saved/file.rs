//! The saved plan on disk: one header line, then the plan as JSON. The
//! header lets `apply` tell a plan file from a configuration directory
//! and a stray file; the file is created readable by its owner only. The
//! JSON object carries a digest of itself ([`super::seal`]), checked
//! before anything in it is used.

use std::fs::{self, OpenOptions};
use std::io::{Read as _, Write as _};
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use super::seal::{self, Mismatch, PlanKey};
use super::{SAVED_FORMAT_VERSION, SavedPlan, SavedPlanError};

/// The first line of every saved plan.
pub const HEADER: &str = "# pgfort saved plan: review with `pgfort show FILE`, apply with `pgfort apply FILE`. Do not edit.";

/// What identifies the header (the rest of the line may change wording).
const MAGIC: &str = "# pgfort saved plan";

/// Whether `path` is a regular file starting with the saved-plan header.
pub fn is_saved_plan(path: &Path) -> bool {
    if !path.is_file() {
        return false;
    }
    let mut start = [0u8; MAGIC.len()];
    fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut start))
        .is_ok_and(|()| start == MAGIC.as_bytes())
}

/// Writes `plan` to `path` with mode 0600: through a temporary file in the
/// same directory, renamed over `path`, so a reader never sees half a plan
/// and an existing file's wider mode is not kept. The digest is keyed
/// (HMAC-SHA256) when `key` is given.
pub fn write(path: &Path, plan: &SavedPlan, key: Option<&PlanKey>) -> Result<(), SavedPlanError> {
    let malformed = |e: serde_json::Error| SavedPlanError::Malformed {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut body = serde_json::to_value(plan).map_err(malformed)?;
    let digest = seal::compute(&body, key);
    if let serde_json::Value::Object(map) = &mut body {
        map.insert(seal::FIELD.to_owned(), digest.into());
    }
    let json = serde_json::to_string_pretty(&body).map_err(malformed)?;
    let temporary = temporary_path(path);
    let io = |context: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| SavedPlanError::Io {
            context,
            path,
            source,
        }
    };
    let _ = fs::remove_file(&temporary);
    // A new plan at this path has not been applied.
    let _ = fs::remove_file(applied_path(path));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .map_err(io("cannot create", &temporary))?;
    let written = file
        .set_permissions(fs::Permissions::from_mode(0o600))
        .and_then(|()| writeln!(file, "{HEADER}"))
        .and_then(|()| file.write_all(json.as_bytes()))
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all());
    drop(file);
    if let Err(source) = written.and_then(|()| fs::rename(&temporary, path)) {
        let _ = fs::remove_file(&temporary);
        return Err(io("cannot write", path)(source));
    }
    Ok(())
}

/// Beside a plan applied from `path`: `FILE.applied` records that it was
/// applied, when and to which server, so that applying the same file
/// again is refused for what it is rather than as a stale plan.
fn applied_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".applied");
    name.into()
}

/// Records that `plan`, read from `path`, was applied to `target`.
pub fn record_applied(path: &Path, plan: &SavedPlan, target: &str) -> Result<(), SavedPlanError> {
    let now = time::OffsetDateTime::now_utc();
    let text = format!(
        "fingerprint {}\napplied {}-{:02}-{:02} {:02}:{:02}:{:02} UTC to {target}\n",
        plan.live.fingerprint,
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let record = applied_path(path);
    fs::write(&record, text).map_err(|source| SavedPlanError::Io {
        context: "cannot write",
        path: record,
        source,
    })
}

/// Refuses a plan `path` whose record says it was applied already.
pub fn check_not_applied(path: &Path, plan: &SavedPlan) -> Result<(), SavedPlanError> {
    let Ok(text) = fs::read_to_string(applied_path(path)) else {
        return Ok(());
    };
    let mut lines = text.lines();
    let same = lines.next() == Some(&format!("fingerprint {}", plan.live.fingerprint));
    match (same, lines.next()) {
        (true, Some(record)) => Err(SavedPlanError::Applied {
            path: path.to_path_buf(),
            record: record.to_owned(),
        }),
        _ => Ok(()),
    }
}

/// Reads a saved plan and checks its digest (keyed when `key` is given).
pub fn read(path: &Path, key: Option<&PlanKey>) -> Result<SavedPlan, SavedPlanError> {
    let text = fs::read_to_string(path).map_err(|source| SavedPlanError::Io {
        context: "cannot read",
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path, key)
}

/// Parses the text of a saved plan.
pub(super) fn parse(
    text: &str,
    path: &Path,
    key: Option<&PlanKey>,
) -> Result<SavedPlan, SavedPlanError> {
    let Some(body) = text
        .strip_prefix(MAGIC)
        .and_then(|rest| rest.split_once('\n'))
        .map(|(_, body)| body)
    else {
        return Err(SavedPlanError::NotAPlan {
            path: path.to_path_buf(),
        });
    };
    let malformed = |message: String| SavedPlanError::Malformed {
        path: path.to_path_buf(),
        message,
    };
    let value: serde_json::Value =
        serde_json::from_str(body).map_err(|e| malformed(e.to_string()))?;
    let found = value
        .get("format_version")
        .and_then(serde_json::Value::as_u64);
    if found != Some(u64::from(SAVED_FORMAT_VERSION)) {
        return match found.and_then(|v| u32::try_from(v).ok()) {
            Some(found) => Err(SavedPlanError::Version {
                path: path.to_path_buf(),
                found,
            }),
            None => Err(malformed("no format_version".to_owned())),
        };
    }
    let path_buf = || path.to_path_buf();
    match seal::verify(&value, key) {
        Ok(()) => {}
        Err(Mismatch::Unreadable) => return Err(malformed("no readable digest".to_owned())),
        Err(Mismatch::Changed) => return Err(SavedPlanError::Edited { path: path_buf() }),
        Err(Mismatch::KeyRequired) => return Err(SavedPlanError::KeyRequired { path: path_buf() }),
        Err(Mismatch::KeyExpected) => return Err(SavedPlanError::KeyExpected { path: path_buf() }),
    }
    // Read from the very value the digest was checked over.
    let plan: SavedPlan = serde_json::from_value(value).map_err(|e| malformed(e.to_string()))?;
    if plan.pgfort_version != env!("CARGO_PKG_VERSION") {
        return Err(SavedPlanError::OtherPgfort {
            path: path.to_path_buf(),
            made_by: plan.pgfort_version,
        });
    }
    Ok(plan)
}

/// `DIR/.NAME.tmp` beside `path`.
fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "plan".to_owned());
    path.with_file_name(format!(".{name}.tmp"))
}
