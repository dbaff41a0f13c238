//! A real Patroni cluster on loopback: one etcd and two Patroni nodes, each
//! managing a PostgreSQL of its own; one becomes the leader, the other a
//! streaming replica. As root, etcd, Patroni and so PostgreSQL run as the
//! same unprivileged user the [`pgfort::sandbox`] servers run as.
//!
//! What tests/patroni.rs established with Patroni 3.0.2, etcd 3.4 and
//! PostgreSQL 15 (Debian packages `patroni`, `etcd-server`, `python3-etcd`):
//!
//! - DCS: the `etcd3:` section with `hosts: 127.0.0.1:PORT` works against
//!   a stock etcd 3.4 (its v3 JSON gateway is on by default), so etcd runs
//!   without `--enable-v2`. Both of Patroni's etcd modules import the
//!   `python3-etcd` package, which `apt-get install patroni` does not pull
//!   in by itself.
//! - Startup: etcd answers in well under a second; the leader bootstraps
//!   (initdb) and the replica is cloned with pg_basebackup and streaming
//!   about 3-5 s after Patroni starts. Stopping (SIGTERM: Patroni stops its
//!   PostgreSQL, fast mode) takes about 3 s.
//! - GET /cluster lists members with `role` `leader` or `replica` and
//!   `state` `running` (Patroni 3.0 has no `streaming` state there); GET
//!   /patroni on the leader says `role: master` and lists its standbys
//!   under `replication` with `state: streaming`.
//! - PATCH /config (JSON merge: `null` removes a key) on any node stores
//!   the dynamic configuration in the DCS; within one or two `loop_wait`
//!   periods every node rewrites postgresql.conf and reloads.
//! - The node's own YAML wins over the dynamic configuration: a parameter
//!   in its `postgresql.parameters`, or a `postgresql.pg_hba` there, is not
//!   changed by PATCH /config. So this harness keeps pg_hba in
//!   `bootstrap.dcs` (the initial dynamic configuration) and only
//!   node-specific parameters (socket directory, a marker) in the YAML.
//! - A restart-only parameter (e.g. `max_connections`) changed through
//!   PATCH /config sets `pending_restart: true` in GET /patroni of each
//!   node and on each member in GET /cluster; POST /restart (replica first,
//!   then the leader) answers 200 once PostgreSQL is back, and the flag is
//!   gone afterwards. The leader keeps its lock through the restart.
//! - PATCH /config with `postgresql.pg_hba` (a list of lines) rewrites
//!   pg_hba.conf on every node and reloads (pg_hba_file_rules shows it).
//! - ALTER SYSTEM is not Patroni's: postgresql.auto.conf is read after
//!   Patroni's postgresql.conf, so an ALTER SYSTEM value wins over the
//!   dynamic configuration on that node alone (it is not replicated) until
//!   it is reset. Parameters Patroni passes on the postmaster's command
//!   line (max_connections, wal_level, max_wal_senders, ...) beat
//!   postgresql.auto.conf: ALTER SYSTEM cannot change them.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;
use tokio_postgres::Config;

use super::http::http;
use config::node_config;
use process::{
    chown_all, command, free_ports, is_alive, on_path, postmaster_pid, random_hex, reap,
    server_user, signal, spawn, system_pg_bin,
};

pub use config::base_hba;

mod config;
mod process;

const SCOPE: &str = "pgfort-test";
const SUPERUSER: &str = "postgres";
const REPLICATION_USER: &str = "replicator";
const HOST: &str = "127.0.0.1";
/// How long etcd, then the cluster, may take to come up.
const ETCD_TIMEOUT: Duration = Duration::from_secs(20);
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// How long Patroni may take to stop its PostgreSQL after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(100);
/// A parameter set in each node's own YAML, to show it beats PATCH /config.
pub const LOCAL_PARAMETER: (&str, &str) = ("lock_timeout", "1min");

/// One Patroni node and its PostgreSQL.
pub struct PatroniNode {
    pub name: String,
    pub rest_port: u16,
    pub pg_port: u16,
    pub data_dir: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

impl PatroniNode {
    /// The REST API's base URL, e.g. `http://127.0.0.1:8008`.
    pub fn rest_url(&self) -> String {
        format!("http://{HOST}:{}", self.rest_port)
    }
}

pub struct PatroniCluster {
    nodes: Vec<PatroniNode>,
    etcd: Option<Child>,
    etcd_log: PathBuf,
    password: String,
    /// From starting etcd until a leader and a streaming replica.
    pub startup: Duration,
    // Declared last so it is removed after every process is stopped.
    dir: TempDir,
}

impl PatroniCluster {
    /// Starts etcd and two Patroni nodes and waits for a leader and a
    /// streaming replica. `None` (after saying why) when patroni, etcd or
    /// the system's PostgreSQL is missing; panics, with the logs, when the
    /// cluster does not come up.
    pub fn start() -> Option<PatroniCluster> {
        let found = (|| {
            if std::env::var_os("PGFORT_TEST_PG_BIN").is_some_and(|v| !v.is_empty()) {
                return Err(
                    "the Patroni tests use the system's PostgreSQL, not PGFORT_TEST_PG_BIN",
                );
            }
            let patroni = on_path("patroni").ok_or(NOT_INSTALLED)?;
            let etcd = on_path("etcd").ok_or(NOT_INSTALLED)?;
            let pg_bin = system_pg_bin().ok_or(
                "no /usr/lib/postgresql/*/bin with pg_basebackup and pg_rewind (apt-get install postgresql)",
            )?;
            Ok((patroni, etcd, pg_bin))
        })();
        let (patroni, etcd, pg_bin) = match found {
            Ok(found) => found,
            Err(reason) => {
                eprintln!("skipped: {reason}");
                return None;
            }
        };
        let user = server_user();
        let dir = tempfile::Builder::new()
            .prefix("pgfort-patroni-")
            .tempdir_in(super::scratch_base())
            .unwrap_or_else(|e| panic!("could not create a temporary directory: {e}"));
        let ports = free_ports(6);
        let (etcd_client, etcd_peer) = (ports[0], ports[1]);
        let password = random_hex(16);
        let replication_password = random_hex(16);
        let mut cluster = PatroniCluster {
            nodes: Vec::new(),
            etcd: None,
            etcd_log: dir.path().join("etcd.log"),
            password,
            startup: Duration::ZERO,
            dir,
        };
        let base = cluster.dir.path().to_path_buf();
        let mut configs = Vec::new();
        for (i, name) in ["node1", "node2"].into_iter().enumerate() {
            let node = PatroniNode {
                name: name.to_string(),
                rest_port: ports[2 + 2 * i],
                pg_port: ports[3 + 2 * i],
                data_dir: base.join(name),
                log: base.join(format!("{name}.log")),
                child: None,
            };
            let config = node_config(
                &node,
                &base,
                &pg_bin,
                etcd_client,
                &cluster.password,
                &replication_password,
            );
            let path = base.join(format!("{name}.yml"));
            // YAML is a superset of JSON: no quoting rules to get wrong.
            fs::write(&path, serde_json::to_string_pretty(&config).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            configs.push(path);
            cluster.nodes.push(node);
        }
        if let Some(user) = &user {
            chown_all(&base, user);
        }

        let started = Instant::now();
        let etcd_url = |port: u16| format!("http://{HOST}:{port}");
        let mut cmd = command(&etcd, &base, user.as_ref(), libc::SIGKILL);
        cmd.args(["--name", "etcd", "--data-dir"])
            .arg(base.join("etcd"))
            .args(["--listen-client-urls", &etcd_url(etcd_client)])
            .args(["--advertise-client-urls", &etcd_url(etcd_client)])
            .args(["--listen-peer-urls", &etcd_url(etcd_peer)])
            .args(["--initial-advertise-peer-urls", &etcd_url(etcd_peer)])
            .args([
                "--initial-cluster",
                &format!("etcd={}", etcd_url(etcd_peer)),
            ])
            .args(["--initial-cluster-state", "new"]);
        cluster.etcd = Some(spawn(cmd, &cluster.etcd_log));
        cluster.wait("etcd to answer", ETCD_TIMEOUT, |_| {
            http(etcd_client, "GET", "/health", None)
                .is_ok_and(|(status, body)| status == 200 && body.contains("true"))
        });
        for (node, config) in cluster.nodes.iter_mut().zip(&configs) {
            // SIGTERM if the test dies: Patroni then stops its PostgreSQL.
            let mut cmd = command(&patroni, &base, user.as_ref(), libc::SIGTERM);
            cmd.arg(config);
            node.child = Some(spawn(cmd, &node.log));
        }
        cluster.wait(
            "a leader and a streaming replica",
            STARTUP_TIMEOUT,
            PatroniCluster::is_up,
        );
        cluster.startup = started.elapsed();
        Some(cluster)
    }

    pub fn nodes(&self) -> &[PatroniNode] {
        &self.nodes
    }

    pub fn node(&self, index: usize) -> &PatroniNode {
        &self.nodes[index]
    }

    pub fn superuser(&self) -> &str {
        SUPERUSER
    }

    /// The superuser's clear-text password.
    pub fn password(&self) -> &str {
        &self.password
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The index of the member GET /cluster calls the leader, asking each
    /// node in turn until one answers.
    pub fn leader(&self) -> Option<usize> {
        let cluster = (0..self.nodes.len()).find_map(|i| self.get_ok(i, "/cluster"))?;
        let name = cluster["members"]
            .as_array()?
            .iter()
            .find(|member| member["role"] == "leader")?["name"]
            .as_str()?
            .to_string();
        self.nodes.iter().position(|node| node.name == name)
    }

    /// A REST API request to node `index`: the status and the body, parsed
    /// as JSON when it is JSON (else a JSON string).
    pub fn request(
        &self,
        index: usize,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), String> {
        let body = body.map(Value::to_string);
        let (status, text) = http(self.nodes[index].rest_port, method, path, body.as_deref())?;
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, value))
    }

    /// GET `path` on node `index`, when it answers 200 with JSON.
    pub fn get_ok(&self, index: usize, path: &str) -> Option<Value> {
        match self.request(index, "GET", path, None) {
            Ok((200, value)) if value.is_object() => Some(value),
            _ => None,
        }
    }

    /// Superuser connection settings for node `index`'s PostgreSQL.
    pub fn pg_config(&self, index: usize, db: &str) -> Config {
        let mut config = Config::new();
        config
            .host(HOST)
            .port(self.nodes[index].pg_port)
            .user(SUPERUSER)
            .password(&self.password)
            .dbname(db)
            .connect_timeout(Duration::from_secs(5))
            .ssl_mode(tokio_postgres::config::SslMode::Disable);
        config
    }

    /// Runs `sql` on node `index` (database `postgres`); every row as text.
    pub fn try_psql(&self, index: usize, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
        let config = self.pg_config(index, "postgres");
        std::thread::scope(|scope| {
            scope
                .spawn(|| super::simple_query(&config, sql))
                .join()
                .unwrap_or_else(|_| Err("the query thread panicked".into()))
        })
    }

    pub fn psql(&self, index: usize, sql: &str) -> Vec<Vec<Option<String>>> {
        self.try_psql(index, sql).unwrap_or_else(|e| {
            panic!(
                "SQL failed on {}: {e}\n--- SQL:\n{sql}\n{}",
                self.nodes[index].name,
                self.logs()
            )
        })
    }

    /// The first column of the first row.
    pub fn query_value(&self, index: usize, sql: &str) -> Option<String> {
        self.psql(index, sql)
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().next())
            .flatten()
    }

    /// Polls `done` every 100 ms until it holds; panics with the logs after
    /// `timeout`. Returns how long it took.
    pub fn wait(
        &self,
        what: &str,
        timeout: Duration,
        mut done: impl FnMut(&PatroniCluster) -> bool,
    ) -> Duration {
        let started = Instant::now();
        loop {
            if done(self) {
                return started.elapsed();
            }
            if let Some(exited) = self.exited() {
                panic!("{exited} exited while waiting for {what}\n{}", self.logs());
            }
            assert!(
                started.elapsed() < timeout,
                "no {what} after {timeout:?}\n{}",
                self.logs()
            );
            std::thread::sleep(POLL);
        }
    }

    /// The last lines of etcd's and each node's log, for failure messages.
    pub fn logs(&self) -> String {
        let mut text = String::new();
        let logs = std::iter::once(("etcd", &self.etcd_log)).chain(
            self.nodes
                .iter()
                .map(|node| (node.name.as_str(), &node.log)),
        );
        for (name, path) in logs {
            let log = fs::read(path)
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            let tail = &lines[lines.len().saturating_sub(40)..];
            text.push_str(&format!(
                "--- {name} ({}):\n{}\n",
                path.display(),
                tail.join("\n")
            ));
        }
        text
    }

    /// One node is the leader streaming to the other, which runs as replica.
    fn is_up(&self) -> bool {
        let states: Vec<Option<Value>> = (0..self.nodes.len())
            .map(|i| self.get_ok(i, "/patroni"))
            .collect();
        let Some(leader) = states.iter().position(|s| {
            s.as_ref()
                .is_some_and(|s| s["role"] == "master" || s["role"] == "primary")
        }) else {
            return false;
        };
        let replication = states[leader].as_ref().map(|s| s["replication"].clone());
        (0..self.nodes.len()).filter(|&i| i != leader).all(|i| {
            let replica = states[i].as_ref();
            replica.is_some_and(|s| s["role"] == "replica" && s["state"] == "running")
                && replication
                    .as_ref()
                    .and_then(Value::as_array)
                    .is_some_and(|standbys| {
                        standbys.iter().any(|standby| {
                            standby["application_name"] == self.nodes[i].name.as_str()
                                && standby["state"] == "streaming"
                        })
                    })
        })
    }

    /// A process that should be running but is not, by name.
    fn exited(&self) -> Option<String> {
        let alive = |child: &Option<Child>| child.as_ref().is_some_and(|c| is_alive(c.id()));
        if self.etcd.is_some() && !alive(&self.etcd) {
            return Some("etcd".into());
        }
        self.nodes
            .iter()
            .find(|node| node.child.is_some() && !alive(&node.child))
            .map(|node| format!("patroni {}", node.name))
    }
}

impl Drop for PatroniCluster {
    /// SIGTERM to every Patroni (each stops its PostgreSQL), SIGKILL after
    /// a while (and SIGQUIT, immediate shutdown, to a PostgreSQL left
    /// behind); then etcd.
    fn drop(&mut self) {
        let mut patronis: Vec<(Child, PathBuf)> = self
            .nodes
            .iter_mut()
            .filter_map(|node| Some((node.child.take()?, node.data_dir.clone())))
            .collect();
        for (child, _) in &patronis {
            signal(child.id(), libc::SIGTERM);
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        for (child, data_dir) in &mut patronis {
            if !reap(child, deadline) {
                eprintln!("patroni (pid {}) ignored SIGTERM; killing it", child.id());
                let _ = child.kill();
                let _ = child.wait();
                if let Some(pid) = postmaster_pid(data_dir) {
                    signal(pid, libc::SIGQUIT);
                }
            }
        }
        if let Some(mut etcd) = self.etcd.take() {
            signal(etcd.id(), libc::SIGTERM);
            if !reap(&mut etcd, Instant::now() + Duration::from_secs(5)) {
                let _ = etcd.kill();
                let _ = etcd.wait();
            }
        }
    }
}

const NOT_INSTALLED: &str = "patroni/etcd not installed (apt-get install patroni etcd-server)";
