//! `pgbouncer` blocks: decoding, normalised values, located errors for
//! bad names and values, and values that would break the files.

use super::{error_of, load_text, refused};
use crate::model::PgBouncerAuth;

const ROLES: &str = r#"
role "app_user" {
  login    = true
  password = "app-secret"
}
role "reporting" {
  login    = true
  password = "rep-secret"
}
role "nologin" {}
role "kept" {
  login         = true
  keep_password = true
}
"#;

/// `ROLES` then `block` (so `block` starts on line 15).
fn with_roles(block: &str) -> String {
    format!("{ROLES}{block}")
}

/// A pgbouncer block holding `body` after a valid config_dir and users;
/// its first body line is line 18.
fn block(body: &str) -> String {
    with_roles(&format!(
        "pgbouncer \"main\" {{\n  config_dir = \"/etc/pgbouncer\"\n  users = [\"app_user\"]\n{body}\n}}\n"
    ))
}

#[test]
fn a_full_block_decodes_to_normalised_values() {
    let text = with_roles(
        r#"
pgbouncer "main" {
  config_dir = "pgb"
  admin_url  = "postgres://pgbouncer_admin:pw@127.0.0.1:6432/pgbouncer"
  users      = ["reporting", "app_user"]
  settings = {
    pool_mode          = "transaction"
    max_client_conn    = 1000
    listen_addr        = ["127.0.0.1", "::1"]
    log_stats          = false
    server_fast_close  = 1
    query_wait_timeout = 120
    query_timeout      = 0.5
    unix_socket_mode   = "0770"
  }
  database "myapp" {
    host      = "127.0.0.1"
    port      = 5432
    pool_size = 20
    pool_mode = "session"
  }
  database "reports" {
    dbname        = "reports db"
    connect_query = "SET search_path = app"
  }
}
"#,
    );
    let config = load_text(&text).unwrap();
    let pgbouncer = &config.desired.pgbouncers["main"];
    assert!(pgbouncer.config_dir.ends_with("pgb"));
    assert!(pgbouncer.config_dir.is_absolute(), "resolved");
    assert_eq!(pgbouncer.users, ["app_user", "reporting"]);
    assert_eq!(pgbouncer.auth, PgBouncerAuth::File);
    let settings: Vec<(&str, &str)> = pgbouncer
        .settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        settings,
        [
            ("auth_type", "scram-sha-256"),
            ("listen_addr", "127.0.0.1,::1"),
            ("log_stats", "0"),
            ("max_client_conn", "1000"),
            ("pool_mode", "transaction"),
            ("query_timeout", "0.5"),
            ("query_wait_timeout", "120"),
            ("server_fast_close", "1"),
            ("unix_socket_mode", "0770"),
        ]
    );
    assert_eq!(pgbouncer.databases["myapp"].dbname, "myapp");
    assert_eq!(pgbouncer.databases["myapp"].options["pool_size"], "20");
    assert_eq!(pgbouncer.databases["reports"].dbname, "reports db");
    let debug = format!("{pgbouncer:?}");
    assert!(
        !debug.contains(":pw@"),
        "the admin URL is a secret: {debug}"
    );
    let json = serde_json::to_string(&config.desired).unwrap();
    assert!(!json.contains(":pw@"), "{json}");
}

#[test]
fn auth_query_needs_an_auth_user_and_no_users() {
    let text = with_roles(
        "pgbouncer \"q\" {\n  config_dir = \"/etc/pgbouncer\"\n  auth = \"query\"\n  auth_user = \"app_user\"\n}\n",
    );
    let config = load_text(&text).unwrap();
    let pgbouncer = &config.desired.pgbouncers["q"];
    assert!(pgbouncer.users.is_empty());
    assert_eq!(pgbouncer.auth_file_roles(), ["app_user"]);
    refused(
        &with_roles("pgbouncer \"q\" {\n  config_dir = \"/x\"\n  auth = \"query\"\n}\n"),
        "17:10: auth = \"query\" needs auth_user, the role PgBouncer looks passwords up as",
        Some("write auth_user = \"pgbouncer_auth\" (a declared login role with a password)"),
    );
    refused(
        &with_roles("pgbouncer \"q\" {\n  config_dir = \"/x\"\n  auth = \"qeury\"\n}\n"),
        "17:10: invalid auth \"qeury\", expected one of: file, query",
        Some("did you mean \"query\"?"),
    );
    refused(
        &block("  auth_user = \"app_user\""),
        "18:15: auth_user is only used with auth = \"query\"",
        Some("remove auth_user, or set auth = \"query\""),
    );
}

#[test]
fn structural_errors_are_located() {
    refused(
        &with_roles("pgbouncer \"main\" {\n  users = [\"app_user\"]\n}\n"),
        "15:1: missing attribute \"config_dir\" in pgbouncer \"main\"",
        Some("write config_dir = \"/etc/pgbouncer\""),
    );
    refused(
        &with_roles("pgbouncer \"main\" {\n  config_dir = \"/x\"\n}\n"),
        "15:1: missing attribute \"users\" in pgbouncer \"main\"",
        Some("write users = [\"app_user\"] (login roles with a password)"),
    );
    refused(
        &block("  pool_mode = \"session\""),
        "18:3: unknown attribute \"pool_mode\" in pgbouncer \"main\", expected one of: config_dir, admin_url, auth, auth_user, users, settings",
        None,
    );
    refused(
        &block("  setings = {}"),
        "18:3: unknown attribute \"setings\" in pgbouncer \"main\", expected one of: config_dir, admin_url, auth, auth_user, users, settings",
        Some("did you mean \"settings\"?"),
    );
    refused(
        &with_roles(
            "pgbouncer \"my main\" {\n  config_dir = \"/x\"\n  users = [\"app_user\"]\n}\n",
        ),
        "15:11: pgbouncer name \"my main\" must be 1 to 63 letters, digits, '_' or '-'",
        Some("write: pgbouncer \"main\" { ... }"),
    );
    let twice = format!(
        "{}{}",
        block(""),
        "pgbouncer \"main\" {\n  config_dir = \"/y\"\n  users = [\"app_user\"]\n}\n"
    );
    let (error, _) = error_of(&twice);
    assert!(
        error.starts_with("20:11: pgbouncer \"main\" is already declared at "),
        "{error}"
    );
    let (error, _) = error_of(&block(
        "  database \"a\" {\n    host = \"x\"\n  }\n  database \"a\" {\n    host = \"y\"\n  }",
    ));
    assert!(
        error.starts_with("21:12: database \"a\" is already declared in pgbouncer \"main\" at "),
        "{error}"
    );
}

#[test]
fn settings_are_checked_against_pgbouncers_parameters() {
    let setting = |line: &str| block(&format!("  settings = {{\n    {line}\n  }}"));
    let (error, hint) = error_of(&setting("pool_mdoe = \"session\""));
    assert!(
        error.starts_with("19:5: unknown setting \"pool_mdoe\" in settings of pgbouncer \"main\", expected one of: admin_users, "),
        "{error}"
    );
    assert_eq!(hint.as_deref(), Some("did you mean \"pool_mode\"?"));
    refused(
        &setting("pool_mode = \"sesion\""),
        "19:17: settings.pool_mode: invalid value \"sesion\", expected one of: session, transaction, statement",
        Some("did you mean \"session\"?"),
    );
    refused(
        &setting("max_client_conn = \"many\""),
        "19:23: settings.max_client_conn: expected a whole number between 1 and 2147483647",
        None,
    );
    refused(
        &setting("log_stats = \"yes\""),
        "19:17: settings.log_stats: expected a bool (true or false, or 0 or 1)",
        None,
    );
    refused(
        &setting("server_idle_timeout = \"10min\""),
        "19:27: settings.server_idle_timeout: expected a number of seconds (fractions allowed) from 0 to 2147483647",
        None,
    );
    refused(
        &setting("unix_socket_mode = 770"),
        "19:24: settings.unix_socket_mode: expected an octal file mode as a string, e.g. \"0770\"",
        Some("write the mode as a string: \"0770\""),
    );
    refused(
        &setting("auth_file = \"/tmp/users\""),
        "19:5: auth_file cannot be set in settings: pgfort writes the auth file (config_dir/userlist.txt) and points auth_file at it",
        Some("remove auth_file from settings of pgbouncer \"main\""),
    );
    let (error, _) = error_of(&setting("auth_query = \"SELECT 1\""));
    assert!(
        error.starts_with("19:5: auth_query cannot be set in settings"),
        "{error}"
    );
    refused(
        &setting("auth_type = \"hba\""),
        "19:17: auth_type hba reads its rules from auth_hba_file, which settings do not set",
        Some("add auth_hba_file = \"/etc/pgbouncer/pgbouncer_hba.conf\" to settings"),
    );
}

#[test]
fn database_options_are_checked() {
    let database = |body: &str| block(&format!("  database \"myapp\" {{\n    {body}\n  }}"));
    let (error, hint) = error_of(&database("hots = \"x\""));
    assert!(
        error.starts_with("19:5: unknown attribute \"hots\" in database \"myapp\" of pgbouncer \"main\", expected one of: application_name, "),
        "{error}"
    );
    assert_eq!(hint.as_deref(), Some("did you mean \"host\"?"));
    refused(
        &database("port = 0"),
        "19:12: port: expected a whole number between 1 and 65535, got 0",
        None,
    );
    refused(
        &database("pool_mode = \"transacton\""),
        "19:17: pool_mode: invalid value \"transacton\", expected one of: session, transaction, statement",
        Some("did you mean \"transaction\"?"),
    );
    let (error, hint) = error_of(&database("password = \"x\""));
    assert!(
        error.starts_with("19:5: database \"myapp\" of pgbouncer \"main\" cannot take a password"),
        "{error}"
    );
    assert!(hint.unwrap().contains("auth file"));
    refused(
        &database("user = \"\""),
        "19:12: user: a connection option cannot be empty",
        None,
    );
    let (error, _) = error_of(&block("  database {\n    host = \"x\"\n  }"));
    assert!(
        error.starts_with("18:3: a database block of pgbouncer \"main\" takes one label"),
        "{error}"
    );
}

/// Values that would add a line, a section or an option to pgbouncer.ini
/// are refused where they are written.
#[test]
fn injection_attempts_are_refused_where_written() {
    let setting = |line: &str| block(&format!("  settings = {{\n    {line}\n  }}"));
    let (error, _) = error_of(&setting(
        "logfile = \"/tmp/x\\n[databases]\\nevil = host=attacker\"",
    ));
    assert!(
        error.starts_with(
            "19:15: settings.logfile: a value cannot hold the control character '\\n'"
        ),
        "{error}"
    );
    let (error, _) = error_of(&setting(
        "server_reset_query = \"DISCARD ALL\\rauth_type = trust\"",
    ));
    assert!(
        error.starts_with(
            "19:26: settings.server_reset_query: a value cannot hold the control character '\\r'"
        ),
        "{error}"
    );
    let (error, _) = error_of(&setting("admin_users = [\"a\\nb\"]"));
    assert!(
        error.starts_with("19:19: settings.admin_users: a value cannot hold"),
        "{error}"
    );
    let (error, _) = error_of(&setting("admin_users = [\"a,b\"]"));
    assert!(error.contains("holds a comma"), "{error}");
    let (error, _) = error_of(&setting("\"auth_type = trust\\n[x]\" = 1"));
    assert!(error.starts_with("19:5: unknown setting"), "{error}");

    let database = |label: &str| {
        block(&format!(
            "  database \"{label}\" {{\n    host = \"127.0.0.1\"\n  }}"
        ))
    };
    for (label, column) in [
        ("a=b", 12),
        ("]x[", 12),
        ("[pgbouncer]", 12),
        ("pgbouncer", 12),
    ] {
        let (error, hint) = error_of(&database(label));
        assert!(
            error.starts_with(&format!("18:{column}: ")),
            "{label}: {error}"
        );
        assert!(error.contains("pgbouncer"), "{label}: {error}");
        if label != "pgbouncer" {
            assert!(hint.unwrap().contains("dbname"), "{label}");
        }
    }
    let option = |body: &str| block(&format!("  database \"myapp\" {{\n    {body}\n  }}"));
    let (error, _) = error_of(&option("dbname = \"x\\n[pgbouncer]\\nauth_type = trust\""));
    assert!(
        error.starts_with("19:14: dbname: a value cannot hold the control character"),
        "{error}"
    );
    let (error, _) = error_of(&option("host = \"x\\u0000\""));
    assert!(
        error.starts_with("19:12: host: a value cannot hold the control character"),
        "{error}"
    );
    let (error, _) = error_of(&with_roles(
        "pgbouncer \"main\" {\n  config_dir = \"/x\"\n  users = [\"a\\nb\"]\n}\n",
    ));
    assert!(
        error.starts_with("17:12: users: a value cannot hold"),
        "{error}"
    );
    let (error, _) = error_of(&with_roles(
        "pgbouncer \"main\" {\n  config_dir = \"/x\\n[databases]\"\n  users = [\"app_user\"]\n}\n",
    ));
    assert!(
        error.starts_with("16:16: config_dir: a value cannot hold"),
        "{error}"
    );
    // Quotes and spaces in a database's options are quoted, not spliced.
    let config = load_text(&option("dbname = \"x host=attacker\"")).unwrap();
    assert_eq!(
        config.desired.pgbouncers["main"].databases["myapp"].dbname,
        "x host=attacker"
    );
}

#[test]
fn auth_file_users_are_declared_login_roles_with_a_password() {
    let users = |list: &str| {
        with_roles(&format!(
            "pgbouncer \"main\" {{\n  config_dir = \"/x\"\n  users = {list}\n}}\n"
        ))
    };
    refused(
        &users("[\"app_usr\"]"),
        "17:12: role \"app_usr\" is not declared; pgbouncer \"main\" puts it in its auth file",
        Some("did you mean \"app_user\"?"),
    );
    let (error, hint) = error_of(&users("[\"nologin\"]"));
    assert_eq!(
        error,
        "17:12: role \"nologin\" cannot log in, so pgbouncer \"main\" cannot admit it"
    );
    assert!(
        hint.unwrap()
            .starts_with("set login = true in role \"nologin\" (declared at ")
    );
    let (error, _) = error_of(&users("[\"kept\"]"));
    assert_eq!(
        error,
        "17:12: role \"kept\" cannot go into the auth file of pgbouncer \"main\": keep_password = true leaves its password unknown to pgfort"
    );
    refused(
        &users("[\"app_user\", \"app_user\"]"),
        "17:24: \"app_user\" appears twice in users",
        None,
    );
    refused(
        &users("[]"),
        "17:11: users cannot be empty with auth = \"file\": the auth file would admit nobody",
        Some("list the login roles PgBouncer admits, or set auth = \"query\""),
    );
    let (error, _) = error_of(&with_roles(
        "pgbouncer \"q\" {\n  config_dir = \"/x\"\n  auth = \"query\"\n  auth_user = \"ghost\"\n}\n",
    ));
    assert!(
        error.starts_with("18:15: role \"ghost\" is not declared"),
        "{error}"
    );
}

#[test]
fn only_in_the_root_configuration() {
    let dir = super::dir_with(&[("main.hcl", "module \"m\" {\n  source = \"./m\"\n}\n")]);
    std::fs::create_dir(dir.path().join("m")).unwrap();
    std::fs::write(
        dir.path().join("m/main.hcl"),
        "pgbouncer \"main\" {\n  config_dir = \"/x\"\n  users = []\n}\n",
    )
    .unwrap();
    let err = super::load_in(dir.path(), &Default::default(), super::env(&[])).unwrap_err();
    assert!(
        err.message
            .starts_with("a pgbouncer block is only allowed in the root configuration"),
        "{err}"
    );
}

#[test]
fn client_tls_needs_a_key_pair() {
    let setting = |lines: &str| block(&format!("  settings = {{\n{lines}\n  }}"));
    refused(
        &setting("    client_tls_sslmode = \"require\"\n    client_tls_cert_file = \"/c.pem\""),
        "19:26: client_tls_sslmode needs a key pair, and settings do not set client_tls_key_file",
        Some(
            "set client_tls_key_file and client_tls_cert_file, or client_tls_sslmode = \"disable\"",
        ),
    );
    let config = load_text(&setting(
        "    client_tls_sslmode = \"require\"\n    client_tls_key_file = \"/k.pem\"\n    client_tls_cert_file = \"/c.pem\"",
    ))
    .unwrap();
    assert_eq!(
        config.desired.pgbouncers["main"].settings["client_tls_sslmode"],
        "require"
    );
    assert!(load_text(&setting("    client_tls_sslmode = \"disable\"")).is_ok());
}
