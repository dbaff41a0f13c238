//! pg_hba.conf as data: rules in file order, and the self-tests a
//! configuration declares. Rules are kept normalised (addresses as
//! networks, lower-case keywords) so two spellings of one rule are equal
//! and never cause a perpetual diff.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::hba_token::{self as token, TokenError, list_token, redact_text, word_token};

/// The first column of a rule: which connections it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnType {
    Local,
    Host,
    HostSsl,
    HostNoSsl,
    HostGssEnc,
    HostNoGssEnc,
}

impl ConnType {
    pub const NAMES: &'static [&'static str] = &[
        "local",
        "host",
        "hostssl",
        "hostnossl",
        "hostgssenc",
        "hostnogssenc",
    ];

    pub fn parse(text: &str) -> Option<ConnType> {
        Some(match text {
            "local" => ConnType::Local,
            "host" => ConnType::Host,
            "hostssl" => ConnType::HostSsl,
            "hostnossl" => ConnType::HostNoSsl,
            "hostgssenc" => ConnType::HostGssEnc,
            "hostnogssenc" => ConnType::HostNoGssEnc,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ConnType::Local => "local",
            ConnType::Host => "host",
            ConnType::HostSsl => "hostssl",
            ConnType::HostNoSsl => "hostnossl",
            ConnType::HostGssEnc => "hostgssenc",
            ConnType::HostNoGssEnc => "hostnogssenc",
        }
    }
}

/// The address column, normalised: a network is always `addr/len` with the
/// host bits cleared (`10.0.0.1/8` and `10.0.0.0 255.0.0.0` are one value).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HbaAddress {
    /// `local` rules have none.
    None,
    All,
    SameHost,
    SameNet,
    Net(IpNet),
    /// A host name (or `.suffix`); only the server can resolve it.
    Hostname(String),
}

impl HbaAddress {
    /// Reads a written address (and optional netmask). `Err` is a message.
    pub fn parse(address: &str, netmask: Option<&str>) -> Result<HbaAddress, String> {
        if let Some(mask) = netmask {
            let ip: IpAddr = address
                .parse()
                .map_err(|_| format!("\"{address}\" is not an IP address (netmask is given)"))?;
            let mask: IpAddr = mask
                .parse()
                .map_err(|_| format!("netmask \"{mask}\" is not an IP address"))?;
            let net = IpNet::with_netmask(ip, mask)
                .map_err(|_| format!("netmask \"{mask}\" does not fit address \"{address}\""))?;
            return Ok(HbaAddress::Net(net.trunc()));
        }
        match address {
            "all" => return Ok(HbaAddress::All),
            "samehost" => return Ok(HbaAddress::SameHost),
            "samenet" => return Ok(HbaAddress::SameNet),
            _ => {}
        }
        if let Ok(net) = address.parse::<IpNet>() {
            return Ok(HbaAddress::Net(net.trunc()));
        }
        if let Ok(ip) = address.parse::<IpAddr>() {
            return Ok(HbaAddress::Net(IpNet::from(ip)));
        }
        let looks_numeric = address
            .chars()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '/'));
        let host_ok = !address.is_empty()
            && address
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if looks_numeric && address.contains(['/', ':']) || !host_ok {
            return Err(format!(
                "\"{address}\" is not a valid CIDR address, IP address or host name"
            ));
        }
        Ok(HbaAddress::Hostname(address.to_ascii_lowercase()))
    }

    /// Whether `ip` is inside; `None` when only the server can tell.
    pub fn contains(&self, ip: IpAddr) -> Option<bool> {
        match self {
            HbaAddress::None => Some(false),
            HbaAddress::All => Some(true),
            HbaAddress::Net(net) => Some(net.contains(&canonical_ip(ip))),
            HbaAddress::SameHost | HbaAddress::SameNet | HbaAddress::Hostname(_) => None,
        }
    }
}

/// IPv4-mapped IPv6 addresses compare as IPv4, as the server does.
fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

impl Serialize for HbaAddress {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for HbaAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HbaAddress::None => Ok(()),
            HbaAddress::All => f.write_str("all"),
            HbaAddress::SameHost => f.write_str("samehost"),
            HbaAddress::SameNet => f.write_str("samenet"),
            HbaAddress::Net(net) => write!(f, "{net}"),
            HbaAddress::Hostname(name) => f.write_str(name),
        }
    }
}

/// The authentication methods pg_hba.conf accepts.
pub const METHODS: &[&str] = &[
    "trust",
    "reject",
    "scram-sha-256",
    "md5",
    "password",
    "peer",
    "ident",
    "cert",
    "gss",
    "sspi",
    "ldap",
    "radius",
    "pam",
];

/// One line of pg_hba.conf. Equality ignores the comment: it lives in the
/// file only, and the server does not report it. Secret option values
/// (`ldapbindpasswd`, `radiussecrets`) never leave through `Debug` or
/// `Serialize`.
#[derive(Clone, Eq, Serialize)]
pub struct HbaRule {
    pub conn_type: ConnType,
    /// As written, in order (`all`, `sameuser`, `replication`, names, `@file`).
    pub databases: Vec<String>,
    /// As written, in order (`all`, names, `+group`, `/regex`).
    pub users: Vec<String>,
    pub address: HbaAddress,
    pub method: String,
    /// `name=value` options, sorted by name.
    #[serde(serialize_with = "serialize_options")]
    pub options: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl fmt::Debug for HbaRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HbaRule")
            .field("line", &self.line())
            .field("comment", &self.comment)
            .finish()
    }
}

impl PartialEq for HbaRule {
    fn eq(&self, other: &Self) -> bool {
        self.conn_type == other.conn_type
            && self.databases == other.databases
            && self.users == other.users
            && self.address == other.address
            && self.method == other.method
            && self.effective_options() == other.effective_options()
    }
}

impl HbaRule {
    /// The line as shown to people (messages, plans): the file's quoting,
    /// secret option values redacted, and anything the file could not
    /// hold escaped instead of refused. Never written to a file: that is
    /// [`HbaRule::file_line`].
    pub fn line(&self) -> String {
        let shown = |items: &[String], what: &str| {
            list_token(items, what).unwrap_or_else(|_| format!("{items:?}"))
        };
        let mut columns = vec![
            self.conn_type.as_str().to_owned(),
            shown(&self.databases, "database"),
            shown(&self.users, "user"),
        ];
        if self.address != HbaAddress::None {
            let address = self.address.to_string();
            columns
                .push(word_token(&address, "address").unwrap_or_else(|_| format!("{address:?}")));
        }
        columns.push(
            word_token(&self.method, "method").unwrap_or_else(|_| format!("{:?}", self.method)),
        );
        for (name, value) in &self.options {
            columns.push(token::shown_option(name, value));
        }
        columns.join(" ")
    }

    /// The line as pg_hba.conf takes it (no comment), with the real option
    /// values. Every token goes through the grammar in [`token`]: a value
    /// that would not read back as the same single token is an error, so
    /// no path can write a new line, a comment or an extra option.
    pub fn file_line(&self) -> Result<String, TokenError> {
        let mut columns = vec![
            self.conn_type.as_str().to_owned(),
            list_token(&self.databases, "database")?,
            list_token(&self.users, "user")?,
        ];
        if self.address != HbaAddress::None {
            columns.push(word_token(&self.address.to_string(), "address")?);
        }
        columns.push(word_token(&self.method, "method")?);
        for (name, value) in &self.options {
            columns.push(token::option_token(name, value)?);
        }
        Ok(columns.join(" "))
    }
}

fn serialize_text<S: serde::Serializer>(
    text: &Option<String>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match text {
        Some(text) => serializer.serialize_some(&redact_text(text)),
        None => serializer.serialize_none(),
    }
}

/// Options as serialized: secret values redacted.
fn serialize_options<S: serde::Serializer>(
    options: &[(String, String)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(options.iter().map(|(name, value)| {
        let value = if token::is_secret_option(name) {
            super::REDACTED
        } else {
            value.as_str()
        };
        (name, value)
    }))
}

/// A connection to try against the rules (`check` blocks, and pgfort's own
/// session).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HbaProbe {
    pub user: String,
    pub database: String,
    /// `None`: a Unix-socket connection.
    pub address: Option<IpAddr>,
    pub ssl: bool,
}

impl HbaProbe {
    /// `user U, database D, TCP from A[ with SSL]` (or `the Unix socket`),
    /// with `database` standing for the probe's own.
    pub fn describe(&self, database: &str) -> String {
        let from = match self.address {
            Some(ip) => format!("TCP from {ip}{}", if self.ssl { " with SSL" } else { "" }),
            None => "the Unix socket".to_owned(),
        };
        format!("user {}, database {database}, {from}", self.user)
    }
}

/// `check { … }`: which method a connection should meet first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HbaCheck {
    pub probe: HbaProbe,
    pub expect: String,
    /// Where the check was written (`file:line:col`), for the failure.
    pub location: String,
}

/// The managed pg_hba: desired rules (and checks), or what the server has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Hba {
    pub rules: Vec<HbaRule>,
    /// Declared self-tests (desired only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<HbaCheck>,
    /// Live only: the file's path (`hba_file`).
    pub file: String,
    /// Live only: the file's text, when it could be read. Serialized (into
    /// digests and fingerprints, which saved plans hold) with secret option
    /// values redacted, so no hash of a credential leaves pgfort.
    #[serde(serialize_with = "serialize_text")]
    pub text: Option<String>,
    /// Live only: lines the server cannot parse, as (line, message).
    pub errors: Vec<(u32, String)>,
    /// Live only: lines the server accepts but reports with empty columns
    /// (radius rules on some versions), which pgfort cannot compare.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<u32>,
    /// Live only: whether pgfort may read the file and its rules at all.
    pub readable: bool,
    /// Live only: pgfort's own connection, for the lockout check.
    #[serde(skip)]
    pub session: Option<HbaSession>,
}

/// How pgfort itself is connected: what a new pg_hba must still admit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HbaSession {
    pub probe: HbaProbe,
    /// The server's address on this connection (`samehost` when equal).
    pub server_address: Option<IpAddr>,
    /// Roles the session user is a member of (for `+group`), itself included.
    pub member_of: Vec<String>,
    /// The method the session authenticated with, when the server says
    /// (`system_user`, PostgreSQL 16+); otherwise the current file's first
    /// match stands in for it.
    pub auth_method: Option<String>,
    /// Whether pgfort's connection settings would use TLS once the server
    /// offers it (TCP, `sslmode` other than `disable`): then an apply that
    /// turns SSL on can continue over TLS (see [`TlsHandover`]).
    pub tls_allowed: bool,
}

/// The new rules admit pgfort's own connection only over TLS, which the
/// same apply turns on: apply reconnects over TLS once SSL is on, and
/// writes pg_hba.conf only when that session is the one checked here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsHandover {
    /// pgfort's session as the plan checked it: over TLS.
    pub probe: HbaProbe,
    /// The rule admitting it, as plans show it (`rule 2 (hostssl …)`).
    pub admitted_by: String,
}

impl HbaRule {
    /// The options with those the server reports although nobody wrote
    /// them (`cert` implies `clientcert=verify-full`; gss and sspi include
    /// the realm by default; ldap searches the subtree), sorted, so a
    /// declared rule equals what the server shows. Never written to the
    /// file: `ldapscope` is not an option pg_hba.conf accepts.
    pub fn effective_options(&self) -> Vec<(String, String)> {
        let mut options = self.options.clone();
        let mut add = |name: &str, value: &str| {
            if !options.iter().any(|(n, _)| n == name) {
                options.push((name.to_owned(), value.to_owned()));
            }
        };
        match self.method.as_str() {
            "cert" => add("clientcert", "verify-full"),
            "gss" | "sspi" => add("include_realm", "true"),
            "ldap" => add("ldapscope", "2"),
            _ => {}
        }
        options.sort();
        options
    }

    /// The line with [`HbaRule::effective_options`], for comparisons shown
    /// to people (the same for the declared rule and the server's).
    pub fn compared_line(&self) -> String {
        HbaRule {
            options: self.effective_options(),
            comment: None,
            ..self.clone()
        }
        .line()
    }
}

/// A planned rewrite of pg_hba.conf: what apply writes, what it restores
/// on failure, and which rule is on which line (to name a refused one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HbaWrite {
    pub file: String,
    pub before: String,
    pub after: String,
    /// (line number, rule as shown) for every rule of `after`.
    pub lines: Vec<(u32, String)>,
    /// Whether `before` and `after` had secret option values replaced (a
    /// saved plan never holds them): such a write cannot be applied.
    #[serde(default)]
    pub redacted: bool,
    /// Set when pgfort must reconnect over TLS before writing the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_tls: Option<TlsHandover>,
}

impl HbaWrite {
    /// The rewrite to `rules`; refused when a rule holds a token the file
    /// cannot represent.
    pub fn new(file: &str, before: &str, rules: &[HbaRule]) -> Result<HbaWrite, TokenError> {
        let after = render_file(rules)?;
        let lines = redact_text(&after)
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.starts_with('#'))
            .map(|(index, line)| {
                (
                    u32::try_from(index + 1).unwrap_or(u32::MAX),
                    line.to_owned(),
                )
            })
            .collect();
        Ok(HbaWrite {
            file: file.to_owned(),
            before: before.to_owned(),
            after,
            lines,
            redacted: false,
            over_tls: None,
        })
    }

    /// The same write with secret option values replaced in both texts,
    /// for a saved plan; `redacted` says whether anything was replaced.
    pub fn redacted(&self) -> HbaWrite {
        let before = redact_text(&self.before);
        let after = redact_text(&self.after);
        let redacted = self.redacted || before != self.before || after != self.after;
        HbaWrite {
            before,
            after,
            redacted,
            ..self.clone()
        }
    }

    /// The rule on `line` of the new file, for messages.
    pub fn rule_at(&self, line: u32) -> Option<&str> {
        self.lines
            .iter()
            .find(|(number, _)| *number == line)
            .map(|(_, text)| text.as_str())
    }
}

/// The first line of every file pgfort writes.
pub const HEADER: &str = "# This file is managed by pgfort: edits are replaced by the next apply.";

/// The whole file for `rules`: the header, then each rule, its comment on
/// the line above it. Nothing needs escaping when written over SQL. Every
/// token is checked (see [`HbaRule::file_line`]).
pub fn render_file(rules: &[HbaRule]) -> Result<String, TokenError> {
    let mut out = String::new();
    out.push_str(HEADER);
    out.push('\n');
    for rule in rules {
        if let Some(comment) = &rule.comment {
            if comment.chars().any(|c| c.is_control() && c != '\n') {
                return Err(TokenError::Control {
                    what: "a rule comment".to_owned(),
                });
            }
            for line in comment.lines() {
                out.push_str("# ");
                out.push_str(line);
                out.push('\n');
            }
        }
        out.push_str(&rule.file_line()?);
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_spellings_normalise() {
        let a = HbaAddress::parse("10.1.2.3/8", None).unwrap();
        let b = HbaAddress::parse("10.0.0.0", Some("255.0.0.0")).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "10.0.0.0/8");
        let v6 = HbaAddress::parse("::1", None).unwrap();
        assert_eq!(v6.to_string(), "::1/128");
        assert!(HbaAddress::parse("10.0.0.0/33", None).is_err());
        assert!(HbaAddress::parse("db.example.com", None).is_ok());
        assert!(HbaAddress::parse("bad host!", None).is_err());
    }

    #[test]
    fn options_the_server_implies_compare_equal_but_are_not_written() {
        let mut declared = HbaRule {
            conn_type: ConnType::Host,
            databases: vec!["all".into()],
            users: vec!["all".into()],
            address: HbaAddress::All,
            method: "ldap".into(),
            options: vec![("ldapserver".into(), "ldap.example.com".into())],
            comment: None,
        };
        let mut reported = declared.clone();
        reported.options.push(("ldapscope".into(), "2".into()));
        assert_eq!(declared, reported);
        assert_eq!(
            declared.line(),
            "host all all all ldap ldapserver=ldap.example.com"
        );
        declared.options[0].1 = "other".into();
        assert_ne!(declared, reported);
    }

    #[test]
    fn lines_quote_only_what_needs_it() {
        let rule = HbaRule {
            conn_type: ConnType::HostSsl,
            databases: vec!["app".into(), "My DB".into()],
            users: vec!["+staff".into()],
            address: HbaAddress::parse("10.0.0.0/8", None).unwrap(),
            method: "cert".into(),
            options: vec![("clientcert".into(), "verify-full".into())],
            comment: None,
        };
        assert_eq!(
            rule.line(),
            "hostssl app,\"My DB\" +staff 10.0.0.0/8 cert clientcert=verify-full"
        );
    }
}
