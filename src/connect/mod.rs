//! pgfort's own connection: settings resolved from flags, libpq environment
//! variables, `~/.pgpass` and the `connection {}` block (in that order of
//! precedence), and TLS through rustls with the ring provider.

use std::path::PathBuf;

use crate::config::ConnectionBlock;
use crate::model::Secret;

/// libpq's `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    Disable,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// Where and how to connect. `Debug` never shows the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSettings {
    /// A host name, an IP address, or an absolute socket directory.
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<Secret>,
    pub dbname: String,
    pub sslmode: SslMode,
    pub sslrootcert: Option<PathBuf>,
}

/// Why a connection could not be made or configured.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("invalid connection setting: {0}")]
    Invalid(String),
    #[error("could not connect to {target}: {message}")]
    Failed {
        target: String,
        message: String,
        hint: Option<String>,
    },
}

impl ConnectionSettings {
    /// Resolves settings: `url` (from `--database-url`) beats `env`
    /// (a lookup of libpq variables such as PGHOST) beats `block`.
    pub fn resolve(
        _url: Option<&str>,
        _env: &dyn Fn(&str) -> Option<String>,
        _block: &ConnectionBlock,
    ) -> Result<Self, ConnectError> {
        todo!()
    }
}
