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

impl Console {
    /// Connects to the console `url` names (the password only from it).
    pub(super) async fn connect(url: &Secret) -> Result<Console, String> {
        let parsed = Config::from_str(url.expose())
            .map_err(|_| "admin_url is not a valid connection URL".to_owned())?;
        if parsed.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
            return Err(
                "admin_url asks for sslmode=require, and pgfort reaches the admin console without TLS only: connect over loopback or a Unix socket"
                    .to_owned(),
            );
        }
        let mut config = Config::new();
        for host in parsed.get_hosts() {
            match host {
                tokio_postgres::config::Host::Tcp(name) => config.host(name),
                tokio_postgres::config::Host::Unix(path) => config.host_path(path),
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
            .ssl_mode(tokio_postgres::config::SslMode::Disable)
            .connect_timeout(CONNECT_TIMEOUT);
        let (client, connection) = config
            .connect(NoTls)
            .await
            .map_err(|err| crate::inspect::describe(&err))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
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
