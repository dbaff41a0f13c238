//! Restarting a server that pgfort controls on this machine, for
//! `apply --restart-if-needed`: the sandbox, or a data directory whose
//! server is the one pgfort is connected to, with the local pg_ctl. Any
//! other server is only told about: pgfort does not guess how it is run.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::Error;
use crate::inspect::{Db, describe};
use crate::sandbox::Sandbox;

/// Seconds pg_ctl waits for the server to stop and start again.
const PG_CTL_TIMEOUT_SECS: &str = "120";

/// A server pgfort may restart.
#[derive(Debug)]
pub enum LocalServer {
    Sandbox(Sandbox),
    /// A data directory and the directory holding its pg_ctl.
    DataDir {
        data_dir: PathBuf,
        pg_bin: PathBuf,
    },
}

impl LocalServer {
    /// How messages name it.
    pub fn describe(&self) -> String {
        match self {
            LocalServer::Sandbox(sandbox) => {
                format!("the sandbox server in {}", sandbox.dir().display())
            }
            LocalServer::DataDir { data_dir, .. } => {
                format!("the server of {}", data_dir.display())
            }
        }
    }

    /// Refuses a data directory that is not the connected server's own
    /// (`data_directory`), so a typo cannot restart another cluster.
    pub async fn check_is_connected(&self, db: &Db) -> Result<(), Error> {
        let LocalServer::DataDir { data_dir, .. } = self else {
            return Ok(());
        };
        db.count();
        let row = db
            .client
            .query_one("SELECT current_setting('data_directory', true)", &[])
            .await
            .map_err(|err| {
                Error::usage(format!("reading data_directory: {}", describe(&err)), None)
            })?;
        let Some(server_dir) = row.get::<_, Option<String>>(0) else {
            return Err(Error::usage(
                "cannot confirm that --pgdata is the connected server's data directory: \
                 data_directory is not readable",
                Some("connect as a superuser or a member of pg_read_all_settings"),
            ));
        };
        let same = fs::canonicalize(&server_dir)
            .ok()
            .zip(fs::canonicalize(data_dir).ok())
            .is_some_and(|(a, b)| a == b);
        if !same {
            return Err(Error::usage(
                format!(
                    "--pgdata {} is not the data directory of the server pgfort is connected to ({server_dir})",
                    data_dir.display()
                ),
                Some("pass the server's own data directory, on the machine it runs on"),
            ));
        }
        Ok(())
    }

    /// Restarts the server and waits until it accepts connections.
    pub fn restart(&self) -> Result<(), Error> {
        match self {
            LocalServer::Sandbox(sandbox) => {
                sandbox.stop()?;
                sandbox.start()?;
                Ok(())
            }
            LocalServer::DataDir { data_dir, pg_bin } => pg_ctl_restart(data_dir, pg_bin),
        }
    }
}

/// `pg_ctl restart -m fast -w`, as the data directory's owner when pgfort
/// runs as root (the server refuses to run as root). pg_ctl restarts the
/// server with the options it was started with (postmaster.opts).
fn pg_ctl_restart(data_dir: &Path, pg_bin: &Path) -> Result<(), Error> {
    let pg_ctl = pg_bin.join("pg_ctl");
    let context = format!(
        "restarting PostgreSQL ({} restart -D {})",
        pg_ctl.display(),
        data_dir.display()
    );
    let io = |source| Error::Io {
        context: context.clone(),
        source,
    };
    let meta = fs::metadata(data_dir).map_err(io)?;
    let mut cmd = Command::new(&pg_ctl);
    cmd.args([
        "restart",
        "-m",
        "fast",
        "-w",
        "-t",
        PG_CTL_TIMEOUT_SECS,
        "-D",
    ])
    .arg(data_dir)
    .arg("-l")
    .arg(server_output(data_dir))
    .current_dir(data_dir)
    .stdin(Stdio::null());
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 && meta.uid() != 0 {
        cmd.uid(meta.uid()).gid(meta.gid());
    }
    let output = cmd.output().map_err(io)?;
    if output.status.success() {
        return Ok(());
    }
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout).trim(),
        String::from_utf8_lossy(&output.stderr).trim()
    );
    Err(io(std::io::Error::other(format!(
        "pg_ctl failed ({}): {}",
        output.status,
        text.trim()
    ))))
}

/// Where the restarted server's own output goes: the file the running
/// server writes it to, when that is a file (its stderr, as `pg_ctl -l`
/// left it); otherwise nowhere, as with a logging collector or a service
/// manager's pipe that cannot be re-attached.
fn server_output(data_dir: &Path) -> PathBuf {
    let pid = fs::read_to_string(data_dir.join("postmaster.pid"))
        .ok()
        .and_then(|text| text.lines().next()?.trim().parse::<i32>().ok());
    pid.and_then(|pid| fs::read_link(format!("/proc/{pid}/fd/2")).ok())
        .filter(|target| target.is_absolute() && target.is_file())
        .unwrap_or_else(|| PathBuf::from("/dev/null"))
}
