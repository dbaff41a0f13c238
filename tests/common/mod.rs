//! Integration-test harness: a fresh PostgreSQL cluster per test, helpers
//! to run SQL and the pgfort binary against it.
//!
//! Every test file starts with `mod common;`. Not every file uses every
//! helper, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use pgfort::sandbox::{
    Sandbox, SandboxError, SandboxOptions, StopMode, find_pg_bin, pick_free_port,
};
use tempfile::TempDir;
use tokio_postgres::{Client, Config, NoTls, SimpleQueryMessage};

pub mod hba;
pub mod http;
pub mod patroni;
pub mod pgbouncer;
#[path = "../../src/schema_check.rs"]
pub mod schema_check;
mod session;

/// Chooses the server binaries for the whole suite (default: newest found).
const TEST_PG_BIN_ENV: &str = "PGFORT_TEST_PG_BIN";
/// Where test clusters live (default: /dev/shm when roomy, else the temp dir).
const TEST_TMPDIR_ENV: &str = "PGFORT_TEST_TMPDIR";
/// Free space /dev/shm needs before clusters go there.
const MIN_SHM_FREE: u64 = 2 << 30;
/// Retries when another process grabs the picked port before the server.
const PORT_ATTEMPTS: usize = 3;

/// A cluster initialised once per test process; every [`TestCluster`]
/// starts from a copy of it, which is much faster than initdb.
struct Template {
    sandbox: Sandbox,
}

static TEMPLATE: OnceLock<Result<Template, String>> = OnceLock::new();

fn template() -> &'static Template {
    let template = TEMPLATE.get_or_init(|| {
        let explicit = std::env::var_os(TEST_PG_BIN_ENV).map(PathBuf::from);
        let pg_bin = find_pg_bin(explicit.as_deref()).map_err(|e| match &explicit {
            Some(dir) => format!("{TEST_PG_BIN_ENV}={}: {e}", dir.display()),
            None => e.to_string(),
        })?;
        let dir = tempfile::Builder::new()
            .prefix("pgfort-template-")
            .tempdir_in(scratch_base())
            .map_err(|e| format!("could not create a temporary directory: {e}"))?
            .keep();
        // Statics are never dropped; remove the template when the process exits.
        // SAFETY: registering a plain `extern "C" fn` has no preconditions.
        unsafe { libc::atexit(remove_template) };
        let options = SandboxOptions {
            pg_bin: Some(pg_bin),
            ..SandboxOptions::default()
        };
        let started = Instant::now();
        let sandbox = Sandbox::create(&dir, &options).map_err(|e| e.to_string())?;
        eprintln!(
            "test template: initdb (PostgreSQL {}) took {:?}",
            sandbox.major(),
            started.elapsed()
        );
        Ok(Template { sandbox })
    });
    match template {
        Ok(template) => template,
        Err(message) => panic!("could not prepare the test cluster template: {message}"),
    }
}

/// The directory test clusters are created in. A memory file system makes
/// copying the template about ten times faster than a disk (each cluster
/// writes ~30 MB), so /dev/shm is used when it has room.
fn scratch_base() -> &'static Path {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        if let Some(dir) = std::env::var_os(TEST_TMPDIR_ENV) {
            return PathBuf::from(dir);
        }
        let shm = Path::new("/dev/shm");
        if free_bytes(shm).is_some_and(|free| free >= MIN_SHM_FREE) {
            return shm.to_path_buf();
        }
        std::env::temp_dir()
    })
}

/// Space available to unprivileged users under `dir`, if it is writable.
fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: path is NUL-terminated; access only reads it.
    if unsafe { libc::access(path.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
        return None;
    }
    // SAFETY: statvfs is plain old data; the call fills it in.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: path is NUL-terminated and stat is a valid out-pointer.
    if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
        return None;
    }
    Some((stat.f_bavail as u64).saturating_mul(stat.f_frsize as u64))
}

extern "C" fn remove_template() {
    if let Some(Ok(template)) = TEMPLATE.get() {
        let _ = std::fs::remove_dir_all(template.sandbox.dir());
    }
}

/// `text` with every run of whitespace (newlines included) made one space,
/// so assertions can quote plan output across its line breaks.
pub fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A running cluster in its own temporary directory, on a free port of
/// 127.0.0.1. Dropping it (also when the test panics) kills the server and
/// deletes the directory.
pub struct TestCluster {
    sandbox: Sandbox,
    // Declared last so it is removed after the server is stopped.
    _dir: TempDir,
}

/// What running the pgfort binary produced.
#[derive(Debug)]
pub struct PgfortOutput {
    pub stdout: String,
    pub stderr: String,
    /// `None` when killed by a signal.
    pub code: Option<i32>,
}

impl PgfortOutput {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

impl TestCluster {
    pub fn start() -> TestCluster {
        TestCluster::start_with(&[])
    }

    /// Starts a cluster with extra postgresql.conf settings, e.g.
    /// `&[("log_statement", "all")]`.
    pub fn start_with(settings: &[(&str, &str)]) -> TestCluster {
        let template = template();
        let dir = tempfile::Builder::new()
            .prefix("pgfort-test-")
            .tempdir_in(scratch_base())
            .unwrap_or_else(|e| panic!("could not create a temporary directory: {e}"));
        let mut options = SandboxOptions {
            pg_bin: Some(template.sandbox.pg_bin().to_path_buf()),
            port: None,
            settings: settings
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
        };
        let mut sandbox = Sandbox::create_from(&template.sandbox, dir.path(), &options)
            .unwrap_or_else(|e| panic!("could not create a test cluster: {e}"));
        for attempt in 1.. {
            match sandbox.start() {
                Ok(()) => break,
                Err(SandboxError::PortInUse { .. }) if attempt < PORT_ATTEMPTS => {
                    options.port = Some(pick_free_port().unwrap_or_else(|e| panic!("{e}")));
                    sandbox = Sandbox::create(dir.path(), &options)
                        .unwrap_or_else(|e| panic!("could not reconfigure a test cluster: {e}"));
                }
                Err(e) => panic!("could not start a test cluster: {e}"),
            }
        }
        TestCluster { sandbox, _dir: dir }
    }

    /// A streaming standby of this cluster on a port of its own: a copy of
    /// the data directory taken while this cluster is cleanly stopped,
    /// started with standby.signal and a primary_conninfo pointing here.
    /// Returns once the primary sees it streaming.
    pub fn start_standby(&self) -> TestCluster {
        let dir = tempfile::Builder::new()
            .prefix("pgfort-standby-")
            .tempdir_in(scratch_base())
            .unwrap_or_else(|e| panic!("could not create a temporary directory: {e}"));
        let conninfo = format!(
            "host={} port={} user={} password={} application_name=pgfort_standby",
            pgfort::sandbox::HOST,
            self.port(),
            pgfort::sandbox::SUPERUSER,
            self.password()
        );
        let options = SandboxOptions {
            pg_bin: Some(self.sandbox.pg_bin().to_path_buf()),
            port: None,
            settings: vec![("primary_conninfo".to_owned(), conninfo)],
        };
        self.sandbox
            .stop()
            .unwrap_or_else(|e| panic!("could not stop the primary: {e}"));
        let standby = Sandbox::create_from(&self.sandbox, dir.path(), &options);
        self.sandbox
            .start()
            .unwrap_or_else(|e| panic!("could not restart the primary: {e}"));
        let standby = standby.unwrap_or_else(|e| panic!("could not copy the primary: {e}"));
        let signal = standby.data_dir().join("standby.signal");
        std::fs::write(&signal, "").unwrap_or_else(|e| panic!("standby.signal: {e}"));
        let owner = std::fs::metadata(standby.data_dir()).expect("the standby's data directory");
        {
            use std::os::unix::fs::MetadataExt as _;
            std::os::unix::fs::chown(&signal, Some(owner.uid()), Some(owner.gid()))
                .unwrap_or_else(|e| panic!("standby.signal: {e}"));
        }
        standby
            .start()
            .unwrap_or_else(|e| panic!("could not start the standby: {e}"));
        let standby = TestCluster {
            sandbox: standby,
            _dir: dir,
        };
        let deadline = Instant::now() + std::time::Duration::from_secs(20);
        while self
            .query_value(
                "SELECT count(*)::text FROM pg_stat_replication \
                 WHERE application_name = 'pgfort_standby' AND state = 'streaming'",
            )
            .as_deref()
            != Some("1")
        {
            assert!(
                Instant::now() < deadline,
                "the standby never streamed:\n{}",
                standby.server_log()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        standby
    }

    /// Waits until the standby has replayed everything the primary wrote.
    pub fn wait_replayed_by(&self, standby: &TestCluster) {
        let lsn = self
            .query_value("SELECT pg_current_wal_lsn()::text")
            .expect("the primary's WAL position");
        let deadline = Instant::now() + std::time::Duration::from_secs(20);
        let query = format!("SELECT (pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn)::text");
        while standby.query_value(&query).as_deref() != Some("true") {
            assert!(Instant::now() < deadline, "the standby did not catch up");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    pub fn port(&self) -> u16 {
        self.sandbox.port()
    }

    pub fn dir(&self) -> &Path {
        self.sandbox.dir()
    }

    /// The superuser's clear-text password.
    pub fn password(&self) -> &str {
        self.sandbox.password().expose()
    }

    /// PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE and PGSSLMODE.
    pub fn env_vars(&self) -> Vec<(&'static str, String)> {
        self.sandbox.env_vars()
    }

    /// Everything the server logged so far.
    pub fn server_log(&self) -> String {
        std::fs::read(self.sandbox.log_file())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// Restarts the server, for settings that need it.
    pub fn restart(&self) {
        self.sandbox
            .stop()
            .unwrap_or_else(|e| panic!("could not stop the test cluster: {e}"));
        self.sandbox
            .start()
            .unwrap_or_else(|e| panic!("could not restart the test cluster: {e}"));
    }

    /// pgfort's own connection settings for the cluster (database
    /// `postgres`), as the PG* variables give them.
    pub fn connection_settings(&self) -> pgfort::connect::ConnectionSettings {
        let vars = self.env_vars();
        let lookup = |name: &str| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.clone())
        };
        pgfort::connect::ConnectionSettings::resolve(None, &lookup, &Default::default())
            .unwrap_or_else(|e| panic!("connection settings: {e}"))
            .with_dbname("postgres")
    }

    /// Connection settings for the superuser over TCP with a password.
    pub fn config(&self, db: &str) -> Config {
        let mut config = Config::new();
        config
            .host(self.sandbox.host())
            .port(self.port())
            .user(self.sandbox.superuser())
            .password(self.password())
            .dbname(db)
            .ssl_mode(tokio_postgres::config::SslMode::Disable);
        config
    }

    /// A superuser client for async tests; its connection task runs on the
    /// caller's runtime.
    pub async fn client(&self, db: &str) -> Client {
        let (client, connection) = self
            .config(db)
            .connect(NoTls)
            .await
            .unwrap_or_else(|e| panic!("could not connect to the test cluster: {e}"));
        tokio::spawn(async move {
            let _ = connection.await;
        });
        client
    }

    /// Runs `sql` (simple query protocol, several statements allowed) as
    /// the superuser in database `postgres`; returns every row as text.
    pub fn psql(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        self.psql_in("postgres", sql)
    }

    pub fn psql_in(&self, db: &str, sql: &str) -> Vec<Vec<Option<String>>> {
        self.try_psql_in(db, sql)
            .unwrap_or_else(|e| panic!("SQL failed: {e}\n--- SQL:\n{sql}"))
    }

    pub fn exec(&self, sql: &str) {
        self.psql(sql);
    }

    pub fn exec_in(&self, db: &str, sql: &str) {
        self.psql_in(db, sql);
    }

    /// Like [`TestCluster::psql_in`], but returns the error message (with
    /// SQLSTATE, detail and hint) for tests that expect a failure.
    pub fn try_psql_in(&self, db: &str, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
        let config = self.config(db);
        let sql = sql.to_string();
        // A thread of its own, so this also works inside #[tokio::test].
        std::thread::scope(|scope| {
            scope
                .spawn(move || simple_query(&config, &sql))
                .join()
                .unwrap_or_else(|_| Err("the query thread panicked".into()))
        })
    }

    pub fn try_exec(&self, sql: &str) -> Result<(), String> {
        self.try_psql_in("postgres", sql).map(drop)
    }

    /// The first column of the first row, for one-value queries.
    pub fn query_value(&self, sql: &str) -> Option<String> {
        self.psql(sql)
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().next())
            .flatten()
    }

    /// A `pgfort` command aimed at this cluster through libpq variables,
    /// with the caller's own PG* variables removed, for tests needing more
    /// control (stdin, extra env) than [`TestCluster::pgfort`].
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgfort"));
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PG") {
                cmd.env_remove(name);
            }
        }
        cmd.envs(self.env_vars())
            .env("PGFORT_PG_BIN", self.sandbox.pg_bin())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs pgfort with `args` against this cluster.
    pub fn pgfort<S: AsRef<OsStr>>(&self, args: &[S]) -> PgfortOutput {
        run_pgfort(self.command().args(args))
    }

    /// Runs pgfort with `args` in directory `dir`.
    pub fn pgfort_in<S: AsRef<OsStr>>(&self, dir: &Path, args: &[S]) -> PgfortOutput {
        run_pgfort(self.command().current_dir(dir).args(args))
    }

    /// Runs pgfort with `args` in directory `dir`, with `sslmode` instead
    /// of the harness's `disable`.
    pub fn pgfort_sslmode<S: AsRef<OsStr>>(
        &self,
        dir: &Path,
        sslmode: &str,
        args: &[S],
    ) -> PgfortOutput {
        run_pgfort(
            self.command()
                .current_dir(dir)
                .env("PGSSLMODE", sslmode)
                .args(args),
        )
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        if let Err(e) = self.sandbox.stop_with(StopMode::Immediate) {
            eprintln!("could not stop test cluster {}: {e}", self.dir().display());
        }
    }
}

fn run_pgfort(cmd: &mut Command) -> PgfortOutput {
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not run pgfort: {e}"));
    PgfortOutput {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code(),
    }
}

fn simple_query(config: &Config, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("could not build a runtime: {e}"))?;
    runtime.block_on(async {
        let (client, connection) = config
            .connect(NoTls)
            .await
            .map_err(|e| format!("could not connect to the test cluster: {e}"))?;
        let connection = tokio::spawn(connection);
        let result = client.simple_query(sql).await.map_err(|e| describe(&e));
        drop(client);
        let _ = connection.await;
        let rows = result?
            .into_iter()
            .filter_map(|message| match message {
                SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_string))
                        .collect(),
                ),
                _ => None,
            })
            .collect();
        Ok(rows)
    })
}

/// The server's message with SQLSTATE, detail and hint, when there is one.
fn describe(error: &tokio_postgres::Error) -> String {
    let Some(db) = error.as_db_error() else {
        return error.to_string();
    };
    let mut text = format!("{}: {} ({})", db.severity(), db.message(), db.code().code());
    if let Some(detail) = db.detail() {
        text.push_str(&format!("\nDETAIL: {detail}"));
    }
    if let Some(hint) = db.hint() {
        text.push_str(&format!("\nHINT: {hint}"));
    }
    text
}

/// A directory the pgfort binary can run in, e.g. holding test *.hcl files.
pub fn workdir() -> TempDir {
    tempfile::Builder::new()
        .prefix("pgfort-work-")
        .tempdir()
        .unwrap_or_else(|e| panic!("could not create a temporary directory: {e}"))
}

/// Writes `files` (name, contents) into `dir`.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (name, contents) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(&path, contents)
            .unwrap_or_else(|e| panic!("could not write {}: {e}", path.display()));
    }
}
