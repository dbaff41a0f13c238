//! One error type for the library's callers, sorted into kinds that choose
//! the exit code and carrying hints for the user.

use crate::apply::ApplyError;
use crate::config::ConfigError;
use crate::connect::ConnectError;
use crate::diff::DiffError;
use crate::export::ExportError;
use crate::inspect::{InspectError, PolicyCheckError};
use crate::plan::saved::SavedPlanError;
use crate::plan::{GuardError, TargetError};
use crate::sandbox::SandboxError;

/// What kind of failure, for exit codes and the error's heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad configuration or arguments: nothing was sent to a server.
    Usage,
    /// The server could not be reached or refused us.
    Connection,
    /// The server rejected a query or a change.
    Server,
    /// A bug in pgfort (e.g. a plan that is not empty after apply).
    Internal,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Inspect(#[from] InspectError),
    #[error(transparent)]
    Diff(#[from] DiffError),
    #[error(transparent)]
    Policy(#[from] Box<PolicyCheckError>),
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    #[error(transparent)]
    SavedPlan(#[from] SavedPlanError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Guard(#[from] Box<GuardError>),
    #[error(transparent)]
    Patroni(#[from] crate::patroni::PatroniError),
    #[error("{message}")]
    Usage {
        message: String,
        hint: Option<String>,
    },
    #[error("{0}")]
    Internal(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub fn usage(message: impl Into<String>, hint: Option<&str>) -> Self {
        Error::Usage {
            message: message.into(),
            hint: hint.map(str::to_owned),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_)
            | Error::Usage { .. }
            | Error::Io { .. }
            | Error::Diff(_)
            | Error::SavedPlan(_)
            | Error::Target(_)
            | Error::Guard(_) => ErrorKind::Usage,
            Error::Connect(_) | Error::Sandbox(_) | Error::Patroni(_) => ErrorKind::Connection,
            Error::Inspect(_) | Error::Apply(_) => ErrorKind::Server,
            Error::Internal(_) => ErrorKind::Internal,
            Error::Policy(e) if e.is_usage() => ErrorKind::Usage,
            Error::Export(e) if e.is_usage() => ErrorKind::Usage,
            Error::Export(ExportError::Invalid { .. }) => ErrorKind::Internal,
            Error::Export(_) => ErrorKind::Usage,
            Error::Policy(_) => ErrorKind::Server,
        }
    }

    /// Lines of context to print after the error (for a configuration
    /// error inside a module: the `module` blocks that led there).
    pub fn notes(&self) -> &[String] {
        match self {
            Error::Config(e) => &e.notes,
            _ => &[],
        }
    }

    /// Lines to print after the error, each a way forward.
    pub fn hints(&self) -> Vec<String> {
        let mut hints = Vec::new();
        match self {
            Error::Config(e) => hints.extend(e.hint.clone()),
            Error::Connect(ConnectError::Failed { hint, .. }) => hints.extend(hint.clone()),
            Error::Diff(e) => hints.extend(e.hint.clone()),
            Error::Policy(e) => hints.extend(e.hints()),
            Error::Usage { hint, .. } => hints.extend(hint.clone()),
            Error::SavedPlan(e) => hints.extend(e.hint()),
            Error::Export(e) => hints.extend(e.hint()),
            Error::Target(e) => hints.extend(e.hint()),
            Error::Guard(e) => hints.extend(e.hints()),
            Error::Patroni(e) => hints.extend(e.hint()),
            Error::Apply(e) => {
                if let Some(statement) = &e.statement {
                    hints.push(format!("statement: {statement}"));
                }
                if let Some(origin) = e.origin() {
                    hints.push(format!("from: {origin}"));
                }
                if let Some(code) = &e.sqlstate {
                    hints.push(format!("SQLSTATE {code}"));
                }
                hints.extend(e.detail.iter().map(|d| format!("detail: {d}")));
                hints.extend(e.hint.clone());
                // A failed statement changed nothing; other failures (files,
                // reloads, connections) say themselves what they left.
                if e.statement.is_some() {
                    hints.push("nothing was changed in the transaction that failed".to_owned());
                }
                hints.extend(e.outcome_lines().iter().cloned());
            }
            Error::Inspect(e) => {
                if let Some(db) = e.source.as_db_error() {
                    hints.push(format!("SQLSTATE {}", db.code().code()));
                }
            }
            Error::Internal(_) => hints.push(
                "this is a bug in pgfort; please report it with the output of -vv".to_owned(),
            ),
            _ => {}
        }
        hints
    }
}
