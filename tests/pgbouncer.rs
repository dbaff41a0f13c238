//! PgBouncer end to end, against a real PgBouncer in front of a real
//! cluster: the files written from empty and reloaded, logins through
//! PgBouncer with the verifiers the server holds, a password change, hand
//! edits shown as diffs without verifiers, a bad value that changes
//! nothing, and an unreachable console after which both files are put
//! back byte for byte.

mod common;

use common::pgbouncer::{ADMIN_PASSWORD, ADMIN_USER, PgBouncer, skip_unless_installed};
use common::{TestCluster, workdir, write_files};

/// The configuration: an admin role, an application role with
/// `password`, its database, and PgBouncer in front of it.
fn config(cluster: &TestCluster, bouncer: &PgBouncer, password: &str, admin_url: &str) -> String {
    format!(
        r#"
role "{ADMIN_USER}" {{
  login    = true
  password = "{ADMIN_PASSWORD}"
}}
role "app_user" {{
  login    = true
  password = "{password}"
}}
database "appdb" {{
  owner = "app_user"
}}
pgbouncer "main" {{
  config_dir = "{dir}"
  admin_url  = "{admin_url}"
  users      = ["app_user", "{ADMIN_USER}"]
  settings = {{
{settings}    auth_type = "scram-sha-256"
    pool_mode = "transaction"
  }}
  database "appdb" {{
    host = "127.0.0.1"
    port = {port}
  }}
}}
"#,
        dir = bouncer.dir().display(),
        settings = bouncer.base_settings(),
        port = cluster.port(),
    )
}

/// No verifier, nor the clear text of either password, in `text`.
fn assert_no_secret(text: &str) {
    for secret in ["SCRAM-SHA-256$", ADMIN_PASSWORD, "app-pass-1", "app-pass-2"] {
        assert!(!text.contains(secret), "{secret} leaked:\n{text}");
    }
}

#[test]
fn pgbouncer_files_apply_login_rotate_drift_and_restore() {
    if skip_unless_installed() {
        return;
    }
    let cluster = TestCluster::start();
    let bouncer = PgBouncer::start(&cluster);
    let dir = workdir();
    let url = bouncer.admin_url();
    write_files(
        dir.path(),
        &[("main.hcl", &config(&cluster, &bouncer, "app-pass-1", &url))],
    );

    // From empty: roles, database, then the files, reloaded.
    let first = cluster.plan_in(dir.path());
    assert_eq!(first.code, Some(2), "{first:?}");
    assert!(first.stdout.contains("pgbouncer"), "{}", first.stdout);
    assert_no_secret(&first.stdout);
    // A saved plan cannot carry the auth file's verifiers to apply.
    let saved = cluster.pgfort_in(dir.path(), &["plan", "-out", "saved.plan", "."]);
    assert!(!saved.success(), "{saved:?}");
    assert!(
        saved.stderr.contains("a saved plan cannot hold"),
        "{}",
        saved.stderr
    );
    assert!(!dir.path().join("saved.plan").exists());
    let applied = cluster.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}\n{}", bouncer.log());
    assert_no_secret(&applied.stdout);
    assert_no_secret(&applied.stderr);
    assert!(applied.stdout.contains("reloaded"), "{}", applied.stdout);
    let empty = cluster.plan_in(dir.path());
    assert_eq!(empty.code, Some(0), "{empty:?}");

    // The auth file holds exactly the server's verifier, mode 0600.
    let userlist = String::from_utf8(bouncer.file("userlist.txt")).unwrap();
    let stored = cluster
        .query_value("SELECT rolpassword FROM pg_authid WHERE rolname = 'app_user'")
        .unwrap();
    assert!(
        userlist.contains(&format!("\"app_user\" \"{stored}\"")),
        "{userlist}"
    );
    assert_eq!(bouncer.file_mode("userlist.txt"), 0o600);

    // The audit judges the declared PgBouncer from its files.
    let audit = cluster.pgfort_in(
        dir.path(),
        &[
            "audit",
            "--format",
            "json",
            "--controls",
            "ext-pgbouncer-auth-type,ext-pgbouncer-auth-file-mode,ext-pgbouncer-client-tls,ext-pgbouncer-admin-users",
            ".",
        ],
    );
    let report: serde_json::Value =
        serde_json::from_str(&audit.stdout).unwrap_or_else(|e| panic!("{e}: {audit:?}"));
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 4, "{}", audit.stdout);
    for finding in findings {
        assert_eq!(finding["status"], "pass", "{finding}");
    }
    assert_no_secret(&audit.stdout);

    // A login through PgBouncer, SCRAM on both sides.
    bouncer
        .select_one("appdb", "app_user", "app-pass-1")
        .unwrap_or_else(|e| panic!("login through PgBouncer: {e}\n{}", bouncer.log()));

    // A new password: the server and the auth file get the same verifier.
    write_files(
        dir.path(),
        &[("main.hcl", &config(&cluster, &bouncer, "app-pass-2", &url))],
    );
    let rotated = cluster.apply_in(dir.path());
    assert!(rotated.success(), "{rotated:?}\n{}", bouncer.log());
    assert_no_secret(&rotated.stdout);
    bouncer
        .select_one("appdb", "app_user", "app-pass-2")
        .unwrap_or_else(|e| panic!("new password through PgBouncer: {e}\n{}", bouncer.log()));
    assert!(
        bouncer
            .select_one("appdb", "app_user", "app-pass-1")
            .is_err(),
        "the old password no longer logs in"
    );
    let empty = cluster.plan_in(dir.path());
    assert_eq!(empty.code, Some(0), "{empty:?}");

    // Hand edits: each file's diff, and nothing secret.
    let ini_path = bouncer.dir().join("pgbouncer.ini");
    let ini = String::from_utf8(bouncer.file("pgbouncer.ini")).unwrap();
    std::fs::write(
        &ini_path,
        ini.replace("pool_mode = transaction", "pool_mode = session"),
    )
    .unwrap();
    let drift = cluster.plan_in(dir.path());
    assert_eq!(drift.code, Some(2), "{drift:?}");
    assert!(
        drift.stdout.contains("- pool_mode = session"),
        "{}",
        drift.stdout
    );
    assert!(
        drift.stdout.contains("+ pool_mode = transaction"),
        "{}",
        drift.stdout
    );
    assert!(!drift.stdout.contains("userlist.txt"), "{}", drift.stdout);
    assert_no_secret(&drift.stdout);
    let fixed = cluster.apply_in(dir.path());
    assert!(fixed.success(), "{fixed:?}");
    assert_eq!(bouncer.file("pgbouncer.ini"), ini.as_bytes());
    let empty = cluster.plan_in(dir.path());
    assert_eq!(empty.code, Some(0), "{empty:?}");

    let auth_path = bouncer.dir().join("userlist.txt");
    let userlist = bouncer.file("userlist.txt");
    let mut edited = userlist.clone();
    edited.extend_from_slice(b"\"intruder\" \"clear-text-pw\"\n");
    std::fs::write(&auth_path, &edited).unwrap();
    let drift = cluster.plan_in(dir.path());
    assert_eq!(drift.code, Some(2), "{drift:?}");
    assert!(drift.stdout.contains("userlist.txt"), "{}", drift.stdout);
    assert!(
        drift.stdout.contains("- \"intruder\" \"(sensitive)\""),
        "{}",
        drift.stdout
    );
    assert!(!drift.stdout.contains("clear-text-pw"), "{}", drift.stdout);
    assert!(!drift.stdout.contains("pool_mode"), "{}", drift.stdout);
    assert_no_secret(&drift.stdout);
    let fixed = cluster.apply_in(dir.path());
    assert!(fixed.success(), "{fixed:?}");
    assert_eq!(bouncer.file("userlist.txt"), userlist);
    assert!(
        std::fs::read(bouncer.dir().join("userlist.txt.pgfort-backup"))
            .unwrap()
            .ends_with(b"\"intruder\" \"clear-text-pw\"\n"),
        "the previous file is kept"
    );
    let empty = cluster.plan_in(dir.path());
    assert_eq!(empty.code, Some(0), "{empty:?}");

    // A bad value: refused before anything, both files untouched.
    let ini_before = bouncer.file("pgbouncer.ini");
    let auth_before = bouncer.file("userlist.txt");
    let bad = config(&cluster, &bouncer, "app-pass-3", &url).replace(
        "pool_mode = \"transaction\"",
        "pool_mode = \"transaction\"\n    no_such_setting = 1",
    );
    write_files(dir.path(), &[("main.hcl", &bad)]);
    let refused = cluster.apply_in(dir.path());
    assert!(!refused.success(), "{refused:?}");
    assert!(
        refused.stderr.contains("no_such_setting"),
        "{}",
        refused.stderr
    );
    assert_eq!(bouncer.file("pgbouncer.ini"), ini_before);
    assert_eq!(bouncer.file("userlist.txt"), auth_before);
    bouncer
        .select_one("appdb", "app_user", "app-pass-2")
        .expect("the password was not changed either");

    // An unreachable console: the apply fails, both files are put back.
    let wrong_url = url.replace(&format!(":{}/", bouncer.port()), ":1/");
    let mut changed = config(&cluster, &bouncer, "app-pass-2", &wrong_url);
    changed = changed.replace("pool_mode = \"transaction\"", "pool_mode = \"session\"");
    write_files(dir.path(), &[("main.hcl", &changed)]);
    let failed = cluster.apply_in(dir.path());
    assert!(!failed.success(), "{failed:?}");
    assert!(
        failed
            .stderr
            .contains("postgres://pgb_admin@127.0.0.1:1/pgbouncer"),
        "names the console: {}",
        failed.stderr
    );
    assert!(failed.stderr.contains("put back"), "{}", failed.stderr);
    assert_no_secret(&failed.stderr);
    assert_no_secret(&failed.stdout);
    assert_eq!(bouncer.file("pgbouncer.ini"), ini_before);
    assert_eq!(bouncer.file("userlist.txt"), auth_before);
}

/// The server admits `role` from 127.0.0.1 without a password: the auth
/// file holds only verifiers, which PgBouncer can use to log in to the
/// server only for clients that logged in with SCRAM, never for the
/// lookups it makes as the auth user.
fn trust_from_loopback(cluster: &TestCluster, role: &str) {
    let path = cluster.query_value("SHOW hba_file").unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("host all {role} 127.0.0.1/32 trust\n{text}")).unwrap();
    cluster.exec("SELECT pg_reload_conf()");
}

#[test]
fn pgbouncer_auth_query_admits_a_role_in_no_file() {
    if skip_unless_installed() {
        return;
    }
    let cluster = TestCluster::start();
    let bouncer = PgBouncer::start(&cluster);
    trust_from_loopback(&cluster, "pgb_auth");
    cluster.exec("CREATE ROLE outsider LOGIN PASSWORD 'outsider-pw'");
    let dir = workdir();
    let hcl = config(&cluster, &bouncer, "app-pass-1", &bouncer.admin_url()).replace(
        "  users      = [\"app_user\", \"pgb_admin\"]",
        "  auth       = \"query\"\n  auth_user  = \"pgb_auth\"\n  users      = [\"pgb_admin\"]",
    );
    let hcl = format!(
        "{hcl}\nrole \"pgb_auth\" {{\n  login    = true\n  password = \"auth-secret\"\n}}\n"
    );
    write_files(dir.path(), &[("main.hcl", &hcl)]);

    let first = cluster.plan_in(dir.path());
    assert_eq!(first.code, Some(2), "{first:?}");
    assert!(
        first.stdout.contains("pgbouncer.main.auth_query.appdb"),
        "{}",
        first.stdout
    );
    let applied = cluster.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}\n{}", bouncer.log());
    let empty = cluster.plan_in(dir.path());
    assert_eq!(empty.code, Some(0), "{empty:?}");

    let ini = String::from_utf8(bouncer.file("pgbouncer.ini")).unwrap();
    assert!(ini.contains("auth_user = pgb_auth"), "{ini}");
    let userlist = String::from_utf8(bouncer.file("userlist.txt")).unwrap();
    assert!(!userlist.contains("outsider"), "{userlist}");
    let execute = cluster.psql_in(
        "appdb",
        "SELECT string_agg(r::text, ',' ORDER BY r::text) FROM (SELECT unnest(proacl) r FROM pg_proc WHERE proname = 'get_auth') a",
    )[0][0]
        .clone();
    assert!(
        execute
            .as_deref()
            .is_some_and(|acl| acl.contains("pgb_auth=X/")
                && !acl.contains(",=X/")
                && !acl.starts_with("=X/")),
        "{execute:?}"
    );
    // Not in the auth file: found through auth_query, in the database.
    bouncer
        .select_one("appdb", "outsider", "outsider-pw")
        .unwrap_or_else(|e| panic!("outsider through auth_query: {e}\n{}", bouncer.log()));
    assert!(bouncer.select_one("appdb", "outsider", "wrong").is_err());

    // Drift: EXECUTE and USAGE for PUBLIC behind pgfort's back are
    // planned away.
    cluster.exec_in(
        "appdb",
        "GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(text) TO PUBLIC; \
         GRANT USAGE ON SCHEMA pgbouncer TO PUBLIC",
    );
    let drift = cluster.plan_in(dir.path());
    assert_eq!(drift.code, Some(2), "{drift:?}");
    assert!(
        drift.stdout.contains("auth_query.appdb"),
        "{}",
        drift.stdout
    );
    let fixed = cluster.apply_in(dir.path());
    assert!(fixed.success(), "{fixed:?}");
    let empty = cluster.plan_in(dir.path());
    assert_eq!(empty.code, Some(0), "{empty:?}");
}

#[test]
fn pgbouncer_without_admin_url_files_are_written_and_the_reload_is_left_to_the_user() {
    if skip_unless_installed() {
        return;
    }
    let cluster = TestCluster::start();
    let bouncer = PgBouncer::start(&cluster);
    let dir = workdir();
    let url = bouncer.admin_url();
    let hcl = config(&cluster, &bouncer, "app-pass-1", &url)
        .replace(&format!("  admin_url  = \"{url}\"\n"), "");
    assert!(!hcl.contains("admin_url"), "{hcl}");
    write_files(dir.path(), &[("main.hcl", &hcl)]);
    let plan = cluster.plan_in(dir.path());
    assert_eq!(plan.code, Some(2), "{plan:?}");
    assert!(
        plan.stdout.contains("must be reloaded by hand"),
        "{}",
        plan.stdout
    );
    let json = cluster.pgfort_in(dir.path(), &["plan", "--json", "."]);
    assert!(json.success(), "{json:?}");
    assert!(json.stdout.contains("userlist.txt"), "{}", json.stdout);
    assert_no_secret(&json.stdout);
    // Targeted: the files, and the roles whose verifiers they hold.
    let targeted = cluster.pgfort_in(
        dir.path(),
        &[
            "apply",
            "--auto-approve",
            "--no-color",
            "-target",
            "pgbouncer.main",
            ".",
        ],
    );
    assert!(targeted.success(), "{targeted:?}");
    assert!(
        targeted.stdout.contains("role.app_user"),
        "{}",
        targeted.stdout
    );
    assert!(
        !targeted.stdout.contains("database.appdb"),
        "{}",
        targeted.stdout
    );
    let applied = cluster.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}");
    assert!(
        targeted.stdout.contains("reload PgBouncer"),
        "{}",
        applied.stdout
    );
    assert!(
        bouncer
            .file("pgbouncer.ini")
            .starts_with(b"; Managed by pgfort")
    );
    let empty = cluster.plan_in(dir.path());
    assert_eq!(empty.code, Some(0), "{empty:?}");
    assert!(empty.stdout.contains("no admin_url"), "{}", empty.stdout);
}
