//! pg_hba.conf end to end, each test on a cluster of its own: the apply →
//! plan → drift → apply cycle, refused lockouts and invalid rules (the file
//! stays byte-identical), real logins admitted or rejected as the rules
//! say, check blocks, and the seed's rules behind pgfort's own.

mod common;

use common::hba::{
    APP_RULES, SEED_RULES, config, enable_ssl, eventually_login, hba_bytes, hba_path,
};
use common::{TestCluster, workdir, write_files};

#[test]
fn hba_cycle_apply_plan_drift_apply() {
    let cluster = TestCluster::start();
    let mode_before = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(hba_path(&cluster)).unwrap().permissions(),
    );
    assert_eq!(mode_before & 0o777, 0o600, "initdb makes it private");
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", &config(APP_RULES))]);

    let first = cluster.plan_in(dir.path());
    assert_eq!(first.code, Some(2), "{first:?}");
    assert!(
        first.stdout.contains("~ hba \"pg_hba.conf\""),
        "{}",
        first.stdout
    );
    assert!(
        first
            .stdout
            .contains("+ host all postgres 127.0.0.1/32 scram-sha-256"),
        "{}",
        first.stdout
    );

    let applied = cluster.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}");
    let text = String::from_utf8(hba_bytes(&cluster)).unwrap();
    assert!(
        text.starts_with("# This file is managed by pgfort"),
        "{text}"
    );
    assert!(
        text.contains("host app app 10.20.0.0/16 scram-sha-256\n"),
        "{text}"
    );
    let backup = std::fs::read(format!("{}.pgfort-backup", hba_path(&cluster).display()));
    assert!(backup.is_ok(), "the previous file is kept");
    // Written over SQL (no --sandbox here): COPY onto the existing file
    // keeps its mode.
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(hba_path(&cluster)).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, mode_before & 0o777);

    let empty = cluster.plan_in(dir.path());
    assert_eq!(empty.code, Some(0), "{empty:?}");

    // Drift: the app rule edited by hand, then reloaded.
    let edited = text.replace("10.20.0.0/16", "10.30.0.0/16");
    std::fs::write(hba_path(&cluster), edited).unwrap();
    cluster.exec("SELECT pg_reload_conf()");
    let drift = cluster.plan_in(dir.path());
    assert_eq!(drift.code, Some(2), "{drift:?}");
    assert!(
        drift
            .stdout
            .contains("host app app 10.30.0.0/16 scram-sha-256"),
        "{}",
        drift.stdout
    );
    assert!(
        drift.stdout.contains("- host app app 10.30.0.0/16"),
        "{}",
        drift.stdout
    );

    let fixed = cluster.apply_in(dir.path());
    assert!(fixed.success(), "{fixed:?}");
    let after = cluster.plan_in(dir.path());
    assert_eq!(after.code, Some(0), "{after:?}");
}

#[test]
fn a_config_that_locks_pgfort_out_is_refused() {
    let cluster = TestCluster::start();
    let dir = workdir();
    let before = hba_bytes(&cluster);
    write_files(
        dir.path(),
        &[(
            "main.hcl",
            r#"
hba {
  rule {
    type    = "hostssl"
    address = "0.0.0.0/0"
    method  = "scram-sha-256"
  }
  rule {
    type    = "host"
    address = "all"
    method  = "reject"
  }
}
"#,
        )],
    );
    let planned = cluster.plan_in(dir.path());
    assert_eq!(planned.code, Some(1), "{planned:?}");
    assert!(planned.stderr.contains("lock out"), "{}", planned.stderr);
    let applied = cluster.apply_in(dir.path());
    assert!(!applied.success(), "{applied:?}");
    assert!(
        applied
            .stderr
            .contains("rule 2 (host all all all reject) rejects it"),
        "{}",
        applied.stderr
    );
    assert_eq!(hba_bytes(&cluster), before, "the file is untouched");
}

#[test]
fn an_invalid_rule_leaves_the_file_identical() {
    let cluster = TestCluster::start();
    let dir = workdir();
    let before = hba_bytes(&cluster);
    // Only the server knows clientcert needs a hostssl line.
    let rules = r#"
  rule {
    type    = "host"
    address = "10.0.0.0/8"
    method  = "scram-sha-256"
    options = { clientcert = "verify-full" }
  }
"#;
    write_files(dir.path(), &[("main.hcl", &config(rules))]);
    let applied = cluster.apply_in(dir.path());
    assert!(!applied.success(), "{applied:?}");
    assert!(
        applied.stderr.contains("PostgreSQL refuses rule"),
        "{}",
        applied.stderr
    );
    assert!(
        applied
            .stderr
            .contains("clientcert can only be configured for \"hostssl\" rows"),
        "{}",
        applied.stderr
    );
    assert_eq!(hba_bytes(&cluster), before, "the previous file is back");
    // And the server still admits pgfort.
    let again = cluster.plan_in(dir.path());
    assert_eq!(again.code, Some(2), "{again:?}");
}

#[test]
fn config_errors_point_at_the_rule() {
    let cluster = TestCluster::start();
    let dir = workdir();
    let cases = [
        (
            "type = \"local\"\n    address = \"10.0.0.0/8\"\n    method = \"peer\"",
            "takes no address",
        ),
        (
            "type = \"host\"\n    method = \"scram-sha-256\"",
            "missing attribute \"address\"",
        ),
        (
            "type = \"host\"\n    address = \"10.0.0.0/8\"\n    method = \"cert\"",
            "needs type = \"hostssl\"",
        ),
        (
            "type = \"host\"\n    address = \"10.0.0.0/33\"\n    method = \"md5\"",
            "not a valid CIDR",
        ),
    ];
    for (body, message) in cases {
        let text = format!("hba {{\n  rule {{\n    {body}\n  }}\n}}\n");
        write_files(dir.path(), &[("main.hcl", &text)]);
        let out = cluster.plan_in(dir.path());
        assert_eq!(out.code, Some(1), "{out:?}");
        assert!(out.stderr.contains("main.hcl:"), "{}", out.stderr);
        assert!(out.stderr.contains(message), "{message}: {}", out.stderr);
    }
}

#[test]
fn logins_are_admitted_or_rejected_as_the_rules_say() {
    let cluster = TestCluster::start();
    cluster.exec("CREATE ROLE alice LOGIN PASSWORD 'alice-pw'");
    cluster.exec("CREATE ROLE bob LOGIN PASSWORD 'bob-pw'");
    eventually_login(&cluster, "bob", "bob-pw", true);
    let dir = workdir();
    let rules = r#"
  rule {
    type    = "host"
    user    = ["alice"]
    address = "127.0.0.1"
    method  = "scram-sha-256"
  }
  rule {
    type    = "host"
    address = "all"
    method  = "reject"
  }
"#;
    write_files(dir.path(), &[("main.hcl", &config(rules))]);
    let applied = cluster.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}");
    eventually_login(&cluster, "alice", "alice-pw", true);
    eventually_login(&cluster, "bob", "bob-pw", false);
}

#[test]
fn check_blocks_pass_or_fail_the_plan() {
    let cluster = TestCluster::start();
    let dir = workdir();
    let checks = r#"
  check {
    user     = "app"
    database = "app"
    address  = "10.20.1.2"
    expect   = "scram-sha-256"
  }
  check {
    user    = "app"
    address = "203.0.113.9"
    expect  = "reject"
  }
"#;
    let rules = APP_RULES;
    write_files(
        dir.path(),
        &[("main.hcl", &config(&format!("{rules}{checks}")))],
    );
    let ok = cluster.plan_in(dir.path());
    assert_eq!(ok.code, Some(2), "{ok:?}");

    let failing = checks.replace("expect  = \"reject\"", "expect  = \"trust\"");
    write_files(
        dir.path(),
        &[("main.hcl", &config(&format!("{rules}{failing}")))],
    );
    let bad = cluster.plan_in(dir.path());
    assert_eq!(bad.code, Some(1), "{bad:?}");
    assert!(bad.stderr.contains("main.hcl:"), "{}", bad.stderr);
    assert!(
        bad.stderr.contains("expects trust, but meets reject"),
        "{}",
        bad.stderr
    );
    // The checks need no server: validate runs them too.
    let validated = cluster.pgfort_in(dir.path(), &["validate", "."]);
    assert_eq!(validated.code, Some(1), "{validated:?}");
    assert!(
        validated.stderr.contains("expects trust, but meets reject"),
        "{}",
        validated.stderr
    );
}

#[test]
fn the_seed_rules_apply_behind_pgforts_own_rule() {
    let cluster = TestCluster::start();
    enable_ssl(&cluster);
    cluster.exec("CREATE ROLE alice LOGIN PASSWORD 'alice-pw'");
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", &config(SEED_RULES))]);
    let applied = cluster.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}");
    assert!(
        applied
            .stdout
            .contains("admits connections from any address"),
        "{}",
        applied.stdout
    );
    let text = String::from_utf8(hba_bytes(&cluster)).unwrap();
    assert!(
        text.contains("host all postgres 127.0.0.1/32 scram-sha-256\nhostssl all all 0.0.0.0/0 scram-sha-256\n"),
        "{text}"
    );
    // Without TLS, only pgfort's own rule admits anyone.
    eventually_login(&cluster, "alice", "alice-pw", false);
    let empty = cluster.plan_in(dir.path());
    assert_eq!(empty.code, Some(0), "{empty:?}");
}
