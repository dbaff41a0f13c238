//! Extensions end to end: create, version and schema drift, pruning,
//! unknown extensions, and pg_stat_statements through
//! shared_preload_libraries and a restart. Each test has its own cluster.

mod common;

use common::{TestCluster, squash, workdir, write_files};

/// `name version schema` of every extension in `db`.
fn extensions(cluster: &TestCluster, db: &str) -> Vec<String> {
    cluster
        .psql_in(
            db,
            "SELECT e.extname || ' ' || e.extversion || ' ' || n.nspname
             FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1",
        )
        .into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
        .collect()
}

#[test]
fn pg_stat_statements_answers_after_apply_and_restart() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(
        dir.path(),
        &[(
            "main.hcl",
            "database \"app\" {}\n\nextension \"pg_stat_statements\" {\n  database = \"app\"\n}\n",
        )],
    );
    let first = cluster.plan_in(dir.path());
    assert_eq!(first.code, Some(2), "{first:?}");
    let text = squash(&first.stdout);
    assert!(
        text.contains("+ extension \"app.pg_stat_statements\""),
        "{text}"
    );
    assert!(
        text.contains(
            "# setting.shared_preload_libraries will be created # (because extension pg_stat_statements in app needs pg_stat_statements) # requires restart"
        ),
        "{text}"
    );

    let applied = cluster.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}");
    assert!(
        applied.stdout.contains("Needs restart"),
        "{}",
        applied.stdout
    );
    let installed = extensions(&cluster, "app");
    assert!(
        installed
            .iter()
            .any(|e| e.starts_with("pg_stat_statements ")),
        "{installed:?}"
    );
    let pending = cluster.plan_in(dir.path());
    assert_eq!(pending.code, Some(0), "{pending:?}");
    assert!(
        pending
            .stdout
            .contains("shared_preload_libraries: running \"\", configured pg_stat_statements"),
        "{}",
        pending.stdout
    );
    assert!(
        cluster
            .try_psql_in("app", "SELECT count(*) FROM pg_stat_statements")
            .is_err()
    );

    cluster.restart();
    let after = cluster.plan_in(dir.path());
    assert_eq!(after.code, Some(0), "{after:?}");
    assert!(
        !after.stdout.contains("Restart pending"),
        "{}",
        after.stdout
    );
    cluster.exec_in("app", "SELECT 1 + 1");
    let calls = cluster.psql_in(
        "app",
        "SELECT count(*) > 0 FROM pg_stat_statements WHERE query LIKE 'SELECT $1 + $2%'",
    );
    assert_eq!(calls[0][0].as_deref(), Some("t"));
}

#[test]
fn extension_cycle_with_version_and_schema() {
    let cluster = TestCluster::start();
    let dir = workdir();
    let config = r#"
database "app" {}

schema "ext" {
  database = "app"
}

extension "pg_trgm" {
  database = "app"
  version  = "1.4"
}

extension "citext" {
  database = "app"
  schema   = "ext"
}

extension "earthdistance" {
  database = "app"
  cascade  = true
}
"#;
    write_files(dir.path(), &[("main.hcl", config)]);
    let applied = cluster.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}");
    let installed = extensions(&cluster, "app");
    assert!(
        installed.contains(&"pg_trgm 1.4 public".to_owned()),
        "{installed:?}"
    );
    assert!(
        installed
            .iter()
            .any(|e| e.starts_with("citext ") && e.ends_with(" ext")),
        "{installed:?}"
    );
    assert!(
        installed.iter().any(|e| e.starts_with("cube ")),
        "{installed:?}"
    );
    assert_eq!(cluster.plan_in(dir.path()).code, Some(0));

    // Drift: updated and moved by hand.
    cluster.exec_in(
        "app",
        "ALTER EXTENSION pg_trgm UPDATE TO '1.5'; ALTER EXTENSION citext SET SCHEMA public;",
    );
    let drift = cluster.plan_in(dir.path());
    assert_eq!(drift.code, Some(2), "{drift:?}");
    let text = squash(&drift.stdout);
    assert!(
        text.contains("~ extension \"app.pg_trgm\" { ~ version = 1.5 -> 1.4 }"),
        "{text}"
    );
    assert!(
        text.contains("~ extension \"app.citext\" { ~ schema = public -> ext }"),
        "{text}"
    );
    // A downgrade has no update script: the server refuses it, nothing
    // is changed in that database.
    let refused = cluster.apply_in(dir.path());
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(refused.stderr.contains("pg_trgm"), "{}", refused.stderr);

    write_files(
        dir.path(),
        &[("main.hcl", &config.replace("\"1.4\"", "\"1.5\""))],
    );
    assert!(cluster.apply_in(dir.path()).success());
    assert_eq!(cluster.plan_in(dir.path()).code, Some(0));
    let installed = extensions(&cluster, "app");
    assert!(
        installed.contains(&"pg_trgm 1.5 public".to_owned()),
        "{installed:?}"
    );
    assert!(
        installed
            .iter()
            .any(|e| e.starts_with("citext ") && e.ends_with(" ext")),
        "{installed:?}"
    );
}

#[test]
fn prune_extensions_drops_what_is_not_declared() {
    let cluster = TestCluster::start();
    let dir = workdir();
    cluster.exec("CREATE DATABASE app");
    cluster.exec_in(
        "app",
        "CREATE EXTENSION cube; CREATE EXTENSION earthdistance; CREATE EXTENSION hstore; CREATE EXTENSION pg_trgm;",
    );
    let config = "manage {\n  prune_extensions = true\n}\n\ndatabase \"app\" {}\n\nextension \"pg_trgm\" {\n  database = \"app\"\n}\n";
    write_files(dir.path(), &[("main.hcl", config)]);
    let out = cluster.plan_in(dir.path());
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(
        out.stdout
            .contains("Plan: 0 to add, 0 to change, 3 to destroy."),
        "{}",
        out.stdout
    );
    assert!(cluster.apply_in(dir.path()).success());
    let left: Vec<String> = extensions(&cluster, "app")
        .iter()
        .map(|e| e.split(' ').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(left, ["pg_trgm", "plpgsql"]);
    assert_eq!(cluster.plan_in(dir.path()).code, Some(0));
}

#[test]
fn unknown_extensions_stop_the_plan() {
    let cluster = TestCluster::start();
    let dir = workdir();
    let original = std::fs::read(cluster.sandbox().data_dir().join("postgresql.auto.conf"))
        .expect("postgresql.auto.conf");
    let cases: &[(&str, &str, &str)] = &[
        (
            "extension \"pg_trgn\" {\n  database = \"postgres\"\n}\n",
            "main.hcl:1:11: extension \"pg_trgn\" is not available on the server",
            "did you mean \"pg_trgm\"?",
        ),
        (
            "extension \"pg_trgm\" {\n  database = \"postgres\"\n  version  = \"9.9\"\n}\n",
            "main.hcl:3:14: version \"9.9\" of extension \"pg_trgm\" is not available",
            "available versions:",
        ),
        (
            "extension \"earthdistance\" {\n  database = \"postgres\"\n}\n",
            "requires \"cube\", which is not installed",
            "cascade = true",
        ),
        (
            "settings {\n  log_statement = \"all\"\n}\n\nextension \"pg_stat_statements\" {\n  database = \"nowhere\"\n}\n",
            "database \"nowhere\" does not exist and is not declared",
            "",
        ),
    ];
    for (config, message, hint) in cases {
        write_files(dir.path(), &[("main.hcl", config)]);
        let out = cluster.apply_in(dir.path());
        assert_eq!(out.code, Some(1), "{config}: {out:?}");
        assert!(out.stderr.contains(message), "{config}: {}", out.stderr);
        assert!(out.stderr.contains(hint), "{config}: {}", out.stderr);
    }
    assert_eq!(extensions(&cluster, "postgres"), ["plpgsql 1.0 pg_catalog"]);
    let after = std::fs::read(cluster.sandbox().data_dir().join("postgresql.auto.conf"))
        .expect("postgresql.auto.conf");
    assert_eq!(after, original);
}
