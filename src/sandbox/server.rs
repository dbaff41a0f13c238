//! Starting, stopping and watching the sandbox server.
//!
//! pg_ctl starts the server (it detaches it and redirects its output), but
//! its wait loop polls only every 100 ms; readiness and shutdown are
//! watched here through `postmaster.pid` at a finer grain, which halves the
//! time tests spend starting and stopping clusters.

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{LOG_TAIL_LINES, PG_CTL_TIMEOUT_SECS, Sandbox, SandboxError, StopMode};

/// How often readiness and shutdown are checked.
const POLL: Duration = Duration::from_millis(5);

/// The parts of `postmaster.pid` (PostgreSQL 10+) that matter here.
#[derive(Debug, PartialEq, Eq)]
struct PidFile {
    pid: i32,
    /// Seconds since the epoch when the postmaster started.
    start_time: u64,
    /// `starting`, `ready`, `standby` or `stopping`; empty early on.
    status: String,
}

impl PidFile {
    fn parse(text: &str) -> Option<PidFile> {
        let lines: Vec<&str> = text.lines().collect();
        // A negative pid marks a single-user backend; it holds the lock all the same.
        let pid = lines.first()?.trim().parse::<i32>().ok()?.checked_abs()?;
        if pid == 0 {
            // kill(0, ...) would signal our own process group.
            return None;
        }
        let start_time = lines
            .get(2)
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or(0);
        let status = lines
            .get(7)
            .map(|l| l.trim().to_string())
            .unwrap_or_default();
        Some(PidFile {
            pid,
            start_time,
            status,
        })
    }

    fn read(data_dir: &Path) -> Option<PidFile> {
        PidFile::parse(&fs::read_to_string(data_dir.join("postmaster.pid")).ok()?)
    }
}

/// Whether process `pid` exists (possibly owned by another user).
fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Whether `pid` is a live server started from `postgres`. A pid file can
/// outlive its server (power loss) and its pid be reused; as root, trusting
/// it blindly could signal an unrelated process. Without procfs the pid file
/// is trusted, as pg_ctl does.
fn is_server(pid: i32, postgres: &Path) -> bool {
    if !alive(pid) {
        return false;
    }
    if !Path::new("/proc/self/exe").exists() {
        return true;
    }
    let Ok(exe) = fs::read_link(format!("/proc/{pid}/exe")) else {
        // Gone, a zombie, or another user's process: not our server.
        return false;
    };
    // An upgraded package leaves running servers on a "(deleted)" binary.
    let exe = exe.to_string_lossy();
    let exe = Path::new(exe.strip_suffix(" (deleted)").unwrap_or(&exe));
    let expected = postgres
        .canonicalize()
        .unwrap_or_else(|_| postgres.to_path_buf());
    exe == expected
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Sandbox {
    /// Starts the server and waits until it accepts connections. Starting
    /// a running sandbox does nothing.
    pub fn start(&self) -> Result<(), SandboxError> {
        if self.is_running() {
            return Ok(());
        }
        let data_dir = self.data_dir();
        let log = self.log_file();
        // Only this attempt's log lines explain this attempt's failure.
        let log_start = fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
        // pg_ctl's own freshness rule: a pid file from before now is stale.
        let begun = now_secs().saturating_sub(2);
        let pg_ctl = self.state.pg_bin.join("pg_ctl");
        let mut cmd = self.command("pg_ctl");
        cmd.args(["start", "-w", "-t", &PG_CTL_TIMEOUT_SECS.to_string(), "-D"])
            .arg(&data_dir)
            .arg("-l")
            .arg(&log)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        tracing::debug!(dir = %self.dir.display(), port = self.port(), "starting sandbox");
        let spawn_error = |source| SandboxError::Spawn {
            program: pg_ctl.clone(),
            source,
        };
        let mut child = cmd.spawn().map_err(spawn_error)?;
        loop {
            if let Some(status) = child.try_wait().map_err(spawn_error)? {
                if status.success() {
                    return Ok(());
                }
                let mut output = String::new();
                if let Some(mut stderr) = child.stderr.take() {
                    let _ = stderr.read_to_string(&mut output);
                }
                let log_tail = super::tail(&super::read_from(&log, log_start), LOG_TAIL_LINES);
                if log_tail.contains("Address already in use") {
                    return Err(SandboxError::PortInUse { port: self.port() });
                }
                return Err(SandboxError::StartFailed {
                    port: self.port(),
                    output: output.trim().to_string(),
                    log,
                    log_tail,
                });
            }
            if PidFile::read(&data_dir).is_some_and(|pid_file| {
                pid_file.status == "ready"
                    && pid_file.start_time >= begun
                    && is_server(pid_file.pid, &self.postgres())
            }) {
                // pg_ctl notices within 100 ms and exits; reap it off the critical path.
                thread::spawn(move || child.wait());
                return Ok(());
            }
            thread::sleep(POLL);
        }
    }

    /// Stops the server cleanly; stopping a stopped sandbox does nothing.
    pub fn stop(&self) -> Result<(), SandboxError> {
        self.stop_with(StopMode::Fast)
    }

    /// Stops the server the way `pg_ctl stop -m fast|immediate` does: a
    /// signal to the postmaster, then waiting for its pid file to go.
    pub fn stop_with(&self, mode: StopMode) -> Result<(), SandboxError> {
        let Some(pid) = self.running_pid() else {
            return Ok(());
        };
        let signal = match mode {
            StopMode::Fast => libc::SIGINT,
            StopMode::Immediate => libc::SIGQUIT,
        };
        // SAFETY: kill has no memory-safety preconditions.
        if unsafe { libc::kill(pid, signal) } != 0 {
            let error = std::io::Error::last_os_error();
            if error.raw_os_error() == Some(libc::ESRCH) {
                return Ok(());
            }
            return Err(SandboxError::Io {
                context: format!("could not signal the sandbox server (pid {pid})"),
                source: error,
            });
        }
        let deadline = Instant::now() + Duration::from_secs(PG_CTL_TIMEOUT_SECS);
        while self.running_pid().is_some() {
            if Instant::now() > deadline {
                return Err(SandboxError::StopTimeout {
                    dir: self.dir.clone(),
                    log: self.log_file(),
                });
            }
            thread::sleep(POLL);
        }
        Ok(())
    }

    /// Whether a server is running on this sandbox's data directory.
    pub fn is_running(&self) -> bool {
        self.running_pid().is_some()
    }

    /// The postmaster's pid, when its pid file names a live server.
    fn running_pid(&self) -> Option<i32> {
        let postgres = self.postgres();
        PidFile::read(&self.data_dir())
            .map(|pid_file| pid_file.pid)
            .filter(|pid| is_server(*pid, &postgres))
    }

    fn postgres(&self) -> std::path::PathBuf {
        self.state.pg_bin.join("postgres")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_postmaster_pid_files() {
        let text = "4242\n/tmp/x/data\n1700000000\n5432\n/tmp/x/socket\n127.0.0.1\n  \
                    5432001  32768\nready   \n";
        let expected = PidFile {
            pid: 4242,
            start_time: 1_700_000_000,
            status: "ready".into(),
        };
        assert_eq!(PidFile::parse(text), Some(expected));
        let early = PidFile::parse("-17\n/d\n1700000000\n").unwrap();
        assert_eq!((early.pid, early.status.as_str()), (17, ""));
        assert_eq!(PidFile::parse(""), None);
        assert_eq!(PidFile::parse("garbage\n"), None);
        assert_eq!(PidFile::parse("0\n"), None);
    }

    #[test]
    fn only_a_live_server_binary_counts_as_the_server() {
        let me = std::process::id() as i32;
        assert!(alive(me));
        let own_exe = std::env::current_exe().unwrap();
        assert!(is_server(me, &own_exe));
        assert!(!is_server(
            me,
            Path::new("/usr/lib/postgresql/15/bin/postgres")
        ));
    }
}
