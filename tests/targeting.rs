//! `-target` end to end: a targeted plan holds only the target and what
//! it needs, says that it is partial, a targeted apply applies only that
//! (the next full plan shows the rest), a target naming nothing is an
//! error, and a saved targeted plan holds only the selected changes.

mod common;

use std::path::Path;

use common::{PgfortOutput, TestCluster, workdir, write_files};

const CONFIG: &str = r#"
role "tg_a" {}
role "tg_b" {}

database "tg_db" {}

grant {
  to         = ["tg_a"]
  privileges = ["CONNECT"]
  on         = { database = "tg_db" }
}
"#;

fn run(cluster: &TestCluster, dir: &Path, args: &[&str]) -> PgfortOutput {
    let mut all = args.to_vec();
    all.extend(["--no-color", "."]);
    cluster.pgfort_in(dir, &all)
}

fn exists(cluster: &TestCluster, catalog: &str, column: &str, name: &str) -> bool {
    cluster.query_value(&format!(
        "SELECT count(*) FROM {catalog} WHERE {column} = '{name}'"
    )) == Some("1".to_owned())
}

/// The addresses of the changes in plan text, in order.
fn planned(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|line| line.trim().strip_prefix("# "))
        .filter_map(|rest| rest.split_once(' ').map(|(address, _)| address.to_owned()))
        .filter(|address| address.contains('.'))
        .collect()
}

#[test]
fn a_target_plans_and_applies_only_itself_and_what_it_needs() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", CONFIG)]);

    let out = run(&cluster, dir.path(), &["plan", "-target", "role.tg_a"]);
    assert!(out.success(), "{out:?}");
    assert_eq!(planned(&out.stdout), ["role.tg_a"], "{}", out.stdout);
    assert!(
        out.stdout
            .contains("Warning: targeting is in effect (-target role.tg_a)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("Plan: 1 to add, 0 to change, 0 to destroy.")
    );

    // The grant needs its grantee and its database, both still to create.
    let out = run(&cluster, dir.path(), &["plan", "-target=grant.tg_a.tg_db"]);
    assert!(out.success(), "{out:?}");
    assert_eq!(
        planned(&out.stdout),
        ["database.tg_db", "grant.tg_a.tg_db", "role.tg_a"],
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("1 other change is left for a later plan")
    );

    let out = run(
        &cluster,
        dir.path(),
        &["apply", "--auto-approve", "-target", "grant.tg_a.tg_db"],
    );
    assert!(out.success(), "{out:?}");
    assert!(
        out.stdout.contains("The apply was targeted (-target)"),
        "{}",
        out.stdout
    );
    assert!(exists(&cluster, "pg_roles", "rolname", "tg_a"));
    assert!(exists(&cluster, "pg_database", "datname", "tg_db"));
    assert!(!exists(&cluster, "pg_roles", "rolname", "tg_b"));
    assert_eq!(
        cluster.query_value("SELECT has_database_privilege('tg_a', 'tg_db', 'CONNECT')::text"),
        Some("true".to_owned())
    );

    // The next full plan shows the rest, and only the rest.
    let out = run(&cluster, dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert_eq!(planned(&out.stdout), ["role.tg_b"], "{}", out.stdout);
    assert!(!out.stdout.contains("targeting"), "{}", out.stdout);

    // The target is done: a targeted plan of it is empty (exit 0).
    let out = run(
        &cluster,
        dir.path(),
        &["plan", "--detailed-exitcode", "-target", "database.tg_db"],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("No changes."), "{}", out.stdout);
}

#[test]
fn targets_that_name_nothing_are_refused_and_nothing_changes() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", CONFIG)]);

    let out = run(
        &cluster,
        dir.path(),
        &["apply", "--auto-approve", "-target", "role.tg_c"],
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains(
            "error: -target role.tg_c: nothing in the configuration or in the plan has this address"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("hint: did you mean \"role.tg_"),
        "{}",
        out.stderr
    );
    assert!(!exists(&cluster, "pg_roles", "rolname", "tg_a"));

    // A misspelt kind is refused before connecting.
    let out = cluster.pgfort_in(
        dir.path(),
        &[
            "plan",
            "-target",
            "rol.tg_a",
            "--database-url",
            "postgres://nowhere.invalid/x",
            ".",
        ],
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("error: -target \"rol.tg_a\": \"rol\" is not a kind of object"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_saved_targeted_plan_holds_only_the_selection() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", CONFIG)]);

    let out = run(
        &cluster,
        dir.path(),
        &["plan", "-target", "role.tg_b", "-out", "tg.pgfort"],
    );
    assert!(out.success(), "{out:?}");
    let shown = cluster.pgfort_in(dir.path(), &["show", "--json", "tg.pgfort"]);
    assert!(shown.success(), "{shown:?}");
    let doc: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
    let addresses: Vec<&str> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert_eq!(addresses, ["role.tg_b"]);
    assert!(
        doc["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().starts_with("targeting is in effect")),
        "{doc}"
    );

    // -target is a planning option: a saved plan is applied as made.
    let out = cluster.pgfort_in(
        dir.path(),
        &[
            "apply",
            "--auto-approve",
            "-target",
            "role.tg_a",
            "tg.pgfort",
        ],
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains("-target cannot be used"),
        "{}",
        out.stderr
    );

    let out = cluster.pgfort_in(dir.path(), &["apply", "--auto-approve", "tg.pgfort"]);
    assert!(out.success(), "{out:?}");
    assert!(exists(&cluster, "pg_roles", "rolname", "tg_b"));
    assert!(!exists(&cluster, "pg_roles", "rolname", "tg_a"));
    assert!(!exists(&cluster, "pg_database", "datname", "tg_db"));
}
