//! Writing a PgBouncer file so that PgBouncer never reads half of it: a
//! fresh temporary file in the same directory, synced, given the right
//! owner and mode, then renamed over the old one. The old content is kept
//! next to it as `FILE.pgfort-backup` and in memory, to put back.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write as _};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

/// What a file held before pgfort rewrote it (`None`: it did not exist).
pub(super) struct Previous {
    pub path: PathBuf,
    pub text: Option<Vec<u8>>,
    pub owner: (u32, u32),
    pub mode: u32,
}

/// The suffix of the copy of a file's previous content.
pub(super) const BACKUP_SUFFIX: &str = ".pgfort-backup";

/// Reads what `path` holds now, and who owns it (the directory's owner
/// for a file that does not exist yet). `mode` is used for a new file;
/// an existing one keeps its own unless `force_mode`.
pub(super) fn previous(path: &Path, mode: u32, force_mode: bool) -> std::io::Result<Previous> {
    match fs::metadata(path) {
        Ok(meta) => Ok(Previous {
            path: path.to_path_buf(),
            text: Some(fs::read(path)?),
            owner: (meta.uid(), meta.gid()),
            mode: if force_mode {
                mode
            } else {
                meta.mode() & 0o777
            },
        }),
        Err(err) if err.kind() == ErrorKind::NotFound => {
            let dir = path.parent().unwrap_or(Path::new("."));
            let meta = fs::metadata(dir)?;
            Ok(Previous {
                path: path.to_path_buf(),
                text: None,
                owner: (meta.uid(), meta.gid()),
                mode,
            })
        }
        Err(err) => Err(err),
    }
}

/// Keeps the previous content as `FILE.pgfort-backup` (mode 0600), then
/// replaces the file with `text` atomically.
pub(super) fn replace(previous: &Previous, text: &[u8]) -> std::io::Result<()> {
    if let Some(old) = &previous.text {
        let backup = with_suffix(&previous.path, BACKUP_SUFFIX);
        let temp = with_suffix(&previous.path, ".pgfort-backup-new");
        write_fresh(&temp, old, previous.owner, 0o600)?;
        rename_synced(&temp, &backup)?;
    }
    let temp = with_suffix(&previous.path, ".pgfort-new");
    write_fresh(&temp, text, previous.owner, previous.mode)?;
    rename_synced(&temp, &previous.path)
}

/// Puts the previous content back (or removes a file that did not exist).
pub(super) fn restore(previous: &Previous) -> std::io::Result<()> {
    match &previous.text {
        Some(old) => {
            let temp = with_suffix(&previous.path, ".pgfort-new");
            write_fresh(&temp, old, previous.owner, previous.mode)?;
            rename_synced(&temp, &previous.path)
        }
        None => match fs::remove_file(&previous.path) {
            Err(err) if err.kind() != ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        },
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A new file at `path`, created exclusively (whatever was there, such as
/// a link planted by another user, is removed first), with `mode` and
/// `owner` set before any content goes in.
fn write_fresh(path: &Path, text: &[u8], owner: (u32, u32), mode: u32) -> std::io::Result<()> {
    match fs::remove_file(path) {
        Err(err) if err.kind() != ErrorKind::NotFound => return Err(err),
        _ => {}
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    let written = (|| {
        let meta = file.metadata()?;
        if (meta.uid(), meta.gid()) != owner {
            std::os::unix::fs::fchown(&file, Some(owner.0), Some(owner.1))?;
        }
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        file.write_all(text)?;
        file.sync_all()
    })();
    if written.is_err() {
        let _ = fs::remove_file(path);
    }
    written
}

/// Renames `from` over `to` and syncs the directory, so that the rename
/// itself survives a crash.
fn rename_synced(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::rename(from, to)?;
    if let Some(dir) = to.parent() {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}
