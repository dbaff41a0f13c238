//! The shipped role-shape configurations (modules/) applied to a real
//! server, and checked by logging in as the roles they create.

mod common;

use std::path::PathBuf;

use common::TestCluster;

fn module(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("modules")
        .join(name)
        .display()
        .to_string()
}

/// A database with a schema owned by app_owner and a table with a serial
/// key created before pgfort runs, as an application's migrations would.
fn shop(cluster: &TestCluster) {
    cluster.exec("CREATE ROLE app_owner");
    cluster.exec("CREATE DATABASE shop OWNER app_owner");
    cluster.exec_in("shop", "SET ROLE app_owner; CREATE SCHEMA app; CREATE TABLE app.orders (id bigserial PRIMARY KEY, note text); RESET ROLE;");
}

#[test]
fn app_user_can_do_its_job_and_no_more() {
    let cluster = TestCluster::start();
    shop(&cluster);
    let args = [
        "-var",
        "database=shop",
        "-var",
        "schemas=[\"app\"]",
        "-var",
        "password=App-Pass-123",
    ];
    let dir = module("app-user");
    let mut apply = vec!["apply", "--auto-approve"];
    apply.extend_from_slice(&args);
    apply.push(&dir);
    let out = cluster.pgfort(&apply);
    assert_eq!(out.code, Some(0), "{out:?}");
    let mut plan = vec!["plan", "--detailed-exitcode"];
    plan.extend_from_slice(&args);
    plan.push(&dir);
    assert_eq!(cluster.pgfort(&plan).code, Some(0));

    // CONNECT, USAGE, DML on tables and USAGE on sequences (bigserial).
    let rows = cluster.psql_as(
        "shop",
        "app_user",
        "App-Pass-123",
        "INSERT INTO app.orders (note) VALUES ('first');
         UPDATE app.orders SET note = 'changed';
         SELECT count(*)::text FROM app.orders;",
    );
    assert_eq!(rows[0][0].as_deref(), Some("1"));
    // A table the owner creates later works without another apply.
    cluster.exec_in(
        "shop",
        "SET ROLE app_owner; CREATE TABLE app.later (id serial, v text); RESET ROLE;",
    );
    cluster.psql_as(
        "shop",
        "app_user",
        "App-Pass-123",
        "INSERT INTO app.later (v) VALUES ('x'); DELETE FROM app.later;",
    );
    assert_eq!(
        cluster.pgfort(&plan).code,
        Some(0),
        "a new table must not cause drift"
    );
    // No DDL, no TRUNCATE.
    for forbidden in [
        "CREATE TABLE app.mine (x int)",
        "TRUNCATE app.orders",
        "DROP TABLE app.orders",
    ] {
        let failed = std::panic::catch_unwind(|| {
            cluster.psql_as("shop", "app_user", "App-Pass-123", forbidden)
        });
        assert!(failed.is_err(), "app_user must not be allowed: {forbidden}");
    }
}

#[test]
fn readonly_role_reads_but_cannot_write() {
    let cluster = TestCluster::start();
    shop(&cluster);
    let dir = module("readonly-role");
    let out = cluster.pgfort(&[
        "apply",
        "--auto-approve",
        "-var",
        "database=shop",
        "-var",
        "schemas=[\"app\"]",
        &dir,
    ]);
    assert_eq!(out.code, Some(0), "{out:?}");
    cluster.exec("CREATE ROLE analyst LOGIN PASSWORD 'analyst-pw' IN ROLE readonly");
    cluster.exec_in("shop", "INSERT INTO app.orders (note) VALUES ('seen')");
    let rows = cluster.psql_as(
        "shop",
        "analyst",
        "analyst-pw",
        "SELECT note FROM app.orders",
    );
    assert_eq!(rows[0][0].as_deref(), Some("seen"));
    let write = std::panic::catch_unwind(|| {
        cluster.psql_as("shop", "analyst", "analyst-pw", "DELETE FROM app.orders")
    });
    assert!(write.is_err(), "readonly must not delete");
}
