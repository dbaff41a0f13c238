//! A PgBouncer per test, in front of a [`TestCluster`]: started in the
//! foreground on a free port of 127.0.0.1, as the OS user the cluster's
//! server runs as (PgBouncer refuses to run as root), with its files in a
//! temporary directory that user owns. Dropping it kills the process.

use std::os::unix::fs::MetadataExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pgfort::model::Secret;
use pgfort::sandbox::pick_free_port;
use tempfile::TempDir;
use tokio_postgres::{Config, NoTls};

use super::TestCluster;

/// The admin console's user; the tests declare it as a role with
/// [`ADMIN_PASSWORD`], and put it in `users` and `admin_users`.
pub const ADMIN_USER: &str = "pgb_admin";
pub const ADMIN_PASSWORD: &str = "pgb-admin-secret";

pub struct PgBouncer {
    child: Child,
    port: u16,
    /// Declared last: removed after the process is killed.
    dir: TempDir,
}

/// The pgbouncer binary, or `None` (the caller skips, saying why).
pub fn binary() -> Option<PathBuf> {
    [
        "/usr/sbin/pgbouncer",
        "/usr/bin/pgbouncer",
        "/usr/local/bin/pgbouncer",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|path| path.exists())
}

/// Says the test is skipped when PgBouncer is not installed.
pub fn skip_unless_installed() -> bool {
    if binary().is_none() {
        eprintln!("skipped: pgbouncer not installed (apt-get install pgbouncer)");
        return true;
    }
    false
}

impl PgBouncer {
    /// Starts PgBouncer with a minimal configuration: its admin console
    /// (user [`ADMIN_USER`]) reachable over SCRAM, no database entries.
    pub fn start(cluster: &TestCluster) -> PgBouncer {
        let binary = binary().expect("pgbouncer is installed");
        let owner = std::fs::metadata(cluster.sandbox().data_dir()).expect("the data directory");
        let (uid, gid) = (owner.uid(), owner.gid());
        let dir = tempfile::Builder::new()
            .prefix("pgfort-pgbouncer-")
            .tempdir_in(super::scratch_base())
            .unwrap_or_else(|e| panic!("could not create a temporary directory: {e}"));
        std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown");
        let port = pick_free_port().unwrap_or_else(|e| panic!("{e}"));
        let ini = dir.path().join("pgbouncer.ini");
        std::fs::write(&ini, base_ini(dir.path(), port)).expect("pgbouncer.ini");
        let verifier = pgfort::password::make_verifier(&Secret::new(ADMIN_PASSWORD));
        let userlist = dir.path().join("userlist.txt");
        std::fs::write(&userlist, format!("\"{ADMIN_USER}\" \"{verifier}\"\n"))
            .expect("userlist.txt");
        for file in [&ini, &userlist] {
            std::os::unix::fs::chown(file, Some(uid), Some(gid)).expect("chown");
        }
        let log = std::fs::File::create(dir.path().join("stderr.log")).expect("stderr.log");
        let mut command = Command::new(binary);
        command
            .arg(&ini)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } == 0 {
            command.uid(uid).gid(gid);
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("could not start pgbouncer: {e}"));
        let mut bouncer = PgBouncer { child, port, dir };
        bouncer.wait_ready();
        bouncer
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where pgbouncer.ini and userlist.txt live.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The bytes of `name` in the config directory (empty when missing).
    pub fn file(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir().join(name)).unwrap_or_default()
    }

    /// The permission bits of `name` in the config directory.
    pub fn file_mode(&self, name: &str) -> u32 {
        let metadata = std::fs::metadata(self.dir().join(name)).expect("the file exists");
        std::os::unix::fs::PermissionsExt::mode(&metadata.permissions()) & 0o777
    }

    /// The admin console's URL, with its password.
    pub fn admin_url(&self) -> String {
        format!(
            "postgres://{ADMIN_USER}:{ADMIN_PASSWORD}@127.0.0.1:{}/pgbouncer",
            self.port
        )
    }

    /// The `[pgbouncer]` settings a test declares so that the running
    /// process keeps its port, socket, log and admin user.
    pub fn base_settings(&self) -> String {
        let dir = self.dir().display();
        format!(
            "    listen_addr     = \"127.0.0.1\"\n    listen_port     = {}\n    unix_socket_dir = \"\"\n    logfile         = \"{dir}/pgbouncer.log\"\n    pidfile         = \"{dir}/pgbouncer.pid\"\n    admin_users     = [\"{ADMIN_USER}\"]\n",
            self.port
        )
    }

    /// What PgBouncer logged so far.
    pub fn log(&self) -> String {
        let read = |name: &str| std::fs::read_to_string(self.dir().join(name)).unwrap_or_default();
        format!("{}{}", read("stderr.log"), read("pgbouncer.log"))
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("pgbouncer exited ({status}):\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "pgbouncer did not listen:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Logs in through PgBouncer to `database` as `user` and runs
    /// `SELECT 1` (simple protocol: transaction pooling).
    pub fn select_one(&self, database: &str, user: &str, password: &str) -> Result<(), String> {
        let mut config = Config::new();
        config
            .host("127.0.0.1")
            .port(self.port)
            .user(user)
            .password(password)
            .dbname(database)
            .ssl_mode(tokio_postgres::config::SslMode::Disable)
            .connect_timeout(Duration::from_secs(5));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async {
            let (client, connection) = config.connect(NoTls).await.map_err(|e| e.to_string())?;
            let connection = tokio::spawn(connection);
            let rows = client
                .simple_query("SELECT 1")
                .await
                .map_err(|e| e.to_string())?;
            drop(client);
            let _ = connection.await;
            match rows
                .iter()
                .any(|m| matches!(m, tokio_postgres::SimpleQueryMessage::Row(_)))
            {
                true => Ok(()),
                false => Err("SELECT 1 returned no row".to_owned()),
            }
        })
    }
}

/// The configuration PgBouncer starts with (before pgfort writes its own).
fn base_ini(dir: &Path, port: u16) -> String {
    let dir = dir.display();
    format!(
        "[databases]\n\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
         auth_type = scram-sha-256\nauth_file = {dir}/userlist.txt\nadmin_users = {ADMIN_USER}\n\
         logfile = {dir}/pgbouncer.log\npidfile = {dir}/pgbouncer.pid\n"
    )
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
