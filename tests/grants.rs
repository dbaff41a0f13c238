//! Databases, schemas and least-privilege grants end to end: each target
//! kind through apply → plan empty → drift → plan shows it → apply → empty.

mod common;

use std::path::Path;

use common::{PgfortOutput, TestCluster, workdir, write_files};

fn apply(cluster: &TestCluster, dir: &Path) -> PgfortOutput {
    let out = cluster.pgfort_in(dir, &["apply", "--auto-approve", "--no-color", "."]);
    assert_eq!(out.code, Some(0), "apply failed: {out:?}");
    out
}

fn assert_converged(cluster: &TestCluster, dir: &Path) {
    let out = cluster.plan_in(dir);
    assert_eq!(out.code, Some(0), "expected no changes: {out:?}");
}

/// Applies, checks the plan is empty, runs `drift` by hand, checks the plan
/// shows `expected` (all of them), applies again and checks it converged.
fn cycle(
    cluster: &TestCluster,
    config: &str,
    drift_db: &str,
    drift: &str,
    expected: &[&str],
) -> PgfortOutput {
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", config)]);
    apply(cluster, dir.path());
    assert_converged(cluster, dir.path());
    cluster.exec_in(drift_db, drift);
    let drifted = cluster.pgfort_in(
        dir.path(),
        &[
            "plan",
            "--detailed-exitcode",
            "--no-color",
            "--show-sql",
            ".",
        ],
    );
    assert_eq!(drifted.code, Some(2), "drift not seen: {drifted:?}");
    for needle in expected {
        assert!(
            squash(&drifted.stdout).contains(needle),
            "expected {needle:?} in:\n{}",
            drifted.stdout
        );
    }
    apply(cluster, dir.path());
    assert_converged(cluster, dir.path());
    drifted
}

/// Plan text with runs of spaces folded, so assertions ignore alignment.
fn squash(text: &str) -> String {
    text.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

const BASE: &str = r#"
role "app_owner" {}
role "reader" {
  login = true
}
database "shop" {
  owner = "app_owner"
}
schema "app" {
  database = "shop"
  owner    = "app_owner"
}
"#;

fn setup_objects(cluster: &TestCluster) {
    cluster.exec_in(
        "shop",
        "SET ROLE app_owner;
         CREATE TABLE app.orders (id bigserial PRIMARY KEY, total numeric, note text);
         CREATE TABLE app.items (id int);
         CREATE FUNCTION app.tax(amount numeric, rate integer) RETURNS numeric LANGUAGE sql AS 'SELECT amount * rate / 100';
         CREATE DOMAIN app.money_amount AS numeric;
         RESET ROLE;",
    );
}

/// Creates roles, the database and the schema first, then objects in it.
fn bootstrap(cluster: &TestCluster) {
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", BASE)]);
    apply(cluster, dir.path());
    setup_objects(cluster);
}

#[test]
fn database_privileges_cycle() {
    let cluster = TestCluster::start();
    bootstrap(&cluster);
    let config = format!(
        "{BASE}\ngrant {{\n  to         = [\"reader\"]\n  privileges = [\"CONNECT\", \"TEMP\"]\n  on         = {{ database = \"shop\" }}\n}}\n"
    );
    let drifted = cycle(
        &cluster,
        &config,
        "postgres",
        "REVOKE TEMPORARY ON DATABASE shop FROM reader; GRANT CREATE ON DATABASE shop TO reader",
        &[
            "# grant.reader.shop will be updated in-place",
            "GRANT TEMPORARY ON DATABASE shop TO reader",
            "REVOKE CREATE ON DATABASE shop FROM reader",
        ],
    );
    assert!(
        drifted
            .stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{}",
        drifted.stdout
    );
}

#[test]
fn schema_table_sequence_function_type_and_column_cycle() {
    let cluster = TestCluster::start();
    bootstrap(&cluster);
    let config = format!(
        r#"{BASE}
grant {{
  to         = ["reader"]
  privileges = ["USAGE"]
  on         = {{ database = "shop", schema = "app" }}
}}
grant {{
  to         = ["reader"]
  privileges = ["SELECT", "INSERT"]
  on         = {{ database = "shop", schema = "app", tables = ["orders"] }}
}}
grant {{
  to         = ["reader"]
  privileges = ["USAGE"]
  on         = {{ database = "shop", schema = "app", sequences = ["orders_id_seq"] }}
}}
grant {{
  to         = ["reader"]
  privileges = ["EXECUTE"]
  on         = {{ database = "shop", schema = "app", functions = ["tax(numeric, int)"] }}
}}
grant {{
  to         = ["reader"]
  privileges = ["USAGE"]
  on         = {{ database = "shop", schema = "app", types = ["money_amount"] }}
}}
grant {{
  to         = ["reader"]
  privileges = ["UPDATE"]
  on         = {{ database = "shop", schema = "app", table = "items", columns = ["id"] }}
}}
"#
    );
    cycle(
        &cluster,
        &config,
        "shop",
        "REVOKE INSERT ON app.orders FROM reader;
         GRANT DELETE ON app.items TO reader;
         REVOKE USAGE ON SEQUENCE app.orders_id_seq FROM reader;
         REVOKE EXECUTE ON FUNCTION app.tax(numeric, integer) FROM reader;
         REVOKE UPDATE (id) ON app.items FROM reader;
         GRANT CREATE ON SCHEMA app TO reader;",
        &[
            "GRANT INSERT ON TABLE app.orders TO reader",
            "REVOKE DELETE ON TABLE app.items FROM reader",
            "GRANT USAGE ON SEQUENCE app.orders_id_seq TO reader",
            "GRANT EXECUTE ON ROUTINE app.tax(numeric, integer) TO reader",
            "GRANT UPDATE (id) ON TABLE app.items TO reader",
            "REVOKE CREATE ON SCHEMA app FROM reader",
        ],
    );
    // The grants work for the role itself.
    cluster.exec("ALTER ROLE reader PASSWORD 'reader-pw'");
    let rows = cluster.psql_as("shop", "reader", "reader-pw", "INSERT INTO app.orders (total) VALUES (app.tax(100, 20)::app.money_amount) RETURNING total::int::text");
    assert_eq!(rows[0][0].as_deref(), Some("20"));
}

#[test]
fn all_tables_covers_future_tables_and_default_privileges_drift() {
    let cluster = TestCluster::start();
    bootstrap(&cluster);
    let config = format!(
        r#"{BASE}
grant {{
  to         = ["reader"]
  privileges = ["USAGE"]
  on         = {{ database = "shop", schema = "app" }}
}}
grant {{
  to         = ["reader"]
  privileges = ["SELECT"]
  on         = {{ database = "shop", schema = "app", all = "tables" }}
}}
"#
    );
    let drifted = cycle(
        &cluster,
        &config,
        "shop",
        "ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA app REVOKE SELECT ON TABLES FROM reader",
        &[
            "ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA app GRANT SELECT ON TABLES TO reader",
        ],
    );
    assert!(
        drifted.stdout.contains("future tables of app_owner in app"),
        "{}",
        drifted.stdout
    );

    // A table created later by the schema owner is covered: the plan stays empty.
    cluster.exec_in("shop", "SET ROLE app_owner; CREATE TABLE app.later (x int); INSERT INTO app.later VALUES (7); RESET ROLE;");
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", &config)]);
    assert_converged(&cluster, dir.path());
    cluster.exec("ALTER ROLE reader PASSWORD 'reader-pw'");
    let rows = cluster.psql_as(
        "shop",
        "reader",
        "reader-pw",
        "SELECT x::text FROM app.later",
    );
    assert_eq!(rows[0][0].as_deref(), Some("7"));

    // A table created behind pgfort's back by someone else is drift.
    cluster.exec_in("shop", "CREATE TABLE app.by_superuser (x int)");
    let out = cluster.plan_in(dir.path());
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(
        out.stdout.contains("+1: app.by_superuser"),
        "{}",
        out.stdout
    );
}

#[test]
fn public_create_on_schema_public_is_revoked_when_public_privileges_are_managed() {
    let cluster = TestCluster::start();
    bootstrap(&cluster);
    cluster.exec_in("shop", "GRANT CREATE ON SCHEMA public TO PUBLIC");
    let dir = workdir();
    let config = format!(
        r#"{BASE}
manage {{
  public_privileges = true
}}
grant {{
  to         = ["PUBLIC"]
  privileges = ["USAGE"]
  on         = {{ database = "shop", schema = "public" }}
}}
grant {{
  to         = ["PUBLIC"]
  privileges = ["CONNECT"]
  on         = {{ database = "shop" }}
}}
"#
    );
    write_files(dir.path(), &[("main.hcl", &config)]);
    let out = cluster.pgfort_in(dir.path(), &["plan", "--show-sql", "--no-color", "."]);
    assert!(
        out.stdout
            .contains("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("REVOKE TEMPORARY ON DATABASE shop FROM PUBLIC"),
        "{}",
        out.stdout
    );
    apply(&cluster, dir.path());
    assert_converged(&cluster, dir.path());
    let acl = cluster.psql_in(
        "shop",
        "SELECT has_schema_privilege('reader', 'public', 'CREATE')::text",
    );
    assert_eq!(acl[0][0].as_deref(), Some("false"));
}

#[test]
fn stray_privileges_of_managed_roles_are_revoked_but_owners_keep_theirs() {
    let cluster = TestCluster::start();
    bootstrap(&cluster);
    cluster.exec_in(
        "shop",
        "GRANT SELECT, UPDATE ON app.items TO reader; GRANT SELECT ON app.items TO PUBLIC",
    );
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", BASE)]);
    let out = cluster.plan_in(dir.path());
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(
        out.stdout
            .contains("# grant.reader.shop.app.tables will be destroyed"),
        "{}",
        out.stdout
    );
    apply(&cluster, dir.path());
    assert_converged(&cluster, dir.path());
    let check = cluster.psql_in(
        "shop",
        "SELECT has_table_privilege('reader', 'app.items', 'UPDATE')::text, has_table_privilege('app_owner', 'app.items', 'UPDATE')::text",
    );
    assert_eq!(
        check[0],
        vec![Some("false".to_owned()), Some("true".to_owned())]
    );
}

#[test]
fn databases_cycle_and_immutable_attributes() {
    let cluster = TestCluster::start();
    let config = r#"
role "app_owner" {}
database "inventory" {
  owner            = "app_owner"
  encoding         = "UTF8"
  connection_limit = 20
  settings         = { work_mem = "16MB" }
  comment          = "stock levels"
}
"#;
    cycle(
        &cluster,
        config,
        "postgres",
        "ALTER DATABASE inventory CONNECTION LIMIT 3; ALTER DATABASE inventory RESET work_mem; COMMENT ON DATABASE inventory IS 'x'",
        &[
            "~ connection_limit = 3 -> 20",
            "database.inventory will be updated in-place",
            "SET work_mem = '16MB'",
        ],
    );
    let dir = workdir();
    write_files(
        dir.path(),
        &[("main.hcl", &config.replace("UTF8", "LATIN1"))],
    );
    let out = cluster.plan_in(dir.path());
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains("cannot change a database's encoding"),
        "{}",
        out.stderr
    );
}

#[test]
fn privileges_on_objects_pgfort_cannot_grant_fail_the_plan() {
    let cluster = TestCluster::start();
    bootstrap(&cluster);
    cluster.exec("CREATE ROLE deployer LOGIN CREATEROLE PASSWORD 'deployer-pw'; GRANT CONNECT ON DATABASE shop TO deployer");
    let dir = workdir();
    let config = format!(
        r#"{BASE}
role "deployer" {{
  login      = true
  createrole = true
}}
grant {{
  to         = ["deployer"]
  privileges = ["CONNECT"]
  on         = {{ database = "shop" }}
}}
grant {{
  to         = ["reader"]
  privileges = ["SELECT"]
  on         = {{ database = "shop", schema = "app", tables = ["orders"] }}
}}
"#
    );
    write_files(dir.path(), &[("main.hcl", &config)]);
    let out = cluster
        .command()
        .current_dir(dir.path())
        .env("PGUSER", "deployer")
        .env("PGPASSWORD", "deployer-pw")
        .args(["plan", "."])
        .output()
        .expect("run pgfort");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot change privileges on app.orders (owner app_owner)"),
        "{stderr}"
    );
}

#[test]
fn undeclared_databases_are_dropped_only_when_pruning() {
    let cluster = TestCluster::start();
    cluster.exec("CREATE DATABASE scratch");
    cluster.exec("CREATE DATABASE keep_archive");
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", "database \"kept\" {}\n")]);
    apply(&cluster, dir.path());
    assert_converged(&cluster, dir.path());
    let exists = |name: &str| {
        cluster.query_value(&format!(
            "SELECT count(*) FROM pg_database WHERE datname = '{name}'"
        ))
    };
    assert_eq!(exists("scratch").as_deref(), Some("1"));

    write_files(
        dir.path(),
        &[(
            "manage.hcl",
            "manage {\n  prune_databases  = true\n  ignore_databases = [\"keep_*\"]\n}\n",
        )],
    );
    let out = cluster.plan_in(dir.path());
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(
        out.stdout.contains("# database.scratch will be destroyed"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("database.postgres"), "{}", out.stdout);
    assert!(!out.stdout.contains("database.template"), "{}", out.stdout);
    apply(&cluster, dir.path());
    assert_eq!(exists("scratch").as_deref(), Some("0"));
    assert_eq!(exists("kept").as_deref(), Some("1"));
    assert_eq!(exists("keep_archive").as_deref(), Some("1"));
    assert_converged(&cluster, dir.path());
}

/// PUBLIC's default privileges on a database created by the same apply
/// are revoked there and then (there was no live catalog to read them
/// from), so the check after apply and the next plan find nothing to do.
#[test]
fn public_privileges_on_a_database_created_in_the_same_apply() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(
        dir.path(),
        &[(
            "main.hcl",
            r#"
manage {
  public_privileges = true
}

database "fresh" {}

grant {
  to         = ["public"]
  privileges = ["CONNECT"]
  on         = { database = "fresh" }
}
"#,
        )],
    );
    let applied = cluster.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}");
    assert_eq!(cluster.plan_in(dir.path()).code, Some(0));
    let acl = cluster
        .query_value("SELECT datacl::text FROM pg_database WHERE datname = 'fresh'")
        .unwrap();
    assert!(acl.contains("=c/"), "PUBLIC keeps CONNECT: {acl}");
    assert!(
        !acl.contains("=Tc/") && !acl.contains("=cT/"),
        "TEMPORARY revoked: {acl}"
    );
}
