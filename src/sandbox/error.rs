//! Why a sandbox operation failed. Every message says what to do next,
//! because the usual reader is someone who just typed a CLI command.

use std::io;
use std::path::PathBuf;

/// A sandbox could not be found, created, started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error(
        "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found; install the \
         PostgreSQL server (e.g. `apt-get install -y postgresql`) or pass --pg-bin DIR \
         (searched: {searched})"
    )]
    NoPgBin { searched: String },

    #[error(
        "{origin} {dir} {problem}; point it at the directory that holds initdb, pg_ctl \
         and postgres (e.g. /usr/lib/postgresql/17/bin)"
    )]
    BadPgBin {
        origin: &'static str,
        dir: PathBuf,
        /// "does not exist" or "does not contain pg_ctl, postgres".
        problem: String,
    },

    #[error("could not tell the PostgreSQL version of {bin}: {message}")]
    Version { bin: PathBuf, message: String },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },

    #[error(
        "could not run {program}: {source}; check that the PostgreSQL server is still installed"
    )]
    Spawn {
        program: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("{program} failed ({status}):\n{output}")]
    CommandFailed {
        program: PathBuf,
        status: String,
        output: String,
    },

    #[error("PostgreSQL did not start on port {port}:\n{output}\nlast lines of {log}:\n{log_tail}")]
    StartFailed {
        port: u16,
        output: String,
        log: PathBuf,
        log_tail: String,
    },

    #[error("the sandbox server in {dir} did not stop within 30 seconds; see {log}")]
    StopTimeout { dir: PathBuf, log: PathBuf },

    #[error(
        "port {port} on 127.0.0.1 is already in use; stop whatever listens there or create \
         the sandbox again with another port"
    )]
    PortInUse { port: u16 },

    #[error(
        "the sandbox server runs as OS user `{user}` (initdb refuses root), but that user \
         cannot enter {dir}; run `chmod o+x {dir}` or put the sandbox directory where that \
         user can reach it"
    )]
    NotTraversable { user: String, dir: PathBuf },

    #[error(
        "running as root, but neither OS user `postgres` nor `nobody` exists to run the \
         server; create one (e.g. `useradd --system postgres`)"
    )]
    NoUnprivilegedUser,

    #[error(
        "{path} is not a valid sandbox file ({message}); remove {dir} and create the sandbox again"
    )]
    Corrupt {
        path: PathBuf,
        dir: PathBuf,
        message: String,
    },

    #[error("the sandbox in {dir} is running; stop it before re-creating it")]
    Running { dir: PathBuf },

    #[error("{dir} is not a stopped sandbox; stop it before copying it")]
    TemplateRunning { dir: PathBuf },

    #[error(
        "invalid sandbox setting `{name}`: {message}; use a PostgreSQL parameter name and a \
         single-line value"
    )]
    BadSetting { name: String, message: String },

    #[error("could not get random bytes from the operating system")]
    Random,
}

impl SandboxError {
    /// Wraps an I/O error with what was being attempted.
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(io::Error) -> SandboxError {
        let context = context.into();
        move |source| SandboxError::Io { context, source }
    }
}
