//! Connection parameters from each source: a `postgres://` URL or a libpq
//! `key=value` string, the libpq environment variables, and the
//! `connection {}` block. Errors name their source and never echo a
//! password.

use std::path::PathBuf;

use crate::config::ConnectionBlock;
use crate::model::Secret;

use super::{ConnectError, SslMode};

/// What `--database-url` is called in messages.
const URL_SOURCE: &str = "--database-url";

/// libpq parameters that pgfort accepts and does not need: they change
/// nothing about which server is reached or how it is trusted.
const IGNORED: &[&str] = &[
    "application_name",
    "fallback_application_name",
    "client_encoding",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
];

/// Settings from one source, before precedence and defaults apply.
#[derive(Debug, Default, Clone)]
pub(super) struct Partial {
    /// One host or a comma-separated list.
    pub host: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub dbname: Option<String>,
    pub sslmode: Option<SslMode>,
    pub sslrootcert: Option<PathBuf>,
    pub hostaddr: Option<std::net::IpAddr>,
    pub sslcert: Option<PathBuf>,
    pub sslkey: Option<PathBuf>,
    pub passfile: Option<PathBuf>,
    /// Seconds; 0 or unset waits as long as the system does (as libpq).
    pub connect_timeout: Option<u64>,
}

impl Partial {
    /// Fills what `self` lacks from a lower-precedence source.
    pub fn or(self, lower: Partial) -> Partial {
        Partial {
            host: self.host.or(lower.host),
            port: self.port.or(lower.port),
            user: self.user.or(lower.user),
            password: self.password.or(lower.password),
            dbname: self.dbname.or(lower.dbname),
            sslmode: self.sslmode.or(lower.sslmode),
            sslrootcert: self.sslrootcert.or(lower.sslrootcert),
            hostaddr: self.hostaddr.or(lower.hostaddr),
            sslcert: self.sslcert.or(lower.sslcert),
            sslkey: self.sslkey.or(lower.sslkey),
            passfile: self.passfile.or(lower.passfile),
            connect_timeout: self.connect_timeout.or(lower.connect_timeout),
        }
    }

    /// Sets one libpq keyword. Empty values mean "unset", as in libpq.
    fn set(&mut self, source: &str, key: &str, value: String) -> Result<(), ConnectError> {
        let value = Some(value).filter(|v| !v.is_empty());
        match key {
            "host" => self.host = value,
            "port" => {
                self.port = value
                    .map(|v| parse_ports(source, &v))
                    .transpose()?
                    .flatten()
            }
            "user" => self.user = value,
            "password" => self.password = value.map(Secret::new),
            "dbname" => self.dbname = value,
            "sslmode" => self.sslmode = value.map(|v| parse_sslmode(source, &v)).transpose()?,
            "sslrootcert" => self.sslrootcert = value.map(PathBuf::from),
            "sslcert" => self.sslcert = value.map(PathBuf::from),
            "sslkey" => self.sslkey = value.map(PathBuf::from),
            "hostaddr" => {
                self.hostaddr = value
                    .map(|v| {
                        v.parse().map_err(|_| {
                            invalid(source, format!("hostaddr \"{v}\" is not an IP address"))
                        })
                    })
                    .transpose()?
            }
            "passfile" => self.passfile = value.map(PathBuf::from),
            "connect_timeout" => {
                self.connect_timeout = value
                    .map(|v| {
                        v.trim().parse::<u64>().map_err(|_| {
                            invalid(
                                source,
                                format!("connect_timeout \"{v}\" is not a number of seconds"),
                            )
                        })
                    })
                    .transpose()?
            }
            _ if IGNORED.contains(&key) => {
                tracing::debug!(parameter = key, "ignoring connection parameter");
            }
            _ => {
                return Err(invalid(
                    source,
                    format!("unsupported connection parameter \"{key}\""),
                ));
            }
        }
        Ok(())
    }
}

/// The libpq environment variables.
pub(super) fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Partial, ConnectError> {
    let mut partial = Partial::default();
    for (var, key) in [
        ("PGHOST", "host"),
        ("PGPORT", "port"),
        ("PGUSER", "user"),
        ("PGPASSWORD", "password"),
        ("PGDATABASE", "dbname"),
        ("PGSSLMODE", "sslmode"),
        ("PGSSLROOTCERT", "sslrootcert"),
        ("PGSSLCERT", "sslcert"),
        ("PGSSLKEY", "sslkey"),
        ("PGHOSTADDR", "hostaddr"),
        ("PGPASSFILE", "passfile"),
        ("PGCONNECT_TIMEOUT", "connect_timeout"),
    ] {
        if let Some(value) = env(var) {
            partial.set(var, key, value)?;
        }
    }
    Ok(partial)
}

/// The `connection {}` block of the configuration.
pub(super) fn from_block(block: &ConnectionBlock) -> Result<Partial, ConnectError> {
    let nonempty = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    Ok(Partial {
        host: nonempty(&block.host),
        port: block.port,
        user: nonempty(&block.user),
        password: block.password.clone().filter(|p| !p.expose().is_empty()),
        dbname: nonempty(&block.dbname),
        sslmode: nonempty(&block.sslmode)
            .map(|v| parse_sslmode("connection block", &v))
            .transpose()?,
        sslrootcert: block.sslrootcert.clone(),
        hostaddr: None,
        sslcert: block.sslcert.clone(),
        sslkey: block.sslkey.clone(),
        passfile: None,
        connect_timeout: None,
    })
}

/// A `postgres://` / `postgresql://` URL or a libpq `key=value` string.
pub(super) fn parse_connection_string(input: &str) -> Result<Partial, ConnectError> {
    let input = input.trim();
    if let Some(rest) = input
        .strip_prefix("postgresql://")
        .or_else(|| input.strip_prefix("postgres://"))
    {
        parse_url(rest)
    } else if input.contains('=') {
        parse_keyword_value(input)
    } else {
        Err(invalid(
            URL_SOURCE,
            "expected a postgres:// URL or a key=value connection string",
        ))
    }
}

/// `[user[:password]@][host[:port][,...]][/dbname][?key=value&...]`,
/// everything percent-decoded; IPv6 addresses in brackets.
fn parse_url(rest: &str) -> Result<Partial, ConnectError> {
    let mut partial = Partial::default();
    let (main, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = main.split_once('/').unwrap_or((main, ""));
    let hostspec = match authority.rsplit_once('@') {
        Some((userinfo, hostspec)) => {
            let (user, password) = match userinfo.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (userinfo, None),
            };
            partial.user = Some(decode(user, "the user name")?).filter(|u| !u.is_empty());
            if let Some(password) = password {
                let password = decode(password, "the password")?;
                partial.password = Some(password).filter(|p| !p.is_empty()).map(Secret::new);
            }
            hostspec
        }
        None => authority,
    };

    let mut hosts = Vec::new();
    let mut ports = Vec::new();
    for spec in hostspec.split(',') {
        let (host, port) = split_host_port(spec)?;
        hosts.push(decode(host, "a host")?);
        if let Some(port) = port {
            ports.push(port);
        }
    }
    if hosts.iter().any(|h| !h.is_empty()) {
        partial.host = Some(hosts.join(","));
    }
    partial.port = parse_ports(URL_SOURCE, &ports.join(","))?;
    partial.dbname = Some(decode(path, "the database name")?).filter(|d| !d.is_empty());

    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| invalid(URL_SOURCE, "a query parameter lacks \"=\""))?;
        let key = decode(key, "a query parameter name")?;
        let value = decode(value, "a query parameter value")?;
        partial.set(URL_SOURCE, &key, value)?;
    }
    Ok(partial)
}

/// `host`, `host:port`, `[v6]` or `[v6]:port` (port still undecoded).
fn split_host_port(spec: &str) -> Result<(&str, Option<&str>), ConnectError> {
    if let Some(bracketed) = spec.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| invalid(URL_SOURCE, "unterminated \"[\" in an IPv6 host"))?;
        match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((host, Some(port))),
                None => Err(invalid(
                    URL_SOURCE,
                    "unexpected characters after an IPv6 host",
                )),
            },
        }
    } else {
        Ok(match spec.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (spec, None),
        })
    }
}

/// libpq's `key = value key2 = 'quoted \' value'` syntax.
fn parse_keyword_value(input: &str) -> Result<Partial, ConnectError> {
    let mut partial = Partial::default();
    for (key, value) in keyword_pairs(input).map_err(|problem| invalid(URL_SOURCE, problem))? {
        partial.set(URL_SOURCE, &key, value)?;
    }
    Ok(partial)
}

/// The `key = value` pairs of a libpq keyword/value string, in order,
/// unvalidated; also read by the audit for a standby's primary_conninfo.
/// The problem never quotes a value (a misplaced word could be a
/// password).
pub(crate) fn keyword_pairs(input: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err("a parameter lacks \"=\"".to_owned());
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => return Err(format!("unterminated quoted value for \"{key}\"")),
                    Some('\'') => break,
                    Some('\\') => value.extend(chars.next()),
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
}

/// One port, or a list whose entries all agree (pgfort keeps one port for
/// all hosts). Empty entries mean "default".
fn parse_ports(source: &str, value: &str) -> Result<Option<u16>, ConnectError> {
    let mut port = None;
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let parsed = entry
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| invalid(source, format!("invalid port \"{entry}\"")))?;
        match port {
            Some(previous) if previous != parsed => {
                return Err(invalid(
                    source,
                    "different ports for different hosts are not supported",
                ));
            }
            _ => port = Some(parsed),
        }
    }
    Ok(port)
}

fn parse_sslmode(source: &str, value: &str) -> Result<SslMode, ConnectError> {
    value
        .parse()
        .map_err(|message: String| invalid(source, message))
}

/// Percent-decoding (no `+` for space, as in libpq). `what` names the
/// part in the error, never its value, since it may be a password.
fn decode(input: &str, what: &str) -> Result<String, ConnectError> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            let byte = hex.and_then(|h| u8::from_str_radix(h, 16).ok());
            let byte = byte.ok_or_else(|| {
                invalid(URL_SOURCE, format!("invalid percent-encoding in {what}"))
            })?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| {
        invalid(
            URL_SOURCE,
            format!("{what} is not valid UTF-8 after percent-decoding"),
        )
    })
}

fn invalid(source: &str, message: impl std::fmt::Display) -> ConnectError {
    ConnectError::Invalid(format!("{source}: {message}"))
}
