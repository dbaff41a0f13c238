//! A primary and its streaming standby on loopback. Roles, grants and the
//! rest of the catalog replicate: on the standby they are planned read-only
//! (for the primary to make) and apply refuses them. Settings, pg_hba.conf
//! and certificates belong to each node and are applied on the standby
//! too. A
//! saved plan is refused once its server has changed role (promotion). The
//! audit's replication controls (7.1, 7.5) are judged on the pair.

mod common;

use common::{TestCluster, squash, workdir, write_files};
use serde_json::Value;

/// Keeps the harness's password logins and the standby's replication
/// connection, so the same file can be written on both nodes.
const CONFIG: &str = r#"
role "app" {
  login = true
}

settings {
  work_mem = "8MB"
}

hba {
  rule {
    type   = "local"
    method = "scram-sha-256"
  }
  rule {
    type    = "host"
    address = "127.0.0.1/32"
    method  = "scram-sha-256"
  }
  rule {
    type     = "host"
    database = "replication"
    address  = "127.0.0.1/32"
    method   = "scram-sha-256"
    comment  = "the standby streams over loopback"
  }
}
"#;

fn plan_json(cluster: &TestCluster, dir: &std::path::Path) -> Value {
    let out = cluster.pgfort_in(dir, &["plan", "--json", "."]);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("plan JSON ({e}): {out:?}"))
}

fn addresses(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|change| change["address"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn standby_leaves_the_catalog_to_its_primary_and_applies_its_own_state() {
    let primary = TestCluster::start();
    let standby = primary.start_standby();
    assert_eq!(
        standby
            .query_value("SELECT pg_is_in_recovery()::text")
            .as_deref(),
        Some("true")
    );
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", CONFIG)]);

    // The standby first: the role is the primary's to create.
    let plan = standby.plan_in(dir.path());
    assert_eq!(plan.code, Some(2), "{plan:?}");
    let text = squash(&plan.stdout);
    assert!(
        text.contains("This server is a standby: these 1 change(s) are to objects it replicates from its primary; make them there: + role.app"),
        "{text}"
    );
    let json = plan_json(&standby, dir.path());
    assert_eq!(addresses(&json["for_primary"]), ["role.app"], "{json}");
    let local = addresses(&json["changes"]);
    assert!(local.contains(&"setting.work_mem".to_owned()), "{json}");
    assert!(local.contains(&"hba.pg_hba.conf".to_owned()), "{json}");
    assert!(!local.contains(&"role.app".to_owned()), "{json}");

    let refused = standby.apply_in(dir.path());
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused.stderr.contains("this server is a standby")
            && refused.stderr.contains("nothing was applied"),
        "{refused:?}"
    );
    assert_eq!(standby.query_value("SHOW work_mem").as_deref(), Some("4MB"));

    // The primary makes the catalog change; the standby replays it.
    let applied = primary.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}");
    primary.wait_replayed_by(&standby);
    let plan = standby.plan_in(dir.path());
    assert_eq!(plan.code, Some(2), "{plan:?}");
    assert!(!plan.stdout.contains("role.app"), "{}", plan.stdout);

    // Now the standby's own settings and pg_hba.conf.
    let applied = standby.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}");
    assert_eq!(standby.query_value("SHOW work_mem").as_deref(), Some("8MB"));
    let hba = standby
        .query_value("SELECT pg_read_file(current_setting('hba_file'))")
        .unwrap_or_default();
    assert!(hba.contains("the standby streams over loopback"), "{hba}");
    assert_eq!(standby.plan_in(dir.path()).code, Some(0));
    assert_eq!(primary.plan_in(dir.path()).code, Some(0));

    // Drift on the standby alone, behind pgfort's back.
    standby.exec("ALTER SYSTEM SET work_mem = '16MB'");
    standby.exec("SELECT pg_reload_conf()");
    let drift = standby.plan_in(dir.path());
    assert_eq!(drift.code, Some(2), "{drift:?}");
    assert!(
        squash(&drift.stdout).contains("# setting.work_mem will be updated"),
        "{}",
        drift.stdout
    );
    assert_eq!(primary.plan_in(dir.path()).code, Some(0));
    let fixed = standby.apply_in(dir.path());
    assert!(fixed.success(), "{fixed:?}");
    assert_eq!(standby.plan_in(dir.path()).code, Some(0));
}

/// A plan saved on a standby is refused once that server is promoted: its
/// role is part of the state the plan was computed from.
#[test]
fn a_saved_plan_is_refused_after_promotion() {
    let primary = TestCluster::start();
    let standby = primary.start_standby();
    let dir = workdir();
    write_files(
        dir.path(),
        &[("main.hcl", "settings {\n  work_mem = \"8MB\"\n}\n")],
    );
    let saved = standby.pgfort_in(dir.path(), &["plan", "--out", "plan.pgfort", "."]);
    assert!(saved.success() || saved.code == Some(2), "{saved:?}");
    standby.exec("SELECT pg_promote()");
    assert_eq!(
        standby
            .query_value("SELECT pg_is_in_recovery()::text")
            .as_deref(),
        Some("false")
    );
    let applied = standby.pgfort_in(
        dir.path(),
        &["apply", "--auto-approve", "--no-color", "plan.pgfort"],
    );
    assert_eq!(applied.code, Some(1), "{applied:?}");
    assert!(applied.stderr.contains("node.role changed"), "{applied:?}");
    assert_eq!(standby.query_value("SHOW work_mem").as_deref(), Some("4MB"));
}

/// The status and evidence of one control in an audit of `cluster`.
fn audited(cluster: &TestCluster, id: &str) -> (String, String) {
    let out = cluster.pgfort(&["audit", "--format", "json", "--controls", id]);
    let report: Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("audit JSON ({e}): {out:?}"));
    let finding = &report["findings"][0];
    (
        finding["status"].as_str().unwrap_or_default().to_owned(),
        format!("{} {}", finding["evidence"], finding["skip_reason"]),
    )
}

/// 7.1 and 7.5 judged on a real pair: the harness's standby streams as
/// the superuser, without TLS, so both fail where they apply, and neither
/// shows the password in primary_conninfo.
#[test]
fn replication_controls_on_a_live_pair() {
    let primary = TestCluster::start();
    let standby = primary.start_standby();
    let (status, evidence) = audited(&primary, "7.1");
    assert_eq!(status, "fail", "{evidence}");
    assert!(evidence.contains("postgres"), "{evidence}");
    let (status, evidence) = audited(&primary, "7.5");
    assert_eq!(status, "skip", "{evidence}");
    assert!(evidence.contains("not applicable"), "{evidence}");
    let (status, evidence) = audited(&standby, "7.5");
    assert_eq!(status, "fail", "{evidence}");
    assert!(evidence.contains("127.0.0.1"), "{evidence}");
    assert!(!evidence.contains(primary.password()), "{evidence}");
}

/// Certificates are the node's own: pgfort issues and installs one on the
/// standby, which then serves TLS, while the primary is left as it was.
#[test]
fn a_standby_gets_its_own_server_certificate() {
    let primary = TestCluster::start();
    let standby = primary.start_standby();
    let dir = workdir();
    write_files(
        dir.path(),
        &[(
            "main.hcl",
            r#"
certificate_authority "main" {
  cert_file   = "certs/ca.crt"
  key_file    = "certs/ca.key"
  common_name = "standby test CA"
}

server_certificate {
  ca           = "main"
  dns_names    = ["localhost"]
  ip_addresses = ["127.0.0.1"]
}
"#,
        )],
    );
    let applied = standby.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}");
    assert_eq!(standby.query_value("SHOW ssl").as_deref(), Some("on"));
    assert_eq!(standby.plan_in(dir.path()).code, Some(0));
    assert_eq!(primary.query_value("SHOW ssl").as_deref(), Some("off"));
}
