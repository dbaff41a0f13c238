//! The files of the declared PgBouncer instances, read from their
//! `config_dir` on this machine: PgBouncer runs next to pgfort, not inside
//! the server, so these are plain file reads.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::Path;

use crate::model::{PgBouncer, PgBouncerFiles, Secret};
use crate::pgbouncer::{AUTH_FILE_NAME, INI_FILE_NAME};

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
            let files = PgBouncerFiles {
                ini: read(INI_FILE_NAME)?,
                userlist: read(AUTH_FILE_NAME)?.map(Secret::new),
            };
            Ok((pgbouncer.name.clone(), files))
        })
        .collect()
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
