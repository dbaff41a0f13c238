//! Restart-only settings and tuning end to end, each test on a cluster of
//! its own: pending restarts in plans until the restart, apply
//! --restart-if-needed, `pgfort tune`, and the tuned-server example.

mod common;

use std::path::Path;

use common::{PgfortOutput, TestCluster, squash, workdir, write_files};

fn plan(cluster: &TestCluster, dir: &Path) -> PgfortOutput {
    cluster.pgfort_in(dir, &["plan", "--detailed-exitcode", "--no-color", "."])
}

fn apply(cluster: &TestCluster, dir: &Path) -> PgfortOutput {
    cluster.pgfort_in(dir, &["apply", "--auto-approve", "--no-color", "."])
}

#[test]
fn restart_only_settings_are_reported_until_the_restart() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(
        dir.path(),
        &[("main.hcl", "settings {\n  shared_buffers = \"256MB\"\n}\n")],
    );
    let before = plan(&cluster, dir.path());
    assert_eq!(before.code, Some(2), "{before:?}");
    assert!(
        before.stdout.contains("# requires restart"),
        "{}",
        before.stdout
    );

    let applied = apply(&cluster, dir.path());
    assert!(applied.success(), "{applied:?}");
    assert!(
        applied.stdout.contains("Needs restart"),
        "{}",
        applied.stdout
    );
    assert!(
        applied
            .stdout
            .contains("shared_buffers: running 128MB, configured 256MB"),
        "{}",
        applied.stdout
    );

    // A pending restart is not a change, but every plan says so.
    let pending = plan(&cluster, dir.path());
    assert_eq!(pending.code, Some(0), "{pending:?}");
    assert!(
        pending.stdout.contains("Restart pending"),
        "{}",
        pending.stdout
    );
    assert!(
        pending.stdout.contains("needs restart") && !pending.stdout.contains("No changes"),
        "{}",
        pending.stdout
    );
    let json = cluster.pgfort_in(dir.path(), &["plan", "--json", "."]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(doc["pending_restart"][0]["setting"], "shared_buffers");
    assert_eq!(doc["pending_restart"][0]["configured"], "256MB");

    cluster.restart();
    let after = plan(&cluster, dir.path());
    assert_eq!(after.code, Some(0), "{after:?}");
    assert!(
        !after.stdout.contains("Restart pending"),
        "{}",
        after.stdout
    );
    assert_eq!(
        cluster.query_value("SHOW shared_buffers").as_deref(),
        Some("256MB")
    );
}

#[test]
fn restart_if_needed_restarts_the_sandbox_or_the_data_directory() {
    let cluster = TestCluster::start();
    let dir = workdir();
    let sandbox_dir = cluster.dir().display().to_string();
    write_files(
        dir.path(),
        &[("main.hcl", "settings {\n  max_connections = 40\n}\n")],
    );
    let out = cluster.pgfort_in(
        dir.path(),
        &[
            "apply",
            "--auto-approve",
            "--restart-if-needed",
            "--sandbox",
            "--sandbox-dir",
            &sandbox_dir,
            ".",
        ],
    );
    assert!(out.success(), "{out:?}");
    assert!(out.stdout.contains("Restart complete"), "{}", out.stdout);
    quiet_restart(&out.stderr);
    assert_eq!(
        cluster.query_value("SHOW max_connections").as_deref(),
        Some("40")
    );

    let data_dir = cluster.sandbox().data_dir().display().to_string();
    write_files(
        dir.path(),
        &[("main.hcl", "settings {\n  max_connections = 50\n}\n")],
    );
    let out = cluster.pgfort_in(
        dir.path(),
        &[
            "apply",
            "--auto-approve",
            "--restart-if-needed",
            "--pgdata",
            &data_dir,
            ".",
        ],
    );
    assert!(out.success(), "{out:?}");
    quiet_restart(&out.stderr);
    assert_eq!(
        cluster.query_value("SHOW max_connections").as_deref(),
        Some("50")
    );
    assert_eq!(plan(&cluster, dir.path()).code, Some(0));

    // Not this server's data directory, or no local control: refused
    // before anything changes.
    write_files(
        dir.path(),
        &[("main.hcl", "settings {\n  max_connections = 60\n}\n")],
    );
    let other = workdir();
    let out = cluster.pgfort_in(
        dir.path(),
        &[
            "apply",
            "--auto-approve",
            "--restart-if-needed",
            "--pgdata",
            &other.path().display().to_string(),
            ".",
        ],
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains("is not the data directory"),
        "{}",
        out.stderr
    );
    let out = cluster.pgfort_in(
        dir.path(),
        &["apply", "--auto-approve", "--restart-if-needed", "."],
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(plan(&cluster, dir.path()).code, Some(2));
}

/// The sessions the restart ends are expected to end: no warning about
/// them. (Colour off a terminal is checked in `cli.rs`: these runs set
/// NO_COLOR.)
fn quiet_restart(stderr: &str) {
    assert!(!stderr.contains("WARN"), "{stderr}");
}

#[test]
fn tune_prints_a_settings_block_that_plans() {
    let cluster = TestCluster::start();
    let out = cluster.pgfort(&[
        "tune",
        "--memory",
        "16GB",
        "--cpus",
        "4",
        "--connections",
        "200",
        "--storage",
        "ssd",
        "--workload",
        "web",
        "--pg-version",
        "15",
    ]);
    assert!(out.success(), "{out:?}");
    for line in [
        "shared_buffers                   = \"4GB\"",
        "effective_cache_size             = \"12GB\"",
        "maintenance_work_mem             = \"1GB\"",
        "random_page_cost                 = 1.1",
        "effective_io_concurrency         = 200",
        "wal_buffers                      = \"16MB\"",
        "min_wal_size                     = \"1GB\"",
        "max_wal_size                     = \"4GB\"",
        "checkpoint_completion_target     = 0.9",
    ] {
        assert!(out.stdout.contains(line), "{line}\n{}", out.stdout);
    }
    // The block is a valid configuration that the server accepts (less
    // lz4 WAL compression where the server is built without lz4).
    let lz4 = cluster.query_value(
        "SELECT count(*) FROM pg_settings WHERE name = 'wal_compression' AND 'lz4' = ANY(enumvals)",
    );
    let block: String = out
        .stdout
        .lines()
        .filter(|line| lz4.as_deref() == Some("1") || !line.contains("wal_compression"))
        .map(|line| format!("{line}\n"))
        .collect();
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", &block)]);
    let planned = plan(&cluster, dir.path());
    assert_eq!(planned.code, Some(2), "{planned:?}");
    assert!(
        planned.stdout.contains("# requires restart"),
        "{}",
        planned.stdout
    );
}

#[test]
fn tuned_server_example_applies_restarts_and_plans_empty() {
    let cluster = TestCluster::start();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/tuned-server");
    let example = example.display().to_string();
    let sandbox_dir = cluster.dir().display().to_string();
    let target = [
        "--sandbox",
        "--sandbox-dir",
        &sandbox_dir,
        "-var",
        "memory=1GB",
    ];
    let mut args = vec![
        "apply",
        "--auto-approve",
        "--no-color",
        "--restart-if-needed",
    ];
    args.extend_from_slice(&target);
    args.push(&example);
    let out = cluster.pgfort(&args);
    assert!(out.success(), "{out:?}");
    let text = squash(&out.stdout);
    assert!(
        text.contains("# (because tune computed it for 1GB RAM, 4 CPUs, 200 connections, ssd storage, web workload)"),
        "{text}"
    );
    assert!(text.contains("Restart complete"), "{text}");

    let mut args = vec!["plan", "--detailed-exitcode", "--no-color"];
    args.extend_from_slice(&target);
    args.push(&example);
    let plan = cluster.pgfort(&args);
    assert_eq!(plan.code, Some(0), "{plan:?}");
    assert!(!plan.stdout.contains("Restart pending"), "{}", plan.stdout);

    for (name, value) in [
        ("shared_buffers", "256MB"),
        ("effective_cache_size", "768MB"),
        ("max_connections", "200"),
        ("work_mem", "16MB"),
        ("log_statement", "mod"),
        ("shared_preload_libraries", "pg_stat_statements"),
    ] {
        assert_eq!(
            cluster.query_value(&format!("SHOW {name}")).as_deref(),
            Some(value),
            "{name}"
        );
    }
    let rows = cluster.psql_in("app", "SELECT count(*) >= 0 FROM pg_stat_statements");
    assert_eq!(rows[0][0].as_deref(), Some("t"));
}
