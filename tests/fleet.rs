//! `--env`: one configuration on a fleet of 20 throwaway clusters: plan,
//! apply, drift behind pgfort's back, shards, a failing server isolated,
//! exit codes and the JSON document.

mod common;

use std::collections::BTreeSet;

use common::{TestCluster, squash, workdir, write_files};
use serde_json::Value;

const SERVERS: usize = 20;

/// Starts `count` clusters, a few at a time (each is a copy of the
/// template plus a server start).
fn start_fleet(count: usize) -> Vec<TestCluster> {
    let mut clusters = Vec::with_capacity(count);
    while clusters.len() < count {
        let batch = (count - clusters.len()).min(4);
        let started: Vec<TestCluster> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..batch)
                .map(|_| scope.spawn(TestCluster::start))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a cluster started"))
                .collect()
        });
        clusters.extend(started);
    }
    clusters
}

fn server_entry(name: &str, cluster: &TestCluster, extra: &str) -> String {
    format!(
        "{{ name = \"{name}\", host = \"127.0.0.1\", port = {}, user = \"postgres\", password = \"{}\", dbname = \"postgres\", sslmode = \"disable\"{extra} }}",
        cluster.port(),
        cluster.password()
    )
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("its address").port();
    drop(listener);
    port
}

/// `prod` names every cluster of `prod` (the 7th with a variable of its
/// own); `mixed` is two live servers around one that is down.
fn configuration(prod: &[&TestCluster], mixed: (&TestCluster, &TestCluster)) -> String {
    let servers: Vec<String> = prod
        .iter()
        .enumerate()
        .map(|(i, cluster)| {
            let extra = if i == 6 {
                ", variables = { comment = \"special\" }"
            } else {
                ""
            };
            server_entry(&format!("db{:02}", i + 1), cluster, extra)
        })
        .collect();
    let mixed = [
        server_entry("first", mixed.0, ""),
        format!(
            "{{ name = \"down\", host = \"127.0.0.1\", port = {}, user = \"postgres\", sslmode = \"disable\" }}",
            closed_port()
        ),
        server_entry("second", mixed.1, ""),
    ];
    format!(
        r#"variable "comment" {{
  default = "default"
}}

role "fleet_app" {{
  login   = false
  comment = var.comment
}}

environment "prod" {{
  variables = {{ comment = "prod" }}
  servers = [
    {}
  ]
}}

environment "mixed" {{
  servers = [
    {}
  ]
}}
"#,
        servers.join(",\n    "),
        mixed.join(",\n    ")
    )
}

fn comment_on(cluster: &TestCluster) -> Option<String> {
    cluster.query_value(
        "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = 'fleet_app'",
    )
}

/// Runs pgfort in `dir` with one more environment variable.
fn run_pgfort_env(
    cluster: &TestCluster,
    dir: &std::path::Path,
    (name, value): (&str, &str),
    args: &[&str],
) -> (Option<i32>, String) {
    let output = cluster
        .command()
        .current_dir(dir)
        .env(name, value)
        .args(args)
        .output()
        .expect("pgfort runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The fleet document printed, checked against its published schema.
fn json_of(stdout: &str) -> Value {
    let document: Value =
        serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"));
    let schema: Value =
        serde_json::from_str(include_str!("../schema/fleet.schema.json")).expect("the schema");
    common::schema_check::conforms(&schema, &schema, &document, "$")
        .unwrap_or_else(|e| panic!("{e}:\n{stdout}"));
    document
}

#[test]
fn a_fleet_is_planned_applied_drifted_and_sharded_in_one_run_each() {
    // Twenty servers cost CI time once per major; nothing a fleet does
    // depends on the major (the test below runs on every one).
    if std::env::var_os("PGFORT_TEST_PG_BIN").is_some() {
        eprintln!(
            "skipped: the 20-server fleet runs on the default PostgreSQL only (PGFORT_TEST_PG_BIN is set)"
        );
        return;
    }
    let fleet = start_fleet(SERVERS);
    let dir = workdir();
    let prod: Vec<&TestCluster> = fleet.iter().collect();
    write_files(
        dir.path(),
        &[("main.hcl", &configuration(&prod, (&fleet[0], &fleet[1])))],
    );
    let run = |args: &[&str]| fleet[0].pgfort_in(dir.path(), args);

    // From empty: every server has the role to create.
    let plan = run(&["plan", "--env", "prod", "--detailed-exitcode", "."]);
    assert_eq!(plan.code, Some(2), "{}\n{}", plan.stdout, plan.stderr);
    let text = squash(&plan.stdout);
    assert!(
        text.contains("Environment prod: 20 server(s): 20 changed, 0 unchanged, 0 failed."),
        "{text}"
    );
    for i in 1..=SERVERS {
        let heading = format!(
            "=== prod/db{i:02} (postgres@127.0.0.1:{}/postgres) ===",
            fleet[i - 1].port()
        );
        assert!(text.contains(&heading), "{heading} missing:\n{text}");
    }
    assert_eq!(
        text.matches("# role.fleet_app will be created").count(),
        SERVERS,
        "{text}"
    );
    assert!(
        fleet.iter().all(|c| comment_on(c).is_none()),
        "plan changed nothing"
    );

    let apply = run(&["apply", "--env", "prod", "--auto-approve", "."]);
    assert_eq!(apply.code, Some(0), "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        squash(&apply.stdout).contains("20 server(s): 20 changed, 0 unchanged, 0 failed."),
        "{}",
        apply.stdout
    );
    for (i, cluster) in fleet.iter().enumerate() {
        let expected = if i == 6 { "special" } else { "prod" };
        assert_eq!(
            comment_on(cluster).as_deref(),
            Some(expected),
            "db{:02}",
            i + 1
        );
    }

    let plan = run(&["plan", "--env", "prod", "--detailed-exitcode", "."]);
    assert_eq!(plan.code, Some(0), "{}\n{}", plan.stdout, plan.stderr);
    assert!(squash(&plan.stdout).contains("20 server(s): 0 changed, 20 unchanged, 0 failed."));

    // Drift on one server behind pgfort's back: only it is reported.
    fleet[2].exec("COMMENT ON ROLE fleet_app IS 'by hand'");
    let drift = run(&["drift", "--env", "prod", "--format", "json", "."]);
    assert_eq!(drift.code, Some(2), "{}\n{}", drift.stdout, drift.stderr);
    let doc = json_of(&drift.stdout);
    assert_eq!(doc["environment"], "prod");
    assert_eq!(doc["summary"]["changed"], 1);
    assert_eq!(doc["summary"]["unchanged"], 19);
    let servers = doc["servers"].as_array().expect("servers");
    assert_eq!(servers.len(), SERVERS);
    assert_eq!(servers[2]["name"], "db03");
    assert_eq!(servers[2]["status"], "changed");
    assert_eq!(servers[2]["result"]["drifted"], true, "{}", servers[2]);
    assert!(
        servers
            .iter()
            .enumerate()
            .all(|(i, s)| i == 2 || s["status"] == "unchanged")
    );

    // Saved: one plan per server, then each applied exactly.
    let plan = run(&["plan", "--env", "prod", "--out", "plans", "."]);
    assert_eq!(plan.code, Some(0), "{}\n{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.contains("Saved 20 plan(s) to plans."),
        "{}",
        plan.stdout
    );
    let plans = dir.path().join("plans");
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode(&plans) & 0o777, 0o700);
        assert_eq!(mode(&plans.join("db03.pgfortplan")) & 0o777, 0o600);
    }
    assert_eq!(std::fs::read_dir(&plans).unwrap().count(), SERVERS);
    // db05 changes after its plan was made: only its plan is refused.
    fleet[4].exec("COMMENT ON ROLE fleet_app IS 'late'");
    let apply = run(&["apply", "plans"]);
    assert_eq!(apply.code, Some(1), "{}\n{}", apply.stdout, apply.stderr);
    let text = squash(&apply.stdout);
    assert!(
        text.contains("1 changed, 18 unchanged, 1 failed."),
        "{text}"
    );
    assert!(text.contains("db05 failed:"), "{text}");
    assert_eq!(comment_on(&fleet[2]).as_deref(), Some("prod"));
    assert_eq!(comment_on(&fleet[4]).as_deref(), Some("late"));
    // A plan applied once is spent.
    let again = run(&["apply", "plans"]);
    assert_eq!(again.code, Some(1), "{}\n{}", again.stdout, again.stderr);
    assert!(
        squash(&again.stdout).contains("db03 failed:"),
        "{}",
        again.stdout
    );
    let apply = run(&["apply", "--env", "prod", "--auto-approve", "."]);
    assert_eq!(apply.code, Some(0), "{}\n{}", apply.stdout, apply.stderr);
    assert!(squash(&apply.stdout).contains("1 changed, 19 unchanged, 0 failed."));
    assert_eq!(comment_on(&fleet[4]).as_deref(), Some("prod"));
    let plan = run(&["plan", "--env", "prod", "--json", "."]);
    assert_eq!(plan.code, Some(0), "{}", plan.stderr);
    let doc = json_of(&plan.stdout);
    assert_eq!(doc["summary"]["unchanged"], 20, "{doc}");
    assert!(doc["servers"][0]["result"]["changes"].is_array(), "{doc}");

    // Shards: three jobs cover every server exactly once.
    let mut seen = Vec::new();
    for index in 1..=3 {
        let shard = format!("{index}/3");
        let plan = run(&["plan", "--env", "prod", "--shard", &shard, "--json", "."]);
        assert_eq!(plan.code, Some(0), "{}", plan.stderr);
        let doc = json_of(&plan.stdout);
        assert_eq!(doc["shard"], shard.as_str());
        let names: Vec<String> = doc["servers"]
            .as_array()
            .expect("servers")
            .iter()
            .map(|s| s["name"].as_str().expect("a name").to_owned())
            .collect();
        assert!((6..=7).contains(&names.len()), "{shard}: {names:?}");
        seen.extend(names);
    }
    let distinct: BTreeSet<&String> = seen.iter().collect();
    assert_eq!((seen.len(), distinct.len()), (SERVERS, SERVERS), "{seen:?}");

    // Audit runs everywhere too.
    let audit = run(&[
        "audit",
        "--env",
        "prod",
        "--format",
        "json",
        "--fail-on",
        "critical",
        ".",
    ]);
    let doc = json_of(&audit.stdout);
    assert_eq!(
        doc["servers"].as_array().map(Vec::len),
        Some(SERVERS),
        "{}",
        audit.stderr
    );
    assert!(
        doc["servers"][0]["result"]["findings"].is_array(),
        "{}",
        doc["servers"][0]
    );
}

#[test]
fn a_failing_server_is_isolated_and_fail_fast_skips_the_rest() {
    let fleet = start_fleet(2);
    let dir = workdir();
    let prod: Vec<&TestCluster> = vec![&fleet[0]];
    write_files(
        dir.path(),
        &[("main.hcl", &configuration(&prod, (&fleet[0], &fleet[1])))],
    );
    let run = |args: &[&str]| fleet[0].pgfort_in(dir.path(), args);

    let plan = run(&["plan", "--env", "mixed", "."]);
    assert_eq!(plan.code, Some(1), "{}\n{}", plan.stdout, plan.stderr);
    let text = squash(&plan.stdout);
    assert!(
        text.contains("Environment mixed: 3 server(s): 2 changed, 0 unchanged, 1 failed."),
        "{text}"
    );
    assert!(
        text.contains("down failed: could not connect to postgres@127.0.0.1:"),
        "{text}"
    );
    assert_eq!(
        text.matches("# role.fleet_app will be created").count(),
        2,
        "{text}"
    );

    // The others are applied; the failed one is reported, not waited for.
    let apply = run(&["apply", "--env", "mixed", "--auto-approve", "."]);
    assert_eq!(apply.code, Some(1), "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(comment_on(&fleet[0]).as_deref(), Some("default"));
    assert_eq!(comment_on(&fleet[1]).as_deref(), Some("default"));

    // One at a time, stopping at the first failure: "second" never runs.
    let plan = run(&[
        "plan",
        "--env",
        "mixed",
        "--parallelism",
        "1",
        "--fail-fast",
        "--json",
        ".",
    ]);
    assert_eq!(plan.code, Some(1), "{}", plan.stderr);
    let doc = json_of(&plan.stdout);
    let statuses: Vec<&str> = doc["servers"]
        .as_array()
        .expect("servers")
        .iter()
        .map(|s| s["status"].as_str().expect("a status"))
        .collect();
    assert_eq!(statuses, ["unchanged", "failed", "skipped"], "{doc}");
    assert!(
        doc["servers"][1]["error"]
            .as_str()
            .is_some_and(|e| e.contains("could not connect"))
    );

    // Bad input: an unknown environment names the declared ones.
    let unknown = run(&["plan", "--env", "staging", "."]);
    assert_eq!(unknown.code, Some(1));
    assert!(
        unknown
            .stderr
            .contains("no environment \"staging\" is declared; declared: prod, mixed"),
        "{}",
        unknown.stderr
    );
    // A URL exported for single-server runs is named, not obeyed.
    let exported = run_pgfort_env(
        &fleet[0],
        dir.path(),
        (
            "PGFORT_DATABASE_URL",
            "postgres://someone@db.example.com/app",
        ),
        &["plan", "--env", "mixed", "."],
    );
    let (code, stderr) = exported;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("--database-url (or PGFORT_DATABASE_URL) names one server"),
        "{stderr}"
    );
    let bad_shard = run(&["plan", "--env", "prod", "--shard", "4/3", "."]);
    assert_ne!(bad_shard.code, Some(0));
    assert!(
        bad_shard.stderr.contains("expected I/N"),
        "{}",
        bad_shard.stderr
    );
}
