use std::collections::BTreeMap;
use std::path::PathBuf;

use super::*;
use crate::model::PgBouncerDatabase;

fn options(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn sample() -> PgBouncer {
    let mut databases = BTreeMap::new();
    databases.insert(
        "myapp".to_owned(),
        PgBouncerDatabase {
            dbname: "myapp".to_owned(),
            options: options(&[
                ("pool_size", "20"),
                ("pool_mode", "session"),
                ("port", "5432"),
                ("host", "127.0.0.1"),
            ]),
        },
    );
    databases.insert(
        "reports".to_owned(),
        PgBouncerDatabase {
            dbname: "reports db".to_owned(),
            options: options(&[
                ("host", "/var/run/postgresql"),
                ("connect_query", "SET search_path = 'app'"),
            ]),
        },
    );
    PgBouncer {
        name: "main".to_owned(),
        config_dir: PathBuf::from("/etc/pgbouncer"),
        admin_url: Some(Secret::new(
            "postgres://admin:hunter2@127.0.0.1:6432/pgbouncer",
        )),
        auth: PgBouncerAuth::File,
        users: vec!["app_user".to_owned()],
        settings: options(&[
            ("pool_mode", "transaction"),
            ("max_client_conn", "1000"),
            ("listen_port", "6432"),
            ("auth_type", "scram-sha-256"),
            ("log_stats", "0"),
            ("query_wait_timeout", "120"),
        ]),
        databases,
        tls: None,
    }
}

fn ini(pgbouncer: &PgBouncer) -> Result<String, UnsafeValue> {
    render_ini(pgbouncer, Path::new("/etc/pgbouncer/userlist.txt"))
}

#[test]
fn ini_is_sorted_quoted_and_never_holds_the_admin_password() {
    let text = ini(&sample()).unwrap();
    assert!(!text.contains("hunter2"));
    insta::assert_snapshot!(text);
}

#[test]
fn ini_with_auth_query_names_the_lookup() {
    let mut pgbouncer = sample();
    pgbouncer.auth = PgBouncerAuth::Query {
        auth_user: "pgbouncer_auth".to_owned(),
    };
    pgbouncer.databases.clear();
    insta::assert_snapshot!(ini(&pgbouncer).unwrap());
}

/// A change that makes a model unsafe to render.
type Change = fn(&mut PgBouncer);

#[test]
fn the_renderer_refuses_what_would_break_the_file() {
    let cases: [(&str, Change); 7] = [
        ("newline in a setting", |p| {
            p.settings
                .insert("logfile".into(), "x\n[databases]\nevil = host=x".into());
        }),
        ("bad key", |p| {
            p.settings.insert("a = b\nc".into(), "1".into());
        }),
        ("owned key", |p| {
            p.settings.insert("auth_file".into(), "/tmp/x".into());
        }),
        ("section in a database name", |p| {
            let db = p.databases["myapp"].clone();
            p.databases.insert("]x[".into(), db);
        }),
        ("equals sign in a database name", |p| {
            let db = p.databases["myapp"].clone();
            p.databases.insert("a=b".into(), db);
        }),
        ("newline in an option", |p| {
            if let Some(db) = p.databases.get_mut("myapp") {
                db.dbname = "x\ny = host=evil".into();
            }
        }),
        ("empty option", |p| {
            if let Some(db) = p.databases.get_mut("myapp") {
                db.options.insert("user".into(), String::new());
            }
        }),
    ];
    for (what, change) in cases {
        let mut pgbouncer = sample();
        change(&mut pgbouncer);
        assert!(ini(&pgbouncer).is_err(), "{what}");
    }
}

#[test]
fn connstring_values_are_quoted_when_needed() {
    assert_eq!(connstring_value("127.0.0.1").unwrap(), "127.0.0.1");
    assert_eq!(connstring_value("a b").unwrap(), "'a b'");
    assert_eq!(connstring_value("it's").unwrap(), "'it''s'");
    assert_eq!(
        connstring_value("x host=evil").unwrap(),
        "'x host=evil'",
        "an option cannot smuggle in another"
    );
    assert!(connstring_value("").is_err());
    assert!(connstring_value("a\rb").is_err());
}

#[test]
fn userlist_doubles_quotes_and_holds_only_verifiers() {
    let verifier = crate::password::verifier_with(&Secret::new("pw"), b"0123456789abcdef", 1);
    let text = render_userlist(&[
        ("zed".to_owned(), Secret::new(verifier.clone())),
        ("say \"hi\"".to_owned(), Secret::new(verifier.clone())),
    ])
    .unwrap();
    insta::assert_snapshot!(text);
    let clear = render_userlist(&[("app".to_owned(), Secret::new("hunter2"))]).unwrap_err();
    assert!(!clear.to_string().contains("hunter2"), "{clear}");
    let md5 = Secret::new("md5d41d8cd98f00b204e9800998ecf8427e");
    assert!(render_userlist(&[("app".to_owned(), md5)]).is_err());
    let spliced = Secret::new(format!("{verifier}\"\n\"root\" \"x"));
    assert!(render_userlist(&[("app".to_owned(), spliced)]).is_err());
    let newline = Secret::new(verifier.clone());
    assert!(render_userlist(&[("a\nb".to_owned(), newline)]).is_err());
    let twice = [
        ("a".to_owned(), Secret::new(verifier.clone())),
        ("a".to_owned(), Secret::new(verifier)),
    ];
    assert!(render_userlist(&twice).is_err());
}
