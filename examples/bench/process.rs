//! Runs a command as a whole process and measures it: wall time from spawn
//! to exit, peak RSS (wait4's rusage), and pgfort's own `--stats` lines.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::BenchResult;

/// One run of one process.
#[derive(Debug, Clone)]
pub struct Measured {
    pub wall: Duration,
    /// User plus system CPU time of the process.
    pub cpu: Duration,
    pub peak_rss_kib: u64,
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// One `pgfort stats:` line.
#[derive(Debug, Clone)]
pub struct StatsLine {
    pub phase: String,
    pub ms: f64,
    pub statements: u64,
    pub round_trips: u64,
}

impl Measured {
    pub fn rss_mb(&self) -> f64 {
        self.peak_rss_kib as f64 / 1024.0
    }

    /// pgfort's `--stats` report, in order.
    pub fn stats(&self) -> Vec<StatsLine> {
        self.stderr
            .lines()
            .filter_map(|line| line.strip_prefix("pgfort stats: "))
            .filter_map(|fields| {
                let field = |key: &str| {
                    fields
                        .split(' ')
                        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
                };
                Some(StatsLine {
                    phase: field("phase")?.to_owned(),
                    ms: field("ms")?.parse().ok()?,
                    statements: field("statements")?.parse().ok()?,
                    round_trips: field("round_trips")?.parse().ok()?,
                })
            })
            .collect()
    }

    /// The `total` stats line (statements and round trips of the run).
    pub fn total(&self) -> Option<StatsLine> {
        self.stats().into_iter().find(|s| s.phase == "total")
    }

    /// Fails with the output when the process did not exit with one of `ok`.
    pub fn expect(self, what: &str, ok: &[i32]) -> BenchResult<Measured> {
        if ok.contains(&self.exit_code) {
            return Ok(self);
        }
        Err(format!(
            "{what} exited with {}\n--- stdout\n{}\n--- stderr\n{}",
            self.exit_code,
            tail(&self.stdout),
            tail(&self.stderr)
        )
        .into())
    }
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// Spawns `command` with stdout and stderr going to files in `scratch`,
/// waits for it with `wait4` and returns what it measured.
pub fn measure(mut command: Command, scratch: &Path) -> BenchResult<Measured> {
    let out_path = scratch.join("stdout");
    let err_path = scratch.join("stderr");
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&out_path)?)
        .stderr(std::fs::File::create(&err_path)?);
    let started = Instant::now();
    let child = command.spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data, fully written by wait4 on success.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, not yet waited for; both pointers are
    // valid for the call.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    if waited != pid {
        return Err(format!("wait4: {}", std::io::Error::last_os_error()).into());
    }
    // The child is reaped: dropping `child` does not wait again.
    drop(child);
    let exit_code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Ok(Measured {
        wall,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        peak_rss_kib: usage.ru_maxrss as u64,
        exit_code,
        stdout: std::fs::read_to_string(out_path)?,
        stderr: std::fs::read_to_string(err_path)?,
    })
}

/// The `pgfort` binary beside this benchmark (same profile: release for
/// figures, debug only to check the benchmark works), built first when the
/// benchmark runs under cargo so it is never stale.
pub fn pgfort_binary() -> BenchResult<PathBuf> {
    if let Ok(cargo) = std::env::var("CARGO") {
        let mut build = Command::new(cargo);
        build.args(["build", "--quiet", "--bin", "pgfort"]);
        if !cfg!(debug_assertions) {
            build.arg("--release");
        }
        let status = build.current_dir(env!("CARGO_MANIFEST_DIR")).status()?;
        if !status.success() {
            return Err("cargo build --bin pgfort failed".into());
        }
    }
    let exe = std::env::current_exe()?;
    let binary = exe
        .parent()
        .and_then(Path::parent)
        .map(|release| release.join("pgfort"))
        .ok_or("cannot locate the target directory")?;
    if !binary.is_file() {
        return Err(format!(
            "{} not found: run `cargo build --release --bin pgfort` first (or run the benchmark with cargo)",
            binary.display()
        )
        .into());
    }
    Ok(binary)
}
