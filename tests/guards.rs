//! Destroy guards end to end: `manage { prevent_destroy }` stops a prune
//! of a role or a database, `lifecycle { prevent_destroy }` stops the
//! replacement of a policy; plan and apply fail with exit 1 and an error
//! located at the protection, and nothing is changed on the server.

mod common;

use std::path::Path;

use common::{PgfortOutput, TestCluster, workdir, write_files};

fn run(cluster: &TestCluster, dir: &Path, args: &[&str]) -> PgfortOutput {
    let mut all = args.to_vec();
    all.extend(["--no-color", "."]);
    cluster.pgfort_in(dir, &all)
}

fn count(cluster: &TestCluster, sql: &str) -> String {
    cluster.query_value(sql).unwrap_or_default()
}

const PRUNING: &str = r#"
role "gd_keep" {}

manage {
  prune_roles       = true
  reassign_owned_to = "gd_keep"
  prune_databases   = true
  prevent_destroy   = ["role.gd_old*", "database.*"]
}
"#;

#[test]
fn manage_patterns_stop_prunes_and_nothing_is_changed() {
    let cluster = TestCluster::start();
    cluster.exec("CREATE ROLE gd_old_reporting");
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", PRUNING)]);

    for command in [&["plan"][..], &["apply", "--auto-approve"]] {
        let out = run(&cluster, dir.path(), command);
        assert_eq!(out.code, Some(1), "{out:?}");
        // Paths are as the directory was given (`.`).
        let expected = "error: ./main.hcl:8:24: role.gd_old_reporting would be destroyed, but \
                        manage.prevent_destroy (\"role.gd_old*\") protects it";
        assert!(out.stderr.contains(expected), "{}", out.stderr);
        assert!(
            out.stderr
                .contains("hint: because the role is not declared and prune_roles is on"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("hint: nothing was changed"),
            "{}",
            out.stderr
        );
    }
    // Nothing was applied: not the drop, and not the creation beside it.
    let roles = "SELECT count(*) FROM pg_roles WHERE rolname IN ('gd_old_reporting', 'gd_keep')";
    assert_eq!(count(&cluster, roles), "1");
    assert_eq!(
        count(
            &cluster,
            "SELECT count(*) FROM pg_roles WHERE rolname = 'gd_old_reporting'"
        ),
        "1"
    );

    // A database left out of the configuration is protected by "database.*".
    cluster.exec("DROP ROLE gd_old_reporting");
    cluster.exec("CREATE DATABASE gd_legacy");
    let out = run(&cluster, dir.path(), &["apply", "--auto-approve"]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains(
            ":8:40: database.gd_legacy would be destroyed, but manage.prevent_destroy (\"database.*\") protects it"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(
        count(
            &cluster,
            "SELECT count(*) FROM pg_database WHERE datname = 'gd_legacy'"
        ),
        "1"
    );

    // The guard looks at what would run: a targeted apply that leaves the
    // drop out goes ahead.
    let out = run(
        &cluster,
        dir.path(),
        &["apply", "--auto-approve", "-target", "role.gd_keep"],
    );
    assert!(out.success(), "{out:?}");
    assert_eq!(count(&cluster, roles), "1");
    assert_eq!(
        count(
            &cluster,
            "SELECT count(*) FROM pg_roles WHERE rolname = 'gd_keep'"
        ),
        "1"
    );
}

fn policy_config(command: &str) -> String {
    format!(
        r#"
database "gd_db" {{}}

table "docs" {{
  database           = "gd_db"
  row_level_security = true
}}

policy "readers" {{
  database = "gd_db"
  table    = "public.docs"
  command  = "{command}"
  using    = "true"
  lifecycle {{
    prevent_destroy = true
  }}
}}
"#
    )
}

#[test]
fn lifecycle_stops_the_replacement_of_a_declared_policy() {
    let cluster = TestCluster::start();
    cluster.exec("CREATE DATABASE gd_db");
    cluster.exec_in("gd_db", "CREATE TABLE docs (id integer)");
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", &policy_config("SELECT"))]);
    let out = run(&cluster, dir.path(), &["apply", "--auto-approve"]);
    assert!(out.success(), "{out:?}");

    // A policy's command cannot change in place: the plan would replace it.
    write_files(dir.path(), &[("main.hcl", &policy_config("ALL"))]);
    let out = run(&cluster, dir.path(), &["apply", "--auto-approve"]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains(
            "main.hcl:15:23: policy.gd_db.public.docs.readers would be replaced (destroyed and \
             created again), but lifecycle.prevent_destroy protects it"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("hint: because a policy's command cannot be changed in place"),
        "{}",
        out.stderr
    );
    let command = cluster
        .psql_in(
            "gd_db",
            "SELECT polcmd::text FROM pg_policy WHERE polname = 'readers'",
        )
        .into_iter()
        .next()
        .and_then(|row| row.into_iter().next())
        .flatten();
    assert_eq!(
        command.as_deref(),
        Some("r"),
        "the policy is still FOR SELECT"
    );
}
