//! Why an export could not be made or written.

use std::path::PathBuf;

/// A refused or failed export. Nothing on the server is ever changed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("database \"{0}\" does not exist")]
    UnknownDatabase(String),
    #[error("database \"{0}\" does not accept connections, so its contents cannot be read")]
    NoConnections(String),
    /// Grants and policies name roles, which a configuration must declare.
    #[error("{0} refer to roles, so --include needs roles too")]
    NeedsRoles(String),
    #[error("{} already holds configuration files: {}", dir.display(), files.join(", "))]
    ExistingFiles { dir: PathBuf, files: Vec<String> },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// The generated text did not pass `pgfort fmt`: a bug in the writer.
    #[error("the exported {file} is not valid HCL: {message}")]
    Invalid { file: String, message: String },
}

impl ExportError {
    /// Whether the user can fix it (as opposed to an I/O failure or a bug).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            ExportError::UnknownDatabase(_)
                | ExportError::NoConnections(_)
                | ExportError::NeedsRoles(_)
                | ExportError::ExistingFiles { .. }
        )
    }

    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            ExportError::UnknownDatabase(_) => Some("list the databases with: psql -l".to_owned()),
            ExportError::NoConnections(name) => Some(format!(
                "allow connections first (ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true), or leave it out of --database"
            )),
            ExportError::NeedsRoles(_) => {
                Some("add roles: --include roles,grants,policies".to_owned())
            }
            ExportError::ExistingFiles { .. } => Some(
                "export into an empty directory, or pass --force to overwrite the exported files"
                    .to_owned(),
            ),
            ExportError::Io { .. } => None,
            ExportError::Invalid { .. } => Some(
                "this is a bug in pgfort; please report it with the object names involved"
                    .to_owned(),
            ),
        }
    }
}
