//! Opening the connection: one tokio-postgres client per call, hosts tried
//! in order, errors turned into one message with a hint.

use std::io::IsTerminal as _;

use tokio_postgres::error::SqlState;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{Client, Config, NoTls, Socket};

use crate::model::Secret;

use super::{ConnectError, ConnectionSettings, SslMode, tls};

/// Connects with `settings`, trying each host in turn. The session runs in
/// UTC (set in the startup packet, so it costs no round trip) so that
/// timestamps read from the catalog do not depend on the server's zone.
pub async fn connect(settings: &ConnectionSettings) -> Result<Client, ConnectError> {
    connect_once(settings, None)
        .await
        .map_err(|failure| failure.into_error(settings))
}

/// [`connect`], where the server must present exactly `certificate` (DER)
/// and pass `settings`' verification: proof that a certificate just
/// installed is the one in use.
pub async fn connect_presenting(
    settings: &ConnectionSettings,
    certificate: &[u8],
) -> Result<Client, ConnectError> {
    connect_once(settings, Some(certificate))
        .await
        .map_err(|failure| failure.into_error(settings))
}

/// [`connect`], and if the server asks for a password that was not given,
/// asks for it on the terminal (when `prompt_allowed` and stdin is one)
/// and tries once more.
pub async fn connect_interactive(
    settings: &ConnectionSettings,
    prompt_allowed: bool,
) -> Result<Client, ConnectError> {
    match connect_once(settings, None).await {
        Ok(client) => Ok(client),
        Err(failure)
            if failure.password_missing()
                && settings.password.is_none()
                && prompt_allowed
                && std::io::stdin().is_terminal() =>
        {
            let password = prompt_password(&settings.user)?;
            let retry = ConnectionSettings {
                password: Some(password),
                ..settings.clone()
            };
            connect(&retry).await
        }
        Err(failure) => Err(failure.into_error(settings)),
    }
}

/// Reads a password from the terminal without echo (`--password-prompt`).
pub fn prompt_password(user: &str) -> Result<Secret, ConnectError> {
    // The prompt is read from the controlling terminal, not stdin: in CI
    // or under a service manager there is none.
    if std::fs::File::open("/dev/tty").is_err() {
        return Err(ConnectError::Invalid(format!(
            "--password-prompt needs a terminal to ask for the password of user {user}, and there is none; give the password with PGPASSWORD, ~/.pgpass or the connection block instead"
        )));
    }
    rpassword::prompt_password(format!("Password for user {user}: "))
        .map(Secret::new)
        .map_err(|e| {
            ConnectError::Invalid(format!("could not read a password from the terminal: {e}"))
        })
}

/// Why no host accepted us, before it becomes a [`ConnectError`].
enum Failure {
    /// The settings themselves are unusable (bad root file, …).
    Setup(ConnectError),
    /// Each host tried, with its error.
    Hosts(Vec<(String, tokio_postgres::Error)>),
}

impl Failure {
    /// Whether the server asked for a password and we had none.
    fn password_missing(&self) -> bool {
        match self {
            Failure::Setup(_) => false,
            Failure::Hosts(errors) => errors.iter().any(|(_, e)| is_password_missing(e)),
        }
    }

    fn into_error(self, settings: &ConnectionSettings) -> ConnectError {
        let errors = match self {
            Failure::Setup(error) => return error,
            Failure::Hosts(errors) => errors,
        };
        let single = errors.len() == 1;
        let mut messages = Vec::new();
        let mut hint = None;
        for (host, error) in &errors {
            let (message, this_hint) = describe(error, settings, host);
            messages.push(if single {
                message
            } else {
                format!("{host}: {message}")
            });
            hint = hint.or(this_hint);
        }
        ConnectError::Failed {
            target: settings.redacted_target(),
            message: messages.join("; "),
            hint,
        }
    }
}

async fn connect_once(
    settings: &ConnectionSettings,
    pin: Option<&[u8]>,
) -> Result<Client, Failure> {
    let hosts: Vec<&str> = settings.hosts().collect();
    if hosts.is_empty() {
        return Err(Failure::Setup(ConnectError::Invalid(
            "no host to connect to".into(),
        )));
    }
    let tls = if hosts.iter().all(|h| ConnectionSettings::is_socket(h)) {
        None
    } else {
        tls::connector(settings, pin).map_err(Failure::Setup)?
    };
    let mut errors = Vec::new();
    for host in hosts {
        let config = config_for(settings, host);
        let target = settings.for_host(host).redacted_target();
        let result = match (&tls, ConnectionSettings::is_socket(host)) {
            (Some(tls), false) => spawn(&config, tls.clone(), target).await,
            _ => spawn(&config, NoTls, target).await,
        };
        match result {
            Ok(client) => return Ok(client),
            Err(error) => {
                tracing::debug!(host, %error, "connection attempt failed");
                errors.push((host.to_string(), error));
            }
        }
    }
    Err(Failure::Hosts(errors))
}

/// Set in the startup packet (no round trip), above any per-role or
/// per-database default: timestamps read in UTC, and string literals read
/// the standard way, so a backslash in a configuration's text means the
/// same on every server (`standard_conforming_strings = off` makes `\'`
/// end a literal). JIT off: its compilation costs tens of milliseconds per
/// catalog query (their row estimates cross `jit_above_cost` at a few
/// thousand roles) and never pays back on reads this small.
const SESSION_OPTIONS: &str = "-c TimeZone=UTC -c standard_conforming_strings=on -c jit=off";

/// The tokio-postgres configuration for one host of `settings`.
fn config_for(settings: &ConnectionSettings, host: &str) -> Config {
    let mut config = Config::new();
    config
        .host(host)
        .port(settings.port)
        .user(&settings.user)
        .dbname(&settings.dbname)
        .application_name("pgfort")
        .options(SESSION_OPTIONS);
    if let Some(timeout) = settings.connect_timeout {
        config.connect_timeout(timeout);
    }
    if let Some(password) = &settings.password {
        config.password(password.expose());
    }
    if let Some(address) = settings.hostaddr
        && !ConnectionSettings::is_socket(host)
    {
        config.hostaddr(address);
    }
    // libpq never uses TLS on Unix sockets, whatever sslmode says.
    let mode = match settings.sslmode {
        _ if ConnectionSettings::is_socket(host) => tokio_postgres::config::SslMode::Disable,
        SslMode::Disable => tokio_postgres::config::SslMode::Disable,
        SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
            tokio_postgres::config::SslMode::Require
        }
    };
    config.ssl_mode(mode);
    config
}

/// Connects and drives the connection on its own task, which logs how it
/// ended if not cleanly. At debug level only: a query on a broken
/// connection fails and is reported where it was made, and a session ended
/// on purpose (a restart, the end of an apply) is no news.
async fn spawn<T>(config: &Config, tls: T, target: String) -> Result<Client, tokio_postgres::Error>
where
    T: MakeTlsConnect<Socket> + Send + 'static,
    T::Stream: Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    let (client, connection) = config.connect(tls).await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%target, error = %chain(&error), "connection to PostgreSQL ended");
        }
    });
    Ok(client)
}

fn is_password_missing(error: &tokio_postgres::Error) -> bool {
    error.as_db_error().is_none() && chain(error).contains("password missing")
}

/// The error and its causes, `outer: inner: innermost`.
fn chain(error: &tokio_postgres::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The message (the server's SQLSTATE and text when it answered) and a
/// hint for the usual mistakes.
fn describe(
    error: &tokio_postgres::Error,
    settings: &ConnectionSettings,
    host: &str,
) -> (String, Option<String>) {
    if let Some(db) = error.as_db_error() {
        let message = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
        return (
            message,
            server_hint(db, settings).or_else(|| db.hint().map(str::to_string)),
        );
    }
    let message = if is_password_missing(error) {
        "the server asked for a password and none was given".to_string()
    } else {
        chain(error)
    };
    let socket = ConnectionSettings::is_socket(host);
    let io_kind = io_error_kind(error);
    let hint = if is_password_missing(error) {
        Some(format!(
            "the server requires a password for user \"{}\": set PGPASSWORD, add it to ~/.pgpass, \
             or use --password-prompt",
            settings.user
        ))
    } else if matches!(
        io_kind,
        Some(std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::NotFound)
    ) {
        Some(if socket {
            format!(
                "is the server running locally and accepting connections on the socket in {host} \
                 (port {})? check the host (socket directory) and port, or add --sandbox to run \
                 against a throwaway local server",
                settings.port
            )
        } else {
            "is the server running on that host and accepting TCP/IP connections? check the host \
             and port (listen_addresses, firewall)"
                .to_string()
        })
    } else if message.contains("invalid peer certificate") || message.contains("certificate") {
        Some(format!(
            "server certificate verification failed (sslmode={}): {}",
            settings.sslmode,
            if settings.sslmode == SslMode::VerifyFull {
                "the certificate must chain to sslrootcert and name the host you connect to \
                 (use the name in its subjectAltName, or sslmode=verify-ca to skip the name check)"
            } else {
                "the certificate must chain to sslrootcert (PGSSLROOTCERT, default \
                 ~/.postgresql/root.crt)"
            }
        ))
    } else if message.contains("server does not support TLS") {
        Some("the server has ssl = off: enable TLS on it, or use sslmode=prefer".to_string())
    } else {
        None
    };
    (message, hint)
}

/// Hints for the server's refusals.
fn server_hint(
    db: &tokio_postgres::error::DbError,
    settings: &ConnectionSettings,
) -> Option<String> {
    let code = db.code();
    let text = db.message();
    if *code == SqlState::INVALID_PASSWORD {
        Some(format!(
            "check the password for user \"{}\" (PGPASSWORD, ~/.pgpass, --database-url) or use \
             --password-prompt",
            settings.user
        ))
    } else if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION && text.contains("pg_hba.conf")
    {
        Some(format!(
            "no pg_hba.conf entry admits this connection (user, database, address, TLS {}): \
             add a rule on the server or connect another way",
            if settings.sslmode == SslMode::Disable {
                "disabled"
            } else {
                "as negotiated"
            }
        ))
    } else if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION && text.contains("Peer") {
        Some(
            "peer authentication requires the operating-system user to match the database user: \
             run as that user, or connect over TCP with a password"
                .to_string(),
        )
    } else if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        && text.contains("does not exist")
    {
        Some("check the user name (PGUSER, --database-url, connection block)".to_string())
    } else if *code == SqlState::INVALID_CATALOG_NAME {
        Some(format!(
            "database \"{}\" does not exist: check PGDATABASE / --database-url, or connect to an \
             existing database such as postgres",
            settings.dbname
        ))
    } else if *code == SqlState::TOO_MANY_CONNECTIONS {
        Some("the server has no free connection slots; retry later or raise max_connections".into())
    } else if *code == SqlState::CANNOT_CONNECT_NOW {
        Some("the server is starting up or shutting down; retry in a moment".into())
    } else {
        None
    }
}

/// The kind of the underlying I/O error, if the failure was one.
fn io_error_kind(error: &tokio_postgres::Error) -> Option<std::io::ErrorKind> {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = cause.source();
    }
    None
}
