//! Resolution of settings without a server: precedence, URL and key=value
//! parsing, the password file, and redaction.

use std::collections::HashMap;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;

use super::*;

/// An environment made of the given pairs only; HOME points nowhere so that
/// the developer's own ~/.pgpass never leaks into a test.
fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let mut map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    map.entry("HOME".into())
        .or_insert_with(|| "/nonexistent-home".into());
    move |name| map.get(name).cloned()
}

fn resolve(url: Option<&str>, env: &[(&str, &str)], block: &ConnectionBlock) -> ConnectionSettings {
    ConnectionSettings::resolve(url, &env_of(env), block).unwrap()
}

fn resolve_err(url: Option<&str>, env: &[(&str, &str)], block: &ConnectionBlock) -> String {
    ConnectionSettings::resolve(url, &env_of(env), block)
        .unwrap_err()
        .to_string()
}

fn block() -> ConnectionBlock {
    ConnectionBlock {
        host: Some("block-host".into()),
        port: Some(6000),
        user: Some("block_user".into()),
        password: Some(Secret::new("block-pw")),
        dbname: Some("block_db".into()),
        sslmode: Some("verify-full".into()),
        sslrootcert: Some("/block/ca.crt".into()),
        sslcert: Some("/block/client.crt".into()),
        sslkey: Some("/block/client.key".into()),
    }
}

#[test]
fn defaults_follow_libpq() {
    let s = resolve(None, &[], &ConnectionBlock::default());
    let expected_host = if Path::new("/var/run/postgresql").is_dir() {
        "/var/run/postgresql"
    } else {
        "/tmp"
    };
    assert_eq!(s.host, expected_host);
    assert_eq!(s.port, 5432);
    let os_user = os::current_user().unwrap().name;
    assert_eq!(s.user, os_user);
    assert_eq!(s.dbname, os_user, "dbname defaults to the user name");
    assert_eq!(s.sslmode, SslMode::Prefer);
    assert_eq!(s.password, None);
    assert_eq!(s.sslrootcert, None);
}

#[test]
fn block_is_used_when_nothing_else_is_set() {
    let s = resolve(None, &[], &block());
    assert_eq!(s.host, "block-host");
    assert_eq!(s.port, 6000);
    assert_eq!(s.user, "block_user");
    assert_eq!(s.password.as_ref().map(Secret::expose), Some("block-pw"));
    assert_eq!(s.dbname, "block_db");
    assert_eq!(s.sslmode, SslMode::VerifyFull);
    assert_eq!(s.sslrootcert.as_deref(), Some(Path::new("/block/ca.crt")));
    assert_eq!(s.sslcert.as_deref(), Some(Path::new("/block/client.crt")));
    assert_eq!(s.sslkey.as_deref(), Some(Path::new("/block/client.key")));
}

#[test]
fn client_certificates_and_hostaddr_follow_libpq_precedence() {
    let env = [
        ("PGSSLCERT", "/env/c.crt"),
        ("PGSSLKEY", "/env/c.key"),
        ("PGHOSTADDR", "10.0.0.1"),
    ];
    let s = resolve(None, &env, &block());
    assert_eq!(s.sslcert.as_deref(), Some(Path::new("/env/c.crt")));
    assert_eq!(s.sslkey.as_deref(), Some(Path::new("/env/c.key")));
    assert_eq!(s.hostaddr, Some("10.0.0.1".parse().unwrap()));
    let s = resolve(
        Some("host=db.example.com hostaddr=::1 sslcert=/u/c.crt sslkey=/u/c.key"),
        &env,
        &block(),
    );
    assert_eq!(s.host, "db.example.com");
    assert_eq!(s.hostaddr, Some("::1".parse().unwrap()));
    assert_eq!(s.sslcert.as_deref(), Some(Path::new("/u/c.crt")));
    assert_eq!(s.sslkey.as_deref(), Some(Path::new("/u/c.key")));
}

#[test]
fn env_beats_block_and_url_beats_env() {
    let env = [
        ("PGHOST", "env-host"),
        ("PGPORT", "6001"),
        ("PGUSER", "env_user"),
        ("PGPASSWORD", "env-pw"),
        ("PGDATABASE", "env_db"),
        ("PGSSLMODE", "require"),
        ("PGSSLROOTCERT", "/env/ca.crt"),
    ];
    let s = resolve(None, &env, &block());
    assert_eq!(
        (s.host.as_str(), s.port, s.user.as_str(), s.dbname.as_str()),
        ("env-host", 6001, "env_user", "env_db")
    );
    assert_eq!(s.password.as_ref().map(Secret::expose), Some("env-pw"));
    assert_eq!(s.sslmode, SslMode::Require);
    assert_eq!(s.sslrootcert.as_deref(), Some(Path::new("/env/ca.crt")));

    // The URL sets some values; the others still come from env, then block.
    let s = resolve(Some("postgres://url_user@url-host/url_db"), &env, &block());
    assert_eq!(
        (s.host.as_str(), s.port, s.user.as_str(), s.dbname.as_str()),
        ("url-host", 6001, "url_user", "url_db")
    );
    assert_eq!(s.password.as_ref().map(Secret::expose), Some("env-pw"));
    assert_eq!(s.sslmode, SslMode::Require);

    let s = resolve(Some("postgres://url-host?sslmode=disable"), &[], &block());
    assert_eq!((s.port, s.user.as_str()), (6000, "block_user"));
    assert_eq!(s.sslmode, SslMode::Disable);
}

#[test]
fn empty_env_values_count_as_unset() {
    let s = resolve(None, &[("PGHOST", ""), ("PGPORT", "")], &block());
    assert_eq!((s.host.as_str(), s.port), ("block-host", 6000));
}

#[test]
fn urls_are_percent_decoded() {
    let s = resolve(
        Some(
            "postgresql://us%40er:p%40ss%3Aw%2Fd@db.example.com:5433/my%20db?sslmode=verify-ca&sslrootcert=%2Fetc%2Fca.pem",
        ),
        &[],
        &ConnectionBlock::default(),
    );
    assert_eq!(s.user, "us@er");
    assert_eq!(s.password.as_ref().map(Secret::expose), Some("p@ss:w/d"));
    assert_eq!((s.host.as_str(), s.port), ("db.example.com", 5433));
    assert_eq!(s.dbname, "my db");
    assert_eq!(s.sslmode, SslMode::VerifyCa);
    assert_eq!(s.sslrootcert.as_deref(), Some(Path::new("/etc/ca.pem")));
}

#[test]
fn url_hosts_ipv6_sockets_and_lists() {
    let none = ConnectionBlock::default();
    let s = resolve(Some("postgres://u@[::1]:5434/d"), &[], &none);
    assert_eq!((s.host.as_str(), s.port), ("::1", 5434));
    assert_eq!(s.redacted_target(), "u@[::1]:5434/d");

    let s = resolve(Some("postgres://u@[2001:db8::7]/d"), &[], &none);
    assert_eq!((s.host.as_str(), s.port), ("2001:db8::7", 5432));

    let s = resolve(Some("postgres://%2Ftmp%2Fpg/d?user=u"), &[], &none);
    assert_eq!(s.host, "/tmp/pg");
    let s = resolve(
        Some("postgres:///d?host=/var/lib/pg&port=7000&user=u"),
        &[],
        &none,
    );
    assert_eq!(
        (s.host.as_str(), s.port, s.dbname.as_str()),
        ("/var/lib/pg", 7000, "d")
    );

    let s = resolve(Some("postgres://u@h1:5440,h2:5440,[::1]/d"), &[], &none);
    assert_eq!((s.host.as_str(), s.port), ("h1,h2,::1", 5440));
    assert_eq!(s.hosts().collect::<Vec<_>>(), ["h1", "h2", "::1"]);
}

#[test]
fn url_errors_name_the_source() {
    let none = ConnectionBlock::default();
    let e = resolve_err(Some("postgres://u@h:abc/d"), &[], &none);
    assert!(e.contains("--database-url: invalid port \"abc\""), "{e}");
    let e = resolve_err(Some("postgres://u@h:99999/d"), &[], &none);
    assert!(e.contains("invalid port \"99999\""), "{e}");
    let e = resolve_err(Some("postgres://h1:1,h2:2/d"), &[], &none);
    assert!(e.contains("different ports"), "{e}");
    let e = resolve_err(Some("postgres://h/d?sslmode=sometimes"), &[], &none);
    assert!(e.contains("invalid sslmode \"sometimes\""), "{e}");
    let e = resolve_err(Some("postgres://h/d?sslcrl=/x"), &[], &none);
    assert!(
        e.contains("unsupported connection parameter \"sslcrl\""),
        "{e}"
    );
    let e = resolve_err(Some("postgres://h/d?hostaddr=db.local"), &[], &none);
    assert!(
        e.contains("hostaddr \"db.local\" is not an IP address"),
        "{e}"
    );
    let e = resolve_err(Some("postgres://[::1/d"), &[], &none);
    assert!(e.contains("IPv6"), "{e}");
    let e = resolve_err(Some("mysql://h/d"), &[], &none);
    assert!(e.contains("expected a postgres:// URL"), "{e}");
    // A bad escape in the password is reported without the password.
    let e = resolve_err(Some("postgres://u:hunter%zz@h/d"), &[], &none);
    assert!(
        e.contains("percent-encoding in the password") && !e.contains("hunter"),
        "{e}"
    );
    // Ignored libpq parameters are accepted.
    let s = resolve(
        Some("postgres://u@h/d?application_name=x&connect_timeout=5"),
        &[],
        &none,
    );
    assert_eq!(s.host, "h");
}

#[test]
fn env_and_block_errors_name_the_source() {
    let none = ConnectionBlock::default();
    let e = resolve_err(None, &[("PGPORT", "abc")], &none);
    assert_eq!(
        e,
        "invalid connection setting: PGPORT: invalid port \"abc\""
    );
    let e = resolve_err(None, &[("PGSSLMODE", "on")], &none);
    assert!(e.contains("PGSSLMODE: invalid sslmode \"on\""), "{e}");
    let bad = ConnectionBlock {
        sslmode: Some("strict".into()),
        ..ConnectionBlock::default()
    };
    let e = resolve_err(None, &[], &bad);
    assert!(
        e.contains("connection block: invalid sslmode \"strict\""),
        "{e}"
    );
}

#[test]
fn keyword_value_strings() {
    let s = resolve(
        Some(
            " host = db.local port=5433 user=app dbname='my db' password='it\\'s \\\\ secret' sslmode=verify-full ",
        ),
        &[],
        &ConnectionBlock::default(),
    );
    assert_eq!(
        (s.host.as_str(), s.port, s.user.as_str()),
        ("db.local", 5433, "app")
    );
    assert_eq!(s.dbname, "my db");
    assert_eq!(
        s.password.as_ref().map(Secret::expose),
        Some("it's \\ secret")
    );
    assert_eq!(s.sslmode, SslMode::VerifyFull);

    let none = ConnectionBlock::default();
    let e = resolve_err(Some("host=h password='sekrit"), &[], &none);
    assert!(e.contains("unterminated") && !e.contains("sekrit"), "{e}");
    let e = resolve_err(Some("host=h hunter2 x=1"), &[], &none);
    assert!(e.contains("lacks \"=\"") && !e.contains("hunter2"), "{e}");
    let e = resolve_err(Some("host=h port=0"), &[], &none);
    assert!(e.contains("invalid port \"0\""), "{e}");
}

#[test]
fn allow_becomes_prefer() {
    let s = resolve(None, &[("PGSSLMODE", "allow")], &ConnectionBlock::default());
    assert_eq!(s.sslmode, SslMode::Prefer);
}

fn passfile(contents: &str, mode: u32) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(contents.as_bytes()).unwrap();
    std::fs::set_permissions(f.path(), std::fs::Permissions::from_mode(mode)).unwrap();
    f
}

#[test]
fn password_file_is_consulted_only_without_a_password() {
    let f = passfile("db:5432:app:alice:from-file\n", 0o600);
    let path = f.path().to_str().unwrap();
    let none = ConnectionBlock::default();
    let env = [("PGPASSFILE", path)];
    let s = resolve(Some("postgres://alice@db/app"), &env, &none);
    assert_eq!(s.password.as_ref().map(Secret::expose), Some("from-file"));

    let s = resolve(Some("postgres://alice:given@db/app"), &env, &none);
    assert_eq!(s.password.as_ref().map(Secret::expose), Some("given"));

    // The URL's passfile parameter beats PGPASSFILE.
    let other = passfile("*:*:*:*:other\n", 0o600);
    let url = format!(
        "postgres://alice@db/app?passfile={}",
        other.path().display()
    );
    let s = resolve(Some(&url), &env, &none);
    assert_eq!(s.password.as_ref().map(Secret::expose), Some("other"));

    // Too open: ignored.
    let open = passfile("*:*:*:*:other\n", 0o644);
    let env = [("PGPASSFILE", open.path().to_str().unwrap())];
    let s = resolve(Some("postgres://alice@db/app"), &env, &none);
    assert_eq!(s.password, None);
}

#[test]
fn password_file_defaults_to_home_pgpass() {
    let home = tempfile::tempdir().unwrap();
    let pgpass = home.path().join(".pgpass");
    std::fs::write(&pgpass, "localhost:*:*:bob:socket-pw\n").unwrap();
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let env = [("HOME", home.path().to_str().unwrap())];
    let s = resolve(
        Some("postgres://bob@%2Ftmp/x"),
        &env,
        &ConnectionBlock::default(),
    );
    assert_eq!(s.password.as_ref().map(Secret::expose), Some("socket-pw"));
}

#[test]
fn redaction_never_shows_the_password() {
    let s = resolve(
        Some("postgres://postgres:hunter2@127.0.0.1:5432/postgres"),
        &[],
        &ConnectionBlock::default(),
    );
    assert_eq!(s.redacted_target(), "postgres@127.0.0.1:5432/postgres");
    let debug = format!("{s:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(
        debug.contains("(sensitive)") && debug.contains("127.0.0.1"),
        "{debug}"
    );
    let other = s.with_dbname("app");
    assert_eq!(other.dbname, "app");
    assert_eq!(other.password, s.password);
    assert_eq!(other.redacted_target(), "postgres@127.0.0.1:5432/app");
    assert!(!format!("{other:?}{}", other.redacted_target()).contains("hunter2"));
}

#[test]
fn sslmode_spellings_round_trip() {
    for mode in [
        SslMode::Disable,
        SslMode::Prefer,
        SslMode::Require,
        SslMode::VerifyCa,
        SslMode::VerifyFull,
    ] {
        assert_eq!(mode.to_string().parse::<SslMode>(), Ok(mode));
    }
}

/// A fleet server's own fields win; the libpq environment gives
/// credentials but never which server; the block fills the rest.
#[test]
fn a_fleet_server_takes_credentials_but_not_the_target_from_the_environment() {
    let server = ConnectionBlock {
        host: Some("db7.internal".into()),
        ..ConnectionBlock::default()
    };
    let env = env_of(&[
        ("PGHOST", "env-host"),
        ("PGPORT", "7000"),
        ("PGDATABASE", "env_db"),
        ("PGUSER", "env_user"),
        ("PGPASSWORD", "env-pw"),
        ("PGCONNECT_TIMEOUT", "4"),
    ]);
    let settings = ConnectionSettings::resolve_for_server(&server, &env, &block()).unwrap();
    assert_eq!(settings.host, "db7.internal");
    assert_eq!(settings.port, 6000);
    assert_eq!(settings.dbname, "block_db");
    assert_eq!(settings.user, "env_user");
    assert_eq!(settings.password.as_ref().map(Secret::expose), Some("env-pw"));
    assert_eq!(settings.connect_timeout, Some(std::time::Duration::from_secs(4)));
    let own = ConnectionBlock {
        user: Some("own_user".into()),
        port: Some(5433),
        ..server
    };
    let settings = ConnectionSettings::resolve_for_server(&own, &env, &block()).unwrap();
    assert_eq!((settings.user.as_str(), settings.port), ("own_user", 5433));
}

#[test]
fn connect_timeout_comes_from_the_url_or_pgconnect_timeout() {
    let none = ConnectionBlock::default();
    let from_url = resolve(Some("postgres://h/db?connect_timeout=7"), &[], &none);
    assert_eq!(from_url.connect_timeout, Some(std::time::Duration::from_secs(7)));
    let zero = resolve(None, &[("PGCONNECT_TIMEOUT", "0")], &none);
    assert_eq!(zero.connect_timeout, None);
    let bad = resolve_err(None, &[("PGCONNECT_TIMEOUT", "soon")], &none);
    assert!(bad.contains("connect_timeout \"soon\" is not a number of seconds"), "{bad}");
}
