//! The parameters of PgBouncer 1.18–1.24 pgfort accepts, with the type of
//! each, so that a misspelt name or a bad value is refused where it was
//! written instead of by PgBouncer on its next reload.

/// What a parameter's value is, and how it is written in pgbouncer.ini.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `0` or `1` in the file; true/false (or 0/1) in the configuration.
    Bool,
    /// A whole number within `min..=max`.
    Integer { min: i64, max: i64 },
    /// A duration in seconds, fractions allowed.
    Seconds,
    /// One of a fixed set of words.
    Enum(&'static [&'static str]),
    /// Free text on one line.
    Text,
    /// A file or directory on the PgBouncer host.
    Path,
    /// A comma-separated list; a list or one string in the configuration.
    List,
    /// A file mode in octal, written as a string (`"0770"`): HCL has no
    /// octal numbers, and `0770` would be read as seven hundred and seventy.
    Octal,
}

/// One parameter: its name and the kind of its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub kind: Kind,
}

pub const POOL_MODES: &[&str] = &["session", "transaction", "statement"];
pub const AUTH_TYPES: &[&str] = &[
    "cert",
    "md5",
    "scram-sha-256",
    "plain",
    "trust",
    "any",
    "hba",
    "pam",
];
pub use crate::connect::SSLMODES;
pub const SYSLOG_FACILITIES: &[&str] = &[
    "auth", "authpriv", "daemon", "user", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];
pub const LOAD_BALANCE_HOSTS: &[&str] = &["disable", "round-robin"];

/// The `auth_type` written when none is given: verifiers in the auth file
/// are SCRAM, and PgBouncer's own default (md5) is weaker.
pub const DEFAULT_AUTH_TYPE: &str = "scram-sha-256";

const INT_MAX: i64 = i32::MAX as i64;

const fn int(name: &'static str, min: i64) -> Param {
    Param {
        name,
        kind: Kind::Integer { min, max: INT_MAX },
    }
}

const fn of(name: &'static str, kind: Kind) -> Param {
    Param { name, kind }
}

/// The `[pgbouncer]` section's parameters a configuration may set, by name.
pub const PARAMS: &[Param] = &[
    of("admin_users", Kind::List),
    of("application_name_add_host", Kind::Bool),
    of("auth_dbname", Kind::Text),
    of("auth_hba_file", Kind::Path),
    of("auth_ident_file", Kind::Path),
    of("auth_type", Kind::Enum(AUTH_TYPES)),
    of("autodb_idle_timeout", Kind::Seconds),
    of("cancel_wait_timeout", Kind::Seconds),
    of("client_idle_timeout", Kind::Seconds),
    of("client_login_timeout", Kind::Seconds),
    of("client_tls_ca_file", Kind::Path),
    of("client_tls_cert_file", Kind::Path),
    of("client_tls_ciphers", Kind::Text),
    of("client_tls_dheparams", Kind::Text),
    of("client_tls_ecdhcurve", Kind::Text),
    of("client_tls_key_file", Kind::Path),
    of("client_tls_protocols", Kind::Text),
    of("client_tls_sslmode", Kind::Enum(SSLMODES)),
    of("conffile", Kind::Path),
    int("default_pool_size", 0),
    of("disable_pqexec", Kind::Bool),
    of("dns_max_ttl", Kind::Seconds),
    of("dns_nxdomain_ttl", Kind::Seconds),
    of("dns_zone_check_period", Kind::Seconds),
    of("idle_transaction_timeout", Kind::Seconds),
    of("ignore_startup_parameters", Kind::List),
    of("listen_addr", Kind::List),
    int("listen_backlog", 1),
    of(
        "listen_port",
        Kind::Integer {
            min: 1,
            max: u16::MAX as i64,
        },
    ),
    of("log_connections", Kind::Bool),
    of("log_disconnections", Kind::Bool),
    of("log_pooler_errors", Kind::Bool),
    of("log_stats", Kind::Bool),
    of("logfile", Kind::Path),
    int("max_client_conn", 1),
    int("max_db_connections", 0),
    of(
        "max_packet_size",
        Kind::Integer {
            min: 0,
            max: u32::MAX as i64,
        },
    ),
    int("max_prepared_statements", 0),
    int("max_user_connections", 0),
    int("min_pool_size", 0),
    of("peer_id", Kind::Integer { min: 0, max: 16383 }),
    of("pidfile", Kind::Path),
    int("pkt_buf", 512),
    of("pool_mode", Kind::Enum(POOL_MODES)),
    of("query_timeout", Kind::Seconds),
    of("query_wait_timeout", Kind::Seconds),
    int("reserve_pool_size", 0),
    of("reserve_pool_timeout", Kind::Seconds),
    of("resolv_conf", Kind::Path),
    int("sbuf_loopcnt", 0),
    of("server_check_delay", Kind::Seconds),
    of("server_check_query", Kind::Text),
    of("server_connect_timeout", Kind::Seconds),
    of("server_fast_close", Kind::Bool),
    of("server_idle_timeout", Kind::Seconds),
    of("server_lifetime", Kind::Seconds),
    of("server_login_retry", Kind::Seconds),
    of("server_reset_query", Kind::Text),
    of("server_reset_query_always", Kind::Bool),
    of("server_round_robin", Kind::Bool),
    of("server_tls_ca_file", Kind::Path),
    of("server_tls_cert_file", Kind::Path),
    of("server_tls_ciphers", Kind::Text),
    of("server_tls_key_file", Kind::Path),
    of("server_tls_protocols", Kind::Text),
    of("server_tls_sslmode", Kind::Enum(SSLMODES)),
    of("service_name", Kind::Text),
    of("so_reuseport", Kind::Bool),
    int("stats_period", 1),
    of("stats_users", Kind::List),
    of("suspend_timeout", Kind::Seconds),
    of("syslog", Kind::Bool),
    of("syslog_facility", Kind::Enum(SYSLOG_FACILITIES)),
    of("syslog_ident", Kind::Text),
    int("tcp_defer_accept", 0),
    of("tcp_keepalive", Kind::Bool),
    int("tcp_keepcnt", 0),
    int("tcp_keepidle", 0),
    int("tcp_keepintvl", 0),
    int("tcp_socket_buffer", 0),
    int("tcp_user_timeout", 0),
    of("track_extra_parameters", Kind::List),
    of("unix_socket_dir", Kind::Path),
    of("unix_socket_group", Kind::Text),
    of("unix_socket_mode", Kind::Octal),
    of("user", Kind::Text),
    int("verbose", 0),
];

/// Parameters pgfort writes itself, and why a configuration may not.
pub const OWNED: &[(&str, &str)] = &[
    (
        "auth_file",
        "pgfort writes the auth file (config_dir/userlist.txt) and points auth_file at it",
    ),
    (
        "auth_user",
        "pgfort writes auth_user from the block's auth_user when auth = \"query\"",
    ),
    (
        "auth_query",
        "pgfort writes auth_query when auth = \"query\"",
    ),
];

/// The connection options of a `[databases]` entry, besides `dbname`.
pub const DATABASE_OPTIONS: &[Param] = &[
    of("application_name", Kind::Text),
    of("auth_dbname", Kind::Text),
    of("auth_user", Kind::Text),
    of("client_encoding", Kind::Text),
    of("connect_query", Kind::Text),
    of("datestyle", Kind::Text),
    of("host", Kind::Text),
    of("load_balance_hosts", Kind::Enum(LOAD_BALANCE_HOSTS)),
    int("max_db_connections", 0),
    int("min_pool_size", 0),
    of("pool_mode", Kind::Enum(POOL_MODES)),
    int("pool_size", 0),
    of(
        "port",
        Kind::Integer {
            min: 1,
            max: u16::MAX as i64,
        },
    ),
    int("reserve_pool", 0),
    int("server_lifetime", 0),
    of("timezone", Kind::Text),
    of("user", Kind::Text),
];

/// The `[pgbouncer]` parameter `name`, if a configuration may set it.
pub fn param(name: &str) -> Option<&'static Param> {
    PARAMS.iter().find(|p| p.name == name)
}

/// Why pgfort refuses `name` in settings, if it writes it itself.
pub fn owned(name: &str) -> Option<&'static str> {
    OWNED.iter().find(|(n, _)| *n == name).map(|(_, why)| *why)
}

/// The `[databases]` option `name`, if there is one.
pub fn database_option(name: &str) -> Option<&'static Param> {
    DATABASE_OPTIONS.iter().find(|p| p.name == name)
}

/// A configuration value, in the shapes HCL gives.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Bool(bool),
    Number(f64),
    Text(&'a str),
    List(Vec<&'a str>),
}

impl Kind {
    /// What a value of this kind looks like, for messages.
    pub fn expected(&self) -> String {
        match self {
            Kind::Bool => "a bool (true or false, or 0 or 1)".to_owned(),
            Kind::Integer { min, max } => format!("a whole number between {min} and {max}"),
            Kind::Seconds => {
                "a number of seconds (fractions allowed) from 0 to 2147483647".to_owned()
            }
            Kind::Enum(names) => format!("one of: {}", names.join(", ")),
            Kind::Text | Kind::Path => "a string on one line".to_owned(),
            Kind::List => "a list of strings, or one comma-separated string".to_owned(),
            Kind::Octal => "an octal file mode as a string, e.g. \"0770\"".to_owned(),
        }
    }

    /// `value` as pgbouncer.ini writes it; the error says what is wrong
    /// (the caller names the parameter and the place).
    pub fn normalize(&self, value: &Value<'_>) -> Result<String, String> {
        let wrong = || Err(format!("expected {}", self.expected()));
        match (self, value) {
            (Kind::Bool, Value::Bool(b)) => Ok(u8::from(*b).to_string()),
            (Kind::Bool, Value::Number(n)) if *n == 0.0 || *n == 1.0 => {
                Ok(u8::from(*n == 1.0).to_string())
            }
            (Kind::Bool, Value::Text(t)) => match *t {
                "true" | "1" => Ok("1".to_owned()),
                "false" | "0" => Ok("0".to_owned()),
                _ => wrong(),
            },
            (Kind::Integer { min, max }, _) => {
                let number = number(value).filter(|n| n.fract() == 0.0);
                match number {
                    Some(n) if n >= *min as f64 && n <= *max as f64 => Ok(format!("{n}")),
                    Some(n) => Err(format!("expected {}, got {n}", self.expected())),
                    None => wrong(),
                }
            }
            (Kind::Seconds, _) => match number(value) {
                Some(n) if (0.0..=INT_MAX as f64).contains(&n) => Ok(format!("{n}")),
                _ => wrong(),
            },
            (Kind::Enum(names), Value::Text(t)) if names.contains(t) => Ok((*t).to_owned()),
            (Kind::Enum(_), Value::Text(t)) => Err(format!(
                "invalid value \"{}\", expected {}",
                t.escape_debug(),
                self.expected()
            )),
            (Kind::Text | Kind::Path, Value::Text(t)) => {
                check_text(t)?;
                Ok((*t).to_owned())
            }
            (Kind::Text | Kind::Path, Value::Number(n)) => Ok(format!("{n}")),
            (Kind::List, Value::Text(t)) => list(t.split(',').map(str::trim)),
            (Kind::List, Value::List(items)) => list(items.iter().copied()),
            (Kind::Octal, Value::Text(t))
                if (2..=5).contains(&t.len())
                    && t.starts_with('0')
                    && t.bytes().all(|b| (b'0'..=b'7').contains(&b)) =>
            {
                Ok((*t).to_owned())
            }
            _ => wrong(),
        }
    }
}

fn number(value: &Value<'_>) -> Option<f64> {
    match value {
        Value::Number(n) => Some(*n),
        Value::Text(t) => t.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
        _ => None,
    }
}

/// Items joined with commas; an item holding a comma would split in two.
fn list<'a>(items: impl Iterator<Item = &'a str>) -> Result<String, String> {
    let mut out = Vec::new();
    for item in items {
        check_text(item)?;
        if item.contains(',') {
            return Err(format!(
                "list item \"{}\" holds a comma, which separates items",
                item.escape_debug()
            ));
        }
        if item.trim().is_empty() {
            return Err("a list item cannot be empty".to_owned());
        }
        out.push(item.trim());
    }
    Ok(out.join(","))
}

/// Text that pgbouncer.ini holds as written: one line (a line break would
/// start a new parameter or section), no NUL, and no spaces at either end
/// (PgBouncer would drop them).
pub fn check_text(text: &str) -> Result<(), String> {
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(format!(
            "a value cannot hold the control character {:?}: it would break the line in pgbouncer.ini",
            c
        ));
    }
    if text.trim() != text {
        return Err("a value cannot start or end with spaces: PgBouncer drops them".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_unique() {
        for table in [PARAMS, DATABASE_OPTIONS] {
            let names: Vec<&str> = table.iter().map(|p| p.name).collect();
            let mut sorted = names.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(names, sorted);
        }
        for (name, _) in OWNED {
            assert!(param(name).is_none(), "{name} is owned, not settable");
        }
    }

    #[test]
    fn values_normalise_to_their_ini_spelling() {
        let kind = |name| param(name).unwrap().kind;
        assert_eq!(
            kind("log_stats").normalize(&Value::Bool(false)),
            Ok("0".into())
        );
        assert_eq!(
            kind("log_stats").normalize(&Value::Number(1.0)),
            Ok("1".into())
        );
        assert!(kind("log_stats").normalize(&Value::Number(2.0)).is_err());
        assert_eq!(
            kind("query_wait_timeout").normalize(&Value::Number(120.0)),
            Ok("120".into())
        );
        assert_eq!(
            kind("query_timeout").normalize(&Value::Number(0.5)),
            Ok("0.5".into())
        );
        assert!(
            kind("query_timeout")
                .normalize(&Value::Text("30s"))
                .is_err()
        );
        assert!(
            kind("query_timeout")
                .normalize(&Value::Number(-1.0))
                .is_err()
        );
        assert_eq!(
            kind("max_client_conn").normalize(&Value::Text("1000")),
            Ok("1000".into())
        );
        assert_eq!(
            kind("max_client_conn").normalize(&Value::Number(0.0)),
            Err("expected a whole number between 1 and 2147483647, got 0".into())
        );
        assert!(
            kind("max_client_conn")
                .normalize(&Value::Number(1.5))
                .is_err()
        );
        assert_eq!(
            kind("admin_users").normalize(&Value::List(vec!["a", "b"])),
            Ok("a,b".into())
        );
        assert_eq!(
            kind("admin_users").normalize(&Value::Text("a, b")),
            Ok("a,b".into())
        );
        assert!(
            kind("admin_users")
                .normalize(&Value::List(vec!["a,b"]))
                .is_err()
        );
        assert_eq!(
            kind("unix_socket_mode").normalize(&Value::Text("0770")),
            Ok("0770".into())
        );
        assert!(
            kind("unix_socket_mode")
                .normalize(&Value::Number(770.0))
                .is_err()
        );
        assert!(
            kind("unix_socket_mode")
                .normalize(&Value::Text("0778"))
                .is_err()
        );
        assert_eq!(
            kind("pool_mode").normalize(&Value::Text("sesion")),
            Err(
                "invalid value \"sesion\", expected one of: session, transaction, statement".into()
            )
        );
        assert!(kind("logfile").normalize(&Value::Text("a\nb")).is_err());
        assert!(kind("logfile").normalize(&Value::Text(" a")).is_err());
        assert_eq!(
            kind("logfile").normalize(&Value::Text("")),
            Ok(String::new())
        );
    }
}
