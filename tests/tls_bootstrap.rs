//! A fresh server bootstrapped to TLS-only in one apply: pgfort connects
//! without TLS (SSL is off), the configuration generates certificates,
//! turns SSL on and installs pg_hba rules admitting pgfort only over TLS.
//! Apply turns SSL on, switches to a TLS session and writes pg_hba.conf
//! through it. With sslmode=disable the plan is refused; when TLS does not
//! come up, pg_hba.conf is not written. Each test has a cluster of its own
//! (pg_hba.conf and ssl are cluster-wide).

mod common;

use std::path::Path;

use common::hba::{hba_bytes, hba_path};
use common::{TestCluster, workdir, write_files};
use pgfort::connect::{self, ConnectionSettings};

const APP_PASSWORD: &str = "App-User-Pass-2026!";

/// pg_hba: pgfort (postgres) and app_user from loopback over TLS only;
/// everything else rejected.
const TLS_ONLY_RULES: &str = r#"
hba {
  rule {
    type     = "hostssl"
    user     = ["postgres"]
    address  = "127.0.0.1/32"
    method   = "scram-sha-256"
    comment  = "pgfort, over TLS only"
  }
  rule {
    type     = "hostssl"
    user     = ["app_user"]
    address  = "127.0.0.1/32"
    method   = "scram-sha-256"
  }
  rule {
    type    = "host"
    address = "all"
    method  = "reject"
  }
}
"#;

fn bootstrap_config() -> String {
    format!(
        r#"
role "app_user" {{
  login    = true
  password = "{APP_PASSWORD}"
}}

certificate_authority "internal" {{
  cert_file   = "pki/ca.crt"
  key_file    = "pki/ca.key"
  common_name = "bootstrap test CA"
}}

server_certificate {{
  ca           = "internal"
  dns_names    = ["localhost"]
  ip_addresses = ["127.0.0.1"]
}}
{TLS_ONLY_RULES}"#
    )
}

/// Applies `target` connecting with sslmode=prefer (without TLS: SSL is
/// off), which must switch to TLS to write pg_hba.conf.
fn apply_switching_to_tls(cluster: &TestCluster, dir: &Path, target: &str) {
    let apply = cluster.pgfort_sslmode(
        dir,
        "prefer",
        &["apply", "--no-color", "--auto-approve", target],
    );
    assert_eq!(apply.code, Some(0), "{apply:?}");
    assert!(
        apply
            .stdout
            .contains("pgfort switched to sslmode=require to write it"),
        "{}",
        apply.stdout
    );
}

/// A plan with sslmode=prefer (over TLS once SSL is on) finds nothing.
fn plans_empty_over_tls(cluster: &TestCluster, dir: &Path) {
    let again = cluster.pgfort_sslmode(
        dir,
        "prefer",
        &["plan", "--no-color", "--detailed-exitcode", "."],
    );
    assert_eq!(again.code, Some(0), "{again:?}");
}

/// Logs in over TCP; `Ok(true)` when the session is encrypted.
fn login(cluster: &TestCluster, user: &str, password: &str, options: &str) -> Result<bool, String> {
    let text = format!(
        "host=localhost port={} user={user} password={password} dbname=postgres {options}",
        cluster.port()
    );
    let settings =
        ConnectionSettings::resolve(Some(&text), &|_| None, &Default::default()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = connect::connect(&settings)
            .await
            .map_err(|e| e.to_string())?;
        let row = client
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(row.get(0))
    })
}

#[test]
fn one_apply_bootstraps_a_fresh_server_to_tls_only() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", &bootstrap_config())]);
    assert_eq!(cluster.query_value("SHOW ssl").as_deref(), Some("off"));
    // Read now: the harness's own connections do not use TLS.
    let hba_file = hba_path(&cluster);

    let plan = cluster.pgfort_sslmode(dir.path(), "prefer", &["plan", "--no-color", "."]);
    assert_eq!(plan.code, Some(0), "{plan:?}");
    assert!(
        plan.stdout.contains(
            "admit pgfort's own connection only over TLS (rule 1 (hostssl all postgres 127.0.0.1/32 scram-sha-256))"
        ),
        "{}",
        plan.stdout
    );

    apply_switching_to_tls(&cluster, dir.path(), ".");
    let written = std::fs::read_to_string(&hba_file).unwrap();
    assert!(
        written.contains("hostssl all postgres 127.0.0.1/32 scram-sha-256"),
        "{written}"
    );

    // Plan empty over TLS (prefer negotiates it now).
    plans_empty_over_tls(&cluster, dir.path());
    // pgfort's superuser gets in over TLS only.
    assert_eq!(
        login(&cluster, "postgres", cluster.password(), "sslmode=require"),
        Ok(true)
    );
    let plain = login(&cluster, "postgres", cluster.password(), "sslmode=disable");
    assert!(
        plain.as_ref().is_err_and(|e| e.contains("pg_hba.conf")),
        "{plain:?}"
    );
    // The application over verify-full against the generated authority.
    let root = dir.path().join("pki/ca.crt");
    assert_eq!(
        login(
            &cluster,
            "app_user",
            APP_PASSWORD,
            &format!("sslmode=verify-full sslrootcert={}", root.display())
        ),
        Ok(true)
    );
    // And pgfort with sslmode=disable is now refused at the door.
    let refused = cluster.pgfort_sslmode(dir.path(), "disable", &["plan", "--no-color", "."]);
    assert_eq!(refused.code, Some(1), "{refused:?}");
}

#[test]
fn sslmode_disable_keeps_the_refusal_and_says_which_modes_work() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", &bootstrap_config())]);
    let before = hba_bytes(&cluster);
    let apply = cluster.pgfort_sslmode(
        dir.path(),
        "disable",
        &["apply", "--no-color", "--auto-approve", "."],
    );
    assert_eq!(apply.code, Some(1), "{apply:?}");
    assert!(
        apply
            .stderr
            .contains("would lock out pgfort's own connection"),
        "{}",
        apply.stderr
    );
    assert!(
        apply.stderr.contains(
            "rule 1 (hostssl all postgres 127.0.0.1/32 scram-sha-256) admits it over TLS: connect with sslmode=prefer or require"
        ),
        "{}",
        apply.stderr
    );
    // Nothing changed: the rules, SSL, the role.
    assert_eq!(hba_bytes(&cluster), before);
    assert_eq!(cluster.query_value("SHOW ssl").as_deref(), Some("off"));
    assert_eq!(
        cluster.query_value("SELECT count(*) FROM pg_roles WHERE rolname = 'app_user'"),
        Some("0".to_owned())
    );
}

#[test]
fn tls_that_does_not_come_up_leaves_the_previous_rules() {
    let cluster = TestCluster::start();
    let dir = workdir();
    // SSL on with a certificate file that does not exist: the server keeps
    // SSL off at the reload.
    let config = format!(
        "settings {{\n  ssl = \"on\"\n  ssl_cert_file = \"missing.crt\"\n  ssl_key_file = \"missing.key\"\n}}\n{TLS_ONLY_RULES}\nrole \"app_user\" {{\n  login = true\n  password = \"{APP_PASSWORD}\"\n}}\n"
    );
    write_files(dir.path(), &[("main.hcl", &config)]);
    let before = hba_bytes(&cluster);
    let apply = cluster.pgfort_sslmode(
        dir.path(),
        "prefer",
        &["apply", "--no-color", "--auto-approve", "."],
    );
    assert_eq!(apply.code, Some(1), "{apply:?}");
    assert!(
        apply
            .stderr
            .contains("switching to TLS before writing pg_hba.conf"),
        "{}",
        apply.stderr
    );
    assert!(
        apply.stderr.contains("pg_hba.conf was not written"),
        "{}",
        apply.stderr
    );
    assert!(
        apply
            .stderr
            .contains("the previous SSL settings were restored and reloaded"),
        "{}",
        apply.stderr
    );
    assert_eq!(
        hba_bytes(&cluster),
        before,
        "{}",
        hba_path(&cluster).display()
    );
    // SSL stays off, and off it stays at the next restart.
    assert_eq!(cluster.query_value("SHOW ssl").as_deref(), Some("off"));
    assert_eq!(
        cluster.query_value(
            "SELECT count(*) FROM pg_file_settings WHERE name = 'ssl' AND setting = 'on'"
        ),
        Some("0".to_owned())
    );
    let marker = pgfort::apply::hba_marker::marker_path(&hba_path(&cluster).display().to_string());
    assert!(!Path::new(&marker).exists(), "{marker}");
    // The server is reachable as before, without TLS; what is left is the
    // settings and the pg_hba.conf rewrite (the role was committed).
    assert_eq!(
        login(&cluster, "postgres", cluster.password(), "sslmode=disable"),
        Ok(false)
    );
    let plan = cluster.pgfort_sslmode(
        dir.path(),
        "prefer",
        &["plan", "--no-color", "--detailed-exitcode", "."],
    );
    assert_eq!(plan.code, Some(2), "{plan:?}");
    assert!(plan.stdout.contains("hba.pg_hba.conf"), "{}", plan.stdout);
    assert!(plan.stdout.contains("setting.ssl "), "{}", plan.stdout);
    assert!(!plan.stdout.contains("role.app_user"), "{}", plan.stdout);
}

#[test]
fn a_saved_plan_switches_to_tls_too() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", &bootstrap_config())]);
    let hba_file = hba_path(&cluster);
    let saved = cluster.pgfort_sslmode(
        dir.path(),
        "prefer",
        &["plan", "--no-color", "-out", "bootstrap.pgfort", "."],
    );
    assert_eq!(saved.code, Some(0), "{saved:?}");
    apply_switching_to_tls(&cluster, dir.path(), "bootstrap.pgfort");
    let written = std::fs::read_to_string(&hba_file).unwrap();
    assert!(written.contains("hostssl all postgres"), "{written}");
    plans_empty_over_tls(&cluster, dir.path());
}
