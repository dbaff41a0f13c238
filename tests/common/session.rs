//! Helpers that hold a connection open: logging in as a role, holding a
//! lock while the test runs pgfort.

use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio_postgres::NoTls;

use super::TestCluster;

/// Keeps a session holding an advisory lock until dropped.
pub struct LockHolder {
    release: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for LockHolder {
    fn drop(&mut self) {
        drop(self.release.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl TestCluster {
    /// Connects as `user` with `password` over TCP and runs a query; panics
    /// with the server's message if the login is refused.
    pub fn check_login(&self, user: &str, password: &str) {
        let rows = self.psql_as("postgres", user, password, "SELECT current_user::text");
        assert_eq!(rows[0][0].as_deref(), Some(user));
    }

    /// Takes session advisory lock `key` on database postgres and holds it
    /// until the returned guard is dropped.
    pub fn hold_advisory_lock(&self, key: i64) -> LockHolder {
        let config = self.config("postgres");
        let (locked_tx, locked_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let (client, connection) = config.connect(NoTls).await.expect("connect");
                tokio::spawn(connection);
                client
                    .query_one("SELECT pg_advisory_lock($1)", &[&key])
                    .await
                    .expect("lock");
                let _ = locked_tx.send(());
                let _ = tokio::task::spawn_blocking(move || release_rx.recv()).await;
                drop(client);
            });
        });
        locked_rx.recv().expect("the lock holder started");
        LockHolder {
            release: Some(release_tx),
            thread: Some(thread),
        }
    }
}

impl TestCluster {
    /// Runs `sql` in `db` as `user` (password login over TCP); panics with
    /// the server's message on failure.
    pub fn psql_as(
        &self,
        db: &str,
        user: &str,
        password: &str,
        sql: &str,
    ) -> Vec<Vec<Option<String>>> {
        let mut config = self.config(db);
        config.user(user).password(password);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let (client, connection) = config
                .connect(NoTls)
                .await
                .unwrap_or_else(|e| panic!("{user} could not log in: {e}"));
            tokio::spawn(connection);
            let messages = client
                .simple_query(sql)
                .await
                .unwrap_or_else(|e| panic!("as {user}: {sql}: {e:?}"));
            messages
                .into_iter()
                .filter_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(row) => Some(
                        (0..row.len())
                            .map(|i| row.get(i).map(str::to_owned))
                            .collect(),
                    ),
                    _ => None,
                })
                .collect()
        })
    }
}

impl TestCluster {
    /// `pgfort plan --detailed-exitcode` of the configuration in `dir`.
    pub fn plan_in(&self, dir: &std::path::Path) -> super::PgfortOutput {
        self.pgfort_in(dir, &["plan", "--detailed-exitcode", "--no-color", "."])
    }

    /// `pgfort apply --auto-approve` of the configuration in `dir`.
    pub fn apply_in(&self, dir: &std::path::Path) -> super::PgfortOutput {
        self.pgfort_in(dir, &["apply", "--auto-approve", "--no-color", "."])
    }
}
