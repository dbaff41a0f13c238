//! pgfort's own connection: settings resolved from flags, libpq environment
//! variables, `~/.pgpass` and the `connection {}` block (in that order of
//! precedence), and TLS through rustls with the ring provider.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::config::ConnectionBlock;
use crate::model::Secret;

mod client;
mod os;
pub(crate) mod params;
mod pgpass;
mod probe;
mod tls;

#[cfg(test)]
mod settings_tests;
#[cfg(test)]
mod tests;

pub use client::{connect, connect_interactive, connect_presenting, prompt_password};
pub use probe::{Served, served_certificate};
pub use tls::authority_connector;

/// The port libpq uses when none is given.
pub const DEFAULT_PORT: u16 = 5432;

/// libpq's sslmode values (PgBouncer's `*_tls_sslmode` take the same).
pub const SSLMODES: &[&str] = &[
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];

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

impl SslMode {
    /// The libpq spelling, as accepted by [`FromStr`].
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// Whether the server certificate must chain to a trusted root.
    pub fn verifies_chain(self) -> bool {
        matches!(self, SslMode::VerifyCa | SslMode::VerifyFull)
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SslMode {
    type Err = String;

    /// libpq's spellings. `allow` (plain first, TLS if the server insists)
    /// has no tokio-postgres equivalent; it becomes `prefer`, which is never
    /// less protected.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "disable" => Ok(SslMode::Disable),
            "allow" | "prefer" => Ok(SslMode::Prefer),
            "require" => Ok(SslMode::Require),
            "verify-ca" => Ok(SslMode::VerifyCa),
            "verify-full" => Ok(SslMode::VerifyFull),
            other => Err(format!(
                "invalid sslmode \"{other}\" (expected disable, allow, prefer, require, \
                 verify-ca or verify-full)"
            )),
        }
    }
}

/// Where and how to connect. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionSettings {
    /// A host name, an IP address, or an absolute socket directory; or a
    /// comma-separated list of them, tried in order as libpq does.
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<Secret>,
    pub dbname: String,
    pub sslmode: SslMode,
    pub sslrootcert: Option<PathBuf>,
    /// libpq's `hostaddr`: the address to connect to, while `host` stays
    /// the name the server's certificate must carry.
    pub hostaddr: Option<std::net::IpAddr>,
    /// A client certificate and its key, for `cert` authentication.
    pub sslcert: Option<PathBuf>,
    pub sslkey: Option<PathBuf>,
    /// How long one connection attempt may take; `None` waits as long as
    /// the system does.
    pub connect_timeout: Option<std::time::Duration>,
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

impl ConnectError {
    /// What the user can do about it, when there is a common remedy.
    pub fn hint(&self) -> Option<&str> {
        match self {
            ConnectError::Invalid(_) => None,
            ConnectError::Failed { hint, .. } => hint.as_deref(),
        }
    }
}

impl ConnectionSettings {
    /// Resolves settings: `url` (from `--database-url`) beats `env`
    /// (a lookup of libpq variables such as PGHOST) beats `block`.
    /// Unset values get libpq's defaults; a missing password is looked up
    /// in the password file (PGPASSFILE or `~/.pgpass`).
    pub fn resolve(
        url: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
        block: &ConnectionBlock,
    ) -> Result<Self, ConnectError> {
        let from_url = match url {
            Some(url) => params::parse_connection_string(url)?,
            None => params::Partial::default(),
        };
        let merged = from_url
            .or(params::from_env(env)?)
            .or(params::from_block(block)?);
        Self::from_partial(merged, env)
    }

    /// Settings for one server of an environment: its own fields first,
    /// then the libpq environment's credentials, TLS files and timeout
    /// (never PGHOST, PGHOSTADDR, PGPORT or PGDATABASE: they name one
    /// server, and an environment has many), then the `connection` block.
    pub fn resolve_for_server(
        server: &ConnectionBlock,
        env: &dyn Fn(&str) -> Option<String>,
        block: &ConnectionBlock,
    ) -> Result<Self, ConnectError> {
        let shared = |name: &str| match name {
            "PGHOST" | "PGHOSTADDR" | "PGPORT" | "PGDATABASE" => None,
            _ => env(name),
        };
        let merged = params::from_block(server)?
            .or(params::from_env(&shared)?)
            .or(params::from_block(block)?);
        Self::from_partial(merged, env)
    }

    /// Defaults applied, and the password looked up in the password file
    /// when none was given.
    fn from_partial(
        merged: params::Partial,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConnectError> {
        let host = merged.host.unwrap_or_else(default_host);
        let user = match merged.user {
            Some(user) => user,
            None => os::current_user().map(|u| u.name).ok_or_else(|| {
                ConnectError::Invalid(
                    "could not determine the operating system user name; \
                     set PGUSER or a user in --database-url"
                        .into(),
                )
            })?,
        };
        let mut settings = ConnectionSettings {
            port: merged.port.unwrap_or(DEFAULT_PORT),
            dbname: merged.dbname.unwrap_or_else(|| user.clone()),
            user,
            host,
            password: merged.password,
            sslmode: merged.sslmode.unwrap_or_default(),
            sslrootcert: merged.sslrootcert,
            hostaddr: merged.hostaddr,
            sslcert: merged.sslcert,
            sslkey: merged.sslkey,
            connect_timeout: merged
                .connect_timeout
                .filter(|seconds| *seconds > 0)
                .map(std::time::Duration::from_secs),
        };
        if settings.password.is_none() {
            let passfile = merged.passfile.or_else(|| default_passfile(env));
            if let Some(passfile) = passfile {
                let found = settings
                    .hosts()
                    .find_map(|host| pgpass::lookup(&passfile, &settings.for_host(host)));
                settings.password = found;
            }
        }
        Ok(settings)
    }

    /// `user@host:port/dbname`, for messages and logs: never the password.
    pub fn redacted_target(&self) -> String {
        format!("{}@{}/{}", self.user, self.server_address(), self.dbname)
    }

    /// `host:port` (hosts comma-separated, IPv6 ones bracketed): which
    /// server, for reports.
    pub fn server_address(&self) -> String {
        let hosts: Vec<String> = self
            .hosts()
            .map(|h| {
                if h.contains(':') {
                    format!("[{h}]")
                } else {
                    h.to_string()
                }
            })
            .collect();
        format!("{}:{}", hosts.join(","), self.port)
    }

    /// The same server, user and TLS settings, another database.
    pub fn with_dbname(&self, dbname: impl Into<String>) -> Self {
        ConnectionSettings {
            dbname: dbname.into(),
            ..self.clone()
        }
    }

    /// The hosts to try, in order.
    pub fn hosts(&self) -> impl Iterator<Item = &str> {
        self.host
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
    }

    /// Whether `host` is a Unix socket directory rather than a network name.
    pub fn is_socket(host: &str) -> bool {
        host.starts_with('/')
    }

    /// A copy restricted to one of its hosts.
    fn for_host(&self, host: &str) -> Self {
        ConnectionSettings {
            host: host.to_string(),
            ..self.clone()
        }
    }
}

impl fmt::Debug for ConnectionSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password)
            .field("dbname", &self.dbname)
            .field("sslmode", &self.sslmode)
            .field("sslrootcert", &self.sslrootcert)
            .field("hostaddr", &self.hostaddr)
            .field("sslcert", &self.sslcert)
            .field("sslkey", &self.sslkey)
            .finish()
    }
}

/// libpq's default: the Debian/Ubuntu socket directory when present,
/// else the upstream default `/tmp`.
fn default_host() -> String {
    let debian = Path::new("/var/run/postgresql");
    if debian.is_dir() {
        debian.display().to_string()
    } else {
        "/tmp".to_string()
    }
}

/// `~/.pgpass`, with the home directory from HOME or the password database.
fn default_passfile(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    home_dir(env).map(|home| home.join(".pgpass"))
}

/// The user's home directory: HOME when set, else the password database.
fn home_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    env("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| os::current_user().map(|u| u.home))
}
