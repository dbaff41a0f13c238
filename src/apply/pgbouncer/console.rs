//! PgBouncer's admin console: a PostgreSQL-protocol endpoint that speaks
//! only the simple query protocol and refuses startup parameters it does
//! not know, so pgfort connects with a bare configuration (no `options`,
//! no session settings) built from `admin_url` alone.

use std::collections::BTreeMap;
use std::str::FromStr as _;
use std::time::Duration;

use tokio_postgres::{Client, Config, NoTls, SimpleQueryMessage};

use crate::model::Secret;

/// How long connecting to the console may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// One `SHOW CONFIG` row: the running value and whether a reload changes
/// it (`changeable = no` needs a restart of PgBouncer).
pub(super) struct Running {
    pub value: String,
    pub changeable: bool,
}

/// An open console session.
pub(super) struct Console {
    client: Client,
}

/// `user@host:port/dbname` of an admin URL: never its password.
pub(super) fn describe(url: &Secret) -> String {
    match Config::from_str(url.expose()) {
        Ok(config) => describe_config(&config),
        Err(_) => "(an admin_url that cannot be parsed)".to_owned(),
    }
}

fn describe_config(config: &Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|host| match host {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".to_owned());
    let port = config.get_ports().first().copied().unwrap_or(6432);
    format!(
        "postgres://{}@{host}:{port}/{}",
        config.get_user().unwrap_or("?"),
        config.get_dbname().unwrap_or("pgbouncer")
    )
}

/// How the console session is secured.
pub(super) enum ConsoleTls<'a> {
    /// TLS when PgBouncer offers it (required when admin_url says
    /// `sslmode=require`), unchecked: the session that reloads runs while
    /// PgBouncer may still serve an older certificate, or none, and it
    /// authenticates with SCRAM whatever the channel.
    Prefer,
    /// TLS checked as `verify-full` against the authority in `root`, for
    /// `server_name`, and exactly the certificate `pin`: the proof that
    /// PgBouncer serves what was written.
    Verify {
        root: &'a std::path::Path,
        server_name: String,
        pin: &'a [u8],
    },
}

/// The error's message and, for a failure below the protocol (a TLS
/// handshake), its causes: "certificate not trusted" says more than
/// "error performing TLS handshake".
fn with_causes(err: &tokio_postgres::Error) -> String {
    let mut text = crate::inspect::describe(err);
    if err.as_db_error().is_none() {
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            if !text.contains(&cause_text) {
                text.push_str(": ");
                text.push_str(&cause_text);
            }
            source = cause.source();
        }
    }
    text
}

impl Console {
    /// Connects to the console `url` names (the password only from it).
    pub(super) async fn connect(url: &Secret, tls: ConsoleTls<'_>) -> Result<Console, String> {
        let parsed = Config::from_str(url.expose())
            .map_err(|_| "admin_url is not a valid connection URL".to_owned())?;
        let required = parsed.get_ssl_mode() == tokio_postgres::config::SslMode::Require;
        let mut config = Config::new();
        for host in parsed.get_hosts() {
            match (host, &tls) {
                (
                    tokio_postgres::config::Host::Tcp(name),
                    ConsoleTls::Verify { server_name, .. },
                ) => {
                    // The name checked is the certificate's; the address is
                    // the one admin_url names.
                    let address = match name.parse::<std::net::IpAddr>() {
                        Ok(ip) => ip,
                        Err(_) => tokio::net::lookup_host((name.as_str(), 0))
                            .await
                            .ok()
                            .and_then(|mut found| found.next())
                            .map(|found| found.ip())
                            .ok_or_else(|| format!("cannot resolve {name}"))?,
                    };
                    config.host(server_name).hostaddr(address)
                }
                (tokio_postgres::config::Host::Tcp(name), _) => config.host(name),
                (tokio_postgres::config::Host::Unix(path), _) => config.host_path(path),
            };
        }
        for port in parsed.get_ports() {
            config.port(*port);
        }
        if let Some(user) = parsed.get_user() {
            config.user(user);
        }
        if let Some(password) = parsed.get_password() {
            config.password(password);
        }
        config
            .dbname(parsed.get_dbname().unwrap_or("pgbouncer"))
            .connect_timeout(CONNECT_TIMEOUT);
        let (mode, root, pin) = match &tls {
            ConsoleTls::Prefer if required => {
                (tokio_postgres::config::SslMode::Require, None, None)
            }
            ConsoleTls::Prefer => (tokio_postgres::config::SslMode::Prefer, None, None),
            ConsoleTls::Verify { root, pin, .. } => (
                tokio_postgres::config::SslMode::Require,
                Some(*root),
                Some(*pin),
            ),
        };
        let failed = |err: tokio_postgres::Error| with_causes(&err);
        // A Unix socket carries no TLS (and PgBouncer asks none on it).
        if Self::over_socket(url) && root.is_none() {
            config.ssl_mode(tokio_postgres::config::SslMode::Disable);
            let (client, connection) = config.connect(NoTls).await.map_err(failed)?;
            tokio::spawn(connection);
            return Ok(Console { client });
        }
        config.ssl_mode(mode);
        let connector =
            crate::connect::authority_connector(root, pin).map_err(|e| e.to_string())?;
        let (client, connection) = config.connect(connector).await.map_err(failed)?;
        tokio::spawn(connection);
        Ok(Console { client })
    }

    async fn rows(&self, sql: &str) -> Result<Vec<Vec<String>>, String> {
        let messages = self
            .client
            .simple_query(sql)
            .await
            .map_err(|err| format!("{sql}: {}", crate::inspect::describe(&err)))?;
        Ok(messages
            .into_iter()
            .filter_map(|message| match message {
                SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|i| row.get(i).unwrap_or_default().to_owned())
                        .collect(),
                ),
                _ => None,
            })
            .collect())
    }

    /// Whether the console is reached over a Unix socket (no TLS there).
    pub(super) fn over_socket(url: &Secret) -> bool {
        Config::from_str(url.expose()).is_ok_and(|config| {
            config
                .get_hosts()
                .iter()
                .all(|host| matches!(host, tokio_postgres::config::Host::Unix(_)))
        })
    }

    /// The host `url` names first (TCP), for the verification's name.
    pub(super) fn tcp_host(url: &Secret) -> Option<String> {
        let config = Config::from_str(url.expose()).ok()?;
        config.get_hosts().iter().find_map(|host| match host {
            tokio_postgres::config::Host::Tcp(name) => Some(name.clone()),
            tokio_postgres::config::Host::Unix(_) => None,
        })
    }

    /// Any query: proves the session works (`SHOW VERSION`).
    pub(super) async fn ping(&self) -> Result<(), String> {
        self.rows("SHOW VERSION").await.map(drop)
    }

    pub(super) async fn reload(&self) -> Result<(), String> {
        self.rows("RELOAD").await.map(drop)
    }

    /// `SHOW CONFIG`, by parameter name.
    pub(super) async fn config(&self) -> Result<BTreeMap<String, Running>, String> {
        let rows = self.rows("SHOW CONFIG").await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let mut columns = row.into_iter();
                let key = columns.next()?;
                let value = columns.next()?;
                let changeable = columns.last().is_some_and(|c| c == "yes");
                Some((key, Running { value, changeable }))
            })
            .collect())
    }

    /// The names `SHOW DATABASES` lists.
    pub(super) async fn databases(&self) -> Result<Vec<String>, String> {
        let rows = self.rows("SHOW DATABASES").await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| row.into_iter().next())
            .collect())
    }
}
