//! The sandbox module and the test harness built on it.

mod common;

use std::net::TcpStream;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use common::TestCluster;
use pgfort::sandbox::{Sandbox, SandboxOptions, find_pg_bin};

fn test_pg_bin() -> PathBuf {
    let explicit = std::env::var_os("PGFORT_TEST_PG_BIN").map(PathBuf::from);
    find_pg_bin(explicit.as_deref()).unwrap()
}

fn accepts_tcp(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

#[test]
fn cluster_accepts_a_password_connection_over_tcp() {
    let cluster = TestCluster::start();
    let rows = cluster.psql(
        "SELECT current_user, host(inet_server_addr()), inet_server_port()::text, \
         current_setting('fsync'), current_setting('password_encryption')",
    );
    let port = cluster.port().to_string();
    let expected = [
        "postgres",
        "127.0.0.1",
        port.as_str(),
        "off",
        "scram-sha-256",
    ];
    let expected: Vec<Option<String>> = expected.iter().map(|v| Some(v.to_string())).collect();
    assert_eq!(rows, vec![expected]);

    let mut wrong = cluster.config("postgres");
    wrong.password("not-the-password");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let err = runtime
        .block_on(wrong.connect(tokio_postgres::NoTls))
        .err()
        .expect("a wrong password must be refused");
    let code = err.as_db_error().map(|db| db.code().code().to_string());
    assert_eq!(code.as_deref(), Some("28P01"), "{err}");
}

#[test]
fn settings_reach_the_server_and_its_log() {
    let cluster = TestCluster::start_with(&[("log_statement", "all")]);
    cluster.exec("SELECT 'marker-in-the-log'");
    assert_eq!(
        cluster.query_value("SHOW log_statement").as_deref(),
        Some("all")
    );
    assert!(cluster.server_log().contains("marker-in-the-log"));
}

#[test]
fn two_clusters_run_at_once_on_different_ports() {
    let one = TestCluster::start();
    let two = TestCluster::start();
    assert_ne!(one.port(), two.port());
    one.exec("CREATE TABLE only_in_one (id int)");
    assert_eq!(
        one.query_value("SELECT to_regclass('only_in_one')::text")
            .as_deref(),
        Some("only_in_one")
    );
    assert_eq!(
        two.query_value("SELECT to_regclass('only_in_one')::text"),
        None
    );
}

#[test]
fn dropping_a_cluster_kills_it_and_removes_its_directory() {
    let cluster = TestCluster::start();
    let (dir, port) = (cluster.dir().to_path_buf(), cluster.port());
    assert!(accepts_tcp(port));
    drop(cluster);
    assert!(!dir.exists());
    assert!(!accepts_tcp(port));

    let stopped = TestCluster::start();
    stopped.sandbox().stop().unwrap();
    assert!(!stopped.sandbox().is_running());
    let dir = stopped.dir().to_path_buf();
    drop(stopped);
    assert!(!dir.exists());
}

#[test]
fn a_panicking_test_still_cleans_up() {
    let dir = std::sync::Mutex::new(PathBuf::new());
    let result = std::panic::catch_unwind(|| {
        let cluster = TestCluster::start();
        *dir.lock().unwrap() = cluster.dir().to_path_buf();
        panic!("test failure");
    });
    assert!(result.is_err());
    let dir = dir.lock().unwrap().clone();
    assert!(!dir.as_os_str().is_empty() && !dir.exists());
}

#[test]
fn sql_errors_come_back_with_their_sqlstate() {
    let cluster = TestCluster::start();
    let err = cluster.try_exec("SELECT * FROM no_such_table").unwrap_err();
    assert!(err.contains("42P01"), "{err}");
    cluster.exec("CREATE DATABASE other");
    assert_eq!(
        cluster.psql_in("other", "SELECT current_database()"),
        vec![vec![Some("other".to_string())]]
    );
}

#[tokio::test]
async fn helpers_work_inside_async_tests() {
    let cluster = TestCluster::start();
    let client = cluster.client("postgres").await;
    client
        .batch_execute("CREATE TABLE t (id int)")
        .await
        .unwrap();
    assert_eq!(
        cluster.query_value("SELECT count(*) FROM t").as_deref(),
        Some("0")
    );
}

#[test]
fn bogus_explicit_pg_bin_is_a_clear_error() {
    let err = find_pg_bin(Some(Path::new("/nonexistent/pg/bin")))
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent/pg/bin"), "{err}");
    assert!(err.contains("does not exist"), "{err}");
    assert!(err.contains("initdb, pg_ctl and postgres"), "{err}");
}

#[test]
fn cluster_env_and_debug_output() {
    let cluster = TestCluster::start();
    let env = cluster.env_vars();
    let get = |name: &str| env.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone());
    assert_eq!(get("PGHOST").as_deref(), Some("127.0.0.1"));
    assert_eq!(get("PGPORT"), Some(cluster.port().to_string()));
    assert_eq!(get("PGPASSWORD").as_deref(), Some(cluster.password()));
    assert!(!format!("{:?}", cluster.sandbox()).contains(cluster.password()));
    // The binary may not do much yet; the helper must still run it.
    assert!(cluster.pgfort(&["--help"]).code.is_some());
}

#[test]
fn sandbox_persists_across_stop_open_start() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("project/.pgfort/sandbox");
    assert!(Sandbox::open(&dir).unwrap().is_none());
    let options = SandboxOptions {
        pg_bin: Some(test_pg_bin()),
        ..SandboxOptions::default()
    };
    let created = Sandbox::create(&dir, &options).unwrap();
    let password_file = created.dir().join("superuser.password");
    assert_eq!(
        std::fs::metadata(&password_file).unwrap().mode() & 0o777,
        0o600
    );
    if unsafe { libc::geteuid() } == 0 {
        assert_ne!(std::fs::metadata(created.data_dir()).unwrap().uid(), 0);
    }
    created.start().unwrap();
    assert!(created.is_running());
    created.start().unwrap();
    let cluster_sql = |sandbox: &Sandbox, sql: &str| {
        let mut config = tokio_postgres::Config::new();
        config
            .host(sandbox.host())
            .port(sandbox.port())
            .user(sandbox.superuser())
            .password(sandbox.password().expose())
            .dbname("postgres");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(connection);
            client.simple_query(sql).await.unwrap().len()
        })
    };
    cluster_sql(&created, "CREATE TABLE kept (id int)");
    created.stop().unwrap();
    assert!(!created.is_running());
    assert!(!accepts_tcp(created.port()));

    let opened = Sandbox::open(&dir).unwrap().unwrap();
    assert_eq!(opened.port(), created.port());
    assert_eq!(opened.password(), created.password());
    assert_eq!(opened.major(), created.major());
    opened.start().unwrap();
    cluster_sql(&opened, "SELECT * FROM kept");
    let err = Sandbox::create(&dir, &options).unwrap_err().to_string();
    assert!(err.contains("stop it"), "{err}");

    opened.stop().unwrap();
    let moved = SandboxOptions {
        port: Some(pgfort::sandbox::pick_free_port().unwrap()),
        ..options
    };
    let recreated = Sandbox::create(&dir, &moved).unwrap();
    assert_eq!(recreated.password(), created.password());
    assert_eq!(Some(recreated.port()), moved.port);
    recreated.start().unwrap();
    cluster_sql(&recreated, "SELECT * FROM kept");
    recreated.destroy().unwrap();
    assert!(!dir.exists());
}

#[test]
fn a_busy_port_is_reported_as_such() {
    let cluster = TestCluster::start();
    cluster.sandbox().stop().unwrap();
    let busy = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = busy.local_addr().unwrap().port();
    let options = SandboxOptions {
        port: Some(port),
        ..SandboxOptions::default()
    };
    let moved = Sandbox::create(cluster.dir(), &options).unwrap();
    let err = moved.start().unwrap_err();
    assert!(
        matches!(err, pgfort::sandbox::SandboxError::PortInUse { port: p } if p == port),
        "{err}"
    );
    assert!(!moved.is_running());
}

#[test]
fn a_stale_pid_file_is_not_a_running_server() {
    let cluster = TestCluster::start();
    cluster.sandbox().stop().unwrap();
    // A pid file left by a crash whose pid now belongs to another process:
    // this very test process, which must not be signalled.
    let stale = format!(
        "{}\n{}\n1700000000\n{}\n\n127.0.0.1\n0 0\nready   \n",
        std::process::id(),
        cluster.sandbox().data_dir().display(),
        cluster.port()
    );
    std::fs::write(cluster.sandbox().data_dir().join("postmaster.pid"), stale).unwrap();
    assert!(!cluster.sandbox().is_running());
    cluster.sandbox().stop().unwrap();
}

#[test]
fn as_root_an_unreachable_directory_is_named() {
    if unsafe { libc::geteuid() } != 0 {
        return; // Only root hands the cluster to another OS user.
    }
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let private = std::fs::Permissions::from_mode(0o700);
    std::fs::set_permissions(tmp.path(), private).unwrap();
    let options = SandboxOptions {
        pg_bin: Some(test_pg_bin()),
        ..SandboxOptions::default()
    };
    let err = Sandbox::create(&tmp.path().join("sandbox"), &options)
        .unwrap_err()
        .to_string();
    let dir = tmp.path().canonicalize().unwrap();
    assert!(
        err.contains(&format!("cannot enter {}", dir.display())),
        "{err}"
    );
    assert!(err.contains("chmod o+x"), "{err}");
}
