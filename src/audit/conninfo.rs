//! Just enough of libpq's connection strings to judge a standby's
//! `primary_conninfo`: where it connects and with which sslmode. Lenient
//! where pgfort's own parser (`connect::params`) is strict, since any
//! libpq keyword may appear there; and it keeps only what may be shown,
//! so a password never leaves this module.

/// The parts of a connection string that are safe to show.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnTarget {
    pub host: Option<String>,
    pub port: Option<String>,
    pub sslmode: Option<String>,
}

impl ConnTarget {
    /// `host=… port=… sslmode=…`, with only the keys that were given.
    pub fn describe(&self) -> String {
        [
            ("host", &self.host),
            ("port", &self.port),
            ("sslmode", &self.sslmode),
        ]
        .iter()
        .filter_map(|(key, value)| value.as_ref().map(|v| format!("{key}={v}")))
        .collect::<Vec<_>>()
        .join(" ")
    }
}

/// A `postgres://` URL or a `key=value` string; `None` when malformed
/// (an unterminated quote, a word without `=`).
pub fn parse(input: &str) -> Option<ConnTarget> {
    let input = input.trim();
    let pairs = match input
        .strip_prefix("postgresql://")
        .or_else(|| input.strip_prefix("postgres://"))
    {
        Some(rest) => url_pairs(rest)?,
        None => crate::connect::params::keyword_pairs(input).ok()?,
    };
    let mut target = ConnTarget::default();
    // Later keys win, as in libpq; empty values mean "unset".
    for (key, value) in pairs {
        let value = Some(value).filter(|v| !v.is_empty());
        match key.as_str() {
            "host" => target.host = value,
            "port" => target.port = value,
            "sslmode" => target.sslmode = value,
            _ => {}
        }
    }
    Some(target)
}

/// `[user[:password]@][host[:port][,...]][/dbname][?key=value&...]`; the
/// user part is skipped unread.
fn url_pairs(rest: &str) -> Option<Vec<(String, String)>> {
    let (main, query) = rest.split_once('?').unwrap_or((rest, ""));
    let authority = main
        .split_once('/')
        .map_or(main, |(authority, _)| authority);
    let hostspec = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let mut hosts = Vec::new();
    let mut ports = Vec::new();
    for spec in hostspec.split(',') {
        let (host, port) = match spec.strip_prefix('[') {
            Some(bracketed) => {
                let (host, after) = bracketed.split_once(']')?;
                (host, after.strip_prefix(':'))
            }
            None => match spec.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (spec, None),
            },
        };
        hosts.push(decode(host));
        ports.extend(port.map(decode));
    }
    let mut pairs = vec![
        ("host".to_owned(), hosts.join(",")),
        ("port".to_owned(), ports.join(",")),
    ];
    if hosts.iter().all(String::is_empty) {
        pairs[0].1.clear();
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=')?;
        pairs.push((decode(key), decode(value)));
    }
    Some(pairs)
}

/// Percent-decoding; an invalid escape is kept as it is.
fn decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(input: &str) -> String {
        parse(input).map(|t| t.describe()).unwrap_or_default()
    }

    #[test]
    fn keyword_value_strings() {
        assert_eq!(
            shown("host=primary port=5432 user=replicator password=s3cret sslmode=verify-full"),
            "host=primary port=5432 sslmode=verify-full"
        );
        assert_eq!(
            shown("  host = 'db one' sslmode='require' password='a \\' b'  "),
            "host=db one sslmode=require"
        );
        // Later keys win; empty means unset.
        assert_eq!(
            shown("sslmode=disable host=a sslmode=verify-ca port="),
            "host=a sslmode=verify-ca"
        );
        assert_eq!(shown("user=x application_name=walreceiver"), "");
        assert_eq!(shown("host=a\\ b"), "host=a b");
    }

    #[test]
    fn urls() {
        assert_eq!(
            shown(
                "postgres://rep:p%40ss@primary.example.com:5433/db?sslmode=verify-full&application_name=s1"
            ),
            "host=primary.example.com port=5433 sslmode=verify-full"
        );
        assert_eq!(
            shown("postgresql://[2001:db8::1]:5432,h2:5432?sslmode=require"),
            "host=2001:db8::1,h2 port=5432,5432 sslmode=require"
        );
        assert_eq!(shown("postgresql:///?host=%2Ftmp"), "host=/tmp");
        assert_eq!(
            shown("postgresql://h?sslmode=prefer&sslmode=verify-ca"),
            "host=h sslmode=verify-ca"
        );
    }

    #[test]
    fn malformed_strings_are_none() {
        assert_eq!(parse("host=a password='unterminated"), None);
        assert_eq!(parse("host=a hunter2"), None);
        assert_eq!(parse("postgres://[::1/x"), None);
        assert_eq!(parse("postgres://h?flag"), None);
    }

    #[test]
    fn a_password_is_never_kept() {
        for input in [
            "host=a password=hunter2 sslmode=verify-full",
            "postgres://u:hunter2@a?sslmode=verify-full",
            "postgres://a?password=hunter2",
        ] {
            let target = parse(input).expect(input);
            assert!(!format!("{target:?}").contains("hunter2"), "{input}");
        }
    }
}
