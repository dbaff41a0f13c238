//! A real Patroni cluster on loopback: one etcd and two Patroni nodes, each
//! managing a PostgreSQL of its own; one becomes the leader, the other a
//! streaming replica. As root, etcd, Patroni and so PostgreSQL run as the
//! same unprivileged user the [`pgfort::sandbox`] servers run as.
//!
//! What tests/patroni.rs established with Patroni 3.0.2, etcd 3.4.23 and
//! PostgreSQL 15 (Debian 12 packages `patroni`, `etcd-server`,
//! `python3-etcd`), on a shared 2-core machine:
//!
//! - DCS: the `etcd3:` section with `hosts: 127.0.0.1:PORT` works against a
//!   stock etcd 3.4 (its v3 JSON gateway is on by default), so etcd runs
//!   without `--enable-v2`. Both of Patroni's etcd modules (`etcd:` and
//!   `etcd3:`) import the `python3-etcd` package, which installing
//!   `patroni` does not necessarily bring (it was missing here after
//!   `apt-get install patroni etcd-server`).
//! - Startup: etcd answers after 0.25-0.85 s; a leader and a streaming
//!   replica (initdb on one node, pg_basebackup on the other) after 2.9-8 s
//!   in all (Patroni's loop runs every 2 s here). Either node may win
//!   the leader race. Stopping (SIGTERM to Patroni, which stops its
//!   PostgreSQL in fast mode) takes about 2.5 s. The test as a whole takes
//!   about 20-26 s; with three clusters at once, startup took up to 11 s
//!   and the test up to 31 s.
//! - Roles: GET /cluster lists `members` with `role` `leader` or `replica`
//!   and `state` `running` (Patroni 3.0 reports no `streaming` state
//!   there); GET /patroni says `role: master` on the leader, with its
//!   standbys under `replication` (`application_name` = node name, `state:
//!   streaming`). GET /leader answers 200 on the leader and 503 on the
//!   replica; GET /replica 200 on the replica.
//! - PATCH /config on any node (a JSON merge patch: `null` removes a key,
//!   and the server default returns) answers 200 with the whole new
//!   dynamic configuration, as GET /config then returns it. Every node
//!   rewrites postgresql.conf and reloads: a reloadable parameter showed
//!   on both nodes 0.15-0.5 s after the PATCH.
//! - A node's own YAML wins over the dynamic configuration on that node:
//!   a parameter in its `postgresql.parameters`, or a `postgresql.pg_hba`
//!   there, is not changed by PATCH /config; removing the YAML's pg_hba
//!   (and POST /reload, which answers 202) brings the dynamic one back. So
//!   this harness keeps pg_hba in `bootstrap.dcs` (the initial dynamic
//!   configuration) and only node-specific parameters (socket directory,
//!   [`LOCAL_PARAMETER`]) in the YAML.
//! - Restart-only parameters: `max_connections` changed through PATCH
//!   /config gave `"pending_restart": true` in GET /patroni of both nodes
//!   and on both members in GET /cluster within 0.3-0.5 s, and
//!   `pg_settings.pending_restart` on both servers. POST /restart (replica
//!   first, then the leader; a standby needs at least the primary's
//!   max_connections) answers 200 once PostgreSQL is back, 1.6-3.4 s; the
//!   key is then absent (not `false`) from both, and the leader keeps its
//!   lock (no failover).
//! - pg_hba: PATCH /config with `postgresql.pg_hba` (a list of lines)
//!   replaces pg_hba.conf on every node with exactly those lines (after
//!   Patroni's comment header) and reloads, within 0.15-0.3 s.
//! - ALTER SYSTEM is not what Patroni maintains, and it is not overruled
//!   either: postgresql.auto.conf is read after Patroni's postgresql.conf,
//!   so an ALTER SYSTEM value wins on that node alone (auto.conf is not
//!   replicated) even after a later PATCH /config of the same parameter,
//!   which Patroni writes into postgresql.conf (`pg_file_settings.applied`
//!   false there); ALTER SYSTEM RESET brings Patroni's value back.
//!   Parameters Patroni passes on the postmaster's command line beat
//!   postgresql.auto.conf: an ALTER SYSTEM max_connections was ignored
//!   across the restart. (postmaster.opts
//!   shows the others passed that way: listen_addresses, port,
//!   cluster_name, wal_level, hot_standby, max_wal_senders,
//!   max_replication_slots, max_worker_processes,
//!   max_prepared_transactions, max_locks_per_transaction,
//!   track_commit_timestamp, wal_log_hints.)
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;
use tokio_postgres::Config;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::http::{http, http_with};
use config::node_config;
use process::{
    chown_all, command, free_ports, is_alive, on_path, postmaster_pid, random_hex, reap,
    server_user, signal, spawn, system_pg_bin,
};

pub mod config;
mod process;

const SCOPE: &str = "pgfort-test";
const SUPERUSER: &str = "postgres";
const REPLICATION_USER: &str = "replicator";
/// The REST API's user (restapi.authentication).
pub const REST_USER: &str = "patroni";
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
    /// Its own configuration file (YAML, written as JSON).
    pub config: PathBuf,
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
    rest_password: String,
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
        let rest_password = random_hex(16);
        let mut cluster = PatroniCluster {
            nodes: Vec::new(),
            etcd: None,
            etcd_log: dir.path().join("etcd.log"),
            password,
            rest_password,
            startup: Duration::ZERO,
            dir,
        };
        let base = cluster.dir.path().to_path_buf();
        for (i, name) in ["node1", "node2"].into_iter().enumerate() {
            let node = PatroniNode {
                name: name.to_string(),
                rest_port: ports[2 + 2 * i],
                pg_port: ports[3 + 2 * i],
                data_dir: base.join(name),
                config: base.join(format!("{name}.yml")),
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
                &cluster.rest_password,
            );
            write_config(&node.config, &config);
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
        let etcd_took = cluster.wait("etcd to answer", ETCD_TIMEOUT, |_| {
            http(etcd_client, "GET", "/health", None)
                .is_ok_and(|(status, body)| status == 200 && body.contains("true"))
        });
        for node in &mut cluster.nodes {
            // SIGTERM if the test dies: Patroni then stops its PostgreSQL.
            let mut cmd = command(&patroni, &base, user.as_ref(), libc::SIGTERM);
            cmd.arg(&node.config);
            node.child = Some(spawn(cmd, &node.log));
        }
        cluster.wait(
            "a leader and a streaming replica",
            STARTUP_TIMEOUT,
            PatroniCluster::is_up,
        );
        cluster.startup = started.elapsed();
        eprintln!(
            "patroni cluster: etcd answered after {etcd_took:?}, a leader and a streaming replica after {:?}",
            cluster.startup
        );
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

    /// The REST API user's clear-text password.
    pub fn rest_password(&self) -> &str {
        &self.rest_password
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

    /// A REST API request to node `index` with the API's credentials: the
    /// status and the body, parsed as JSON when it is JSON (else a JSON
    /// string).
    pub fn request(
        &self,
        index: usize,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), String> {
        let body = body.map(Value::to_string);
        let credentials = format!("{REST_USER}:{}", self.rest_password);
        let authorization = format!("Basic {}", B64.encode(credentials));
        let (status, text) = http_with(
            self.nodes[index].rest_port,
            method,
            path,
            body.as_deref(),
            Some(&authorization),
        )?;
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

    /// Rewrites node `index`'s own configuration file with `edit`, then
    /// has Patroni reread it (POST /reload).
    pub fn edit_local_config(&self, index: usize, edit: impl FnOnce(&mut Value)) {
        let path = &self.nodes[index].config;
        let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut config: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        edit(&mut config);
        write_config(path, &config);
        let answer = self.request(index, "POST", "/reload", None);
        assert!(
            matches!(answer, Ok((202, _))),
            "POST /reload: {answer:?}\n{}",
            self.logs()
        );
    }

    /// Runs pgfort in `dir` with libpq variables pointing at node
    /// `index`'s PostgreSQL as the superuser (the caller's PG* removed).
    pub fn pgfort_in(&self, index: usize, dir: &Path, args: &[&str]) -> super::PgfortOutput {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pgfort"));
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PG") {
                cmd.env_remove(name);
            }
        }
        cmd.current_dir(dir)
            .env("PGHOST", HOST)
            .env("PGPORT", self.nodes[index].pg_port.to_string())
            .env("PGUSER", SUPERUSER)
            .env("PGPASSWORD", &self.password)
            .env("PGDATABASE", "postgres")
            .env("PGSSLMODE", "disable")
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .args(args);
        super::run_pgfort(&mut cmd)
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

/// Writes a node's configuration; YAML is a superset of JSON, so there are
/// no quoting rules to get wrong. Rewriting keeps the file's owner.
fn write_config(path: &Path, config: &Value) {
    let text = serde_json::to_string_pretty(config).expect("a JSON value serialises");
    fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}
