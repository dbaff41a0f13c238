//! Apply and locks: the one-pgfort-at-a-time lock lost with pgfort's main
//! session; statements that wait for a table lock (lock_timeout, who
//! blocks); a killed pgfort whose queued statements must not commit; and
//! what a failed apply says it did.

mod common;

use std::process::Stdio;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{TestCluster, workdir, write_files};
use tokio_postgres::NoTls;

/// A session holding a transaction open (e.g. a table lock) until dropped.
struct Blocker {
    pid: i32,
    release: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Blocker {
    fn drop(&mut self) {
        drop(self.release.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs `BEGIN; <sql>` in `db` and keeps the transaction open (then rolls
/// it back) until the guard is dropped.
fn block(cluster: &TestCluster, db: &str, sql: &str) -> Blocker {
    let config = cluster.config(db);
    let sql = sql.to_owned();
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let (client, connection) = config.connect(NoTls).await.expect("connect");
            tokio::spawn(connection);
            client.batch_execute("BEGIN").await.expect("begin");
            client
                .batch_execute(&sql)
                .await
                .expect("blocking statement");
            let pid: i32 = client
                .query_one("SELECT pg_backend_pid()", &[])
                .await
                .expect("pid")
                .get(0);
            let _ = started_tx.send(pid);
            let _ = tokio::task::spawn_blocking(move || release_rx.recv()).await;
            let _ = client.batch_execute("ROLLBACK").await;
        });
    });
    let pid = started_rx.recv().expect("the blocker started");
    Blocker {
        pid,
        release: Some(release_tx),
        thread: Some(thread),
    }
}

/// Databases d1, d2, d3 with table `t` (and `u` in d1), RLS off.
fn databases(cluster: &TestCluster) {
    for db in ["d1", "d2", "d3"] {
        cluster.exec(&format!("CREATE DATABASE {db}"));
        cluster.exec_in(db, "CREATE TABLE t (id int); CREATE TABLE u (id int)");
    }
}

/// RLS on for `t` and `u` of every database: one transaction per database.
fn config() -> String {
    let mut text = String::new();
    for db in ["d1", "d2", "d3"] {
        for table in ["t", "u"] {
            text.push_str(&format!(
                "table \"{table}\" {{\n  database = \"{db}\"\n  schema = \"public\"\n  row_level_security = true\n}}\n"
            ));
        }
    }
    text
}

fn rls(cluster: &TestCluster, db: &str, table: &str) -> bool {
    let rows = cluster.psql_in(
        db,
        &format!("SELECT relrowsecurity FROM pg_class WHERE oid = 'public.{table}'::regclass"),
    );
    rows[0][0].as_deref() == Some("t")
}

/// Waits until a pgfort session waits for a lock in `db`.
fn wait_for_pgfort_waiting(cluster: &TestCluster, db: &str) {
    let started = Instant::now();
    loop {
        let waiting = cluster.query_value(&format!(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgfort' \
             AND datname = '{db}' AND wait_event_type = 'Lock'"
        ));
        if waiting.as_deref() != Some("0") {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "pgfort never waited for the lock in {db}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn losing_the_main_session_stops_apply_before_the_next_commit() {
    let cluster = TestCluster::start();
    databases(&cluster);
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", &config())]);
    let blocker = block(&cluster, "d2", "LOCK TABLE t IN ACCESS SHARE MODE");

    let out = std::thread::scope(|scope| {
        let run = scope.spawn(|| {
            cluster.pgfort_in(
                dir.path(),
                &[
                    "apply",
                    "--auto-approve",
                    "--no-color",
                    "--statement-lock-timeout",
                    "60s",
                    ".",
                ],
            )
        });
        wait_for_pgfort_waiting(&cluster, "d2");
        // pgfort's main session: the one holding the apply lock.
        let key = pgfort::apply::lock::LOCK_KEY;
        let terminated = cluster.query_value(&format!(
            "SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l \
             JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'pgfort' \
             AND l.objid = ({key}::bigint & 4294967295)::oid \
             AND l.classid = ({key}::bigint >> 32)::oid"
        ));
        assert_eq!(terminated.as_deref(), Some("1"));
        // Another pgfort run could take the lock now; this one must stop.
        let second = cluster.hold_advisory_lock(key);
        drop(blocker);
        let out = run.join().expect("apply thread");
        drop(second);
        out
    });
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains("the pgfort apply lock was lost"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "committed before the failure: the transaction in database \"d1\" (2 statements)"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "not applied: the transaction in database \"d2\" (2 statements), the transaction in database \"d3\" (2 statements)"
        ),
        "{}",
        out.stderr
    );
    assert!(rls(&cluster, "d1", "t") && rls(&cluster, "d1", "u"));
    for db in ["d2", "d3"] {
        assert!(
            !rls(&cluster, db, "t"),
            "{db}.t committed after the lock was lost"
        );
        assert!(
            !rls(&cluster, db, "u"),
            "{db}.u committed after the lock was lost"
        );
    }

    let again = cluster.apply_in(dir.path());
    assert!(again.success(), "{again:?}");
    for db in ["d1", "d2", "d3"] {
        assert!(rls(&cluster, db, "t") && rls(&cluster, db, "u"));
    }
}

#[test]
fn a_statement_waiting_for_a_table_lock_gives_up_and_names_the_blocker() {
    let cluster = TestCluster::start();
    databases(&cluster);
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", &config())]);
    let blocker = block(&cluster, "d1", "LOCK TABLE u IN ACCESS EXCLUSIVE MODE");

    let started = Instant::now();
    let out = cluster.pgfort_in(
        dir.path(),
        &[
            "apply",
            "--auto-approve",
            "--no-color",
            "--statement-lock-timeout",
            "1s",
            ".",
        ],
    );
    let elapsed = started.elapsed();
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
    assert!(out.stderr.contains("55P03"), "{}", out.stderr);
    assert!(out.stderr.contains("lock timeout"), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "table public.u is locked by backend pid {} (AccessExclusiveLock",
            blocker.pid
        )),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("ROW LEVEL SECURITY"), "{}", out.stderr);
    assert!(
        out.stderr.contains("committed before the failure: nothing"),
        "{}",
        out.stderr
    );
    drop(blocker);
    for db in ["d1", "d2", "d3"] {
        assert!(!rls(&cluster, db, "t") && !rls(&cluster, db, "u"));
    }
    // No lock of pgfort's is left queued in front of readers.
    assert_eq!(
        cluster
            .psql_in("d1", "SELECT count(*) FROM u")
            .first()
            .and_then(|r| r[0].clone())
            .as_deref(),
        Some("0")
    );
}

#[test]
fn a_killed_apply_does_not_commit_its_queued_statements() {
    let cluster = TestCluster::start();
    databases(&cluster);
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", &config())]);
    // The last statement of the transaction waits. When COMMIT was
    // pipelined right behind it, the server ran it as soon as the lock came
    // free (the first write to the dead socket still succeeds), and this
    // test failed.
    let blocker = block(&cluster, "d1", "LOCK TABLE u IN ACCESS SHARE MODE");

    let mut child = cluster
        .command()
        .current_dir(dir.path())
        .args([
            "apply",
            "--auto-approve",
            "--no-color",
            "--statement-lock-timeout",
            "0",
            ".",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("pgfort starts");
    wait_for_pgfort_waiting(&cluster, "d1");
    // SIGKILL: no destructor, no ROLLBACK, sockets closed by the kernel.
    child.kill().expect("kill -9 pgfort");
    let _ = child.wait();
    drop(blocker);
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        !rls(&cluster, "d1", "t") && !rls(&cluster, "d1", "u"),
        "the killed apply's transaction committed"
    );
    let leftovers = cluster
        .query_value("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgfort'");
    assert_eq!(leftovers.as_deref(), Some("0"));
}

#[test]
fn a_failed_apply_says_what_it_committed_and_which_block_failed() {
    let cluster = TestCluster::start();
    let dir = workdir();
    let config = "role \"pa_owner\" {}\n\ndatabase \"pa_db\" {\n  owner  = \"pa_owner\"\n  locale = \"xx_XX.bogus\"\n}\n";
    write_files(dir.path(), &[("main.hcl", config)]);
    let out = cluster.pgfort_in(dir.path(), &["apply", "--auto-approve", "--no-color", "."]);
    assert_eq!(out.code, Some(1), "{out:?}");
    for expected in [
        "statement: CREATE DATABASE pa_db OWNER pa_owner",
        "from: database.pa_db (./main.hcl:3:10)",
        "committed before the failure: the cluster-wide transaction (1 statement)",
        "not applied: `CREATE DATABASE pa_db",
    ] {
        assert!(
            out.stderr.contains(expected),
            "{expected:?} in:\n{}",
            out.stderr
        );
    }
    // What it says is what happened.
    assert_eq!(
        cluster.query_value("SELECT count(*) FROM pg_roles WHERE rolname = 'pa_owner'"),
        Some("1".to_owned())
    );
    assert_eq!(
        cluster.query_value("SELECT count(*) FROM pg_database WHERE datname = 'pa_db'"),
        Some("0".to_owned())
    );
}
