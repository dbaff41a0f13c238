//! Where one run of pgfort spends its time: phases timed, statements and
//! round trips counted process-wide (every connection), printed by
//! `--stats` as `key=value` lines a person can read and a script can parse.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

static STATEMENTS: AtomicU64 = AtomicU64::new(0);
static ROUND_TRIPS: AtomicU64 = AtomicU64::new(0);
static PHASES: Mutex<Vec<Phase>> = Mutex::new(Vec::new());

/// One finished phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    pub name: &'static str,
    pub elapsed: Duration,
    pub statements: u64,
    pub round_trips: u64,
}

/// Counts one exchange with a server that carried `statements` statements
/// (a pipeline of many is still one round trip).
pub fn count_round_trip(statements: u64) {
    STATEMENTS.fetch_add(statements, Ordering::Relaxed);
    ROUND_TRIPS.fetch_add(1, Ordering::Relaxed);
}

/// Statements and round trips counted so far in this process.
pub fn totals() -> (u64, u64) {
    (
        STATEMENTS.load(Ordering::Relaxed),
        ROUND_TRIPS.load(Ordering::Relaxed),
    )
}

/// Times a phase from now until the guard is dropped.
#[must_use = "the phase ends when the guard is dropped"]
pub fn phase(name: &'static str) -> PhaseGuard {
    let (statements, round_trips) = totals();
    PhaseGuard {
        name,
        started: Instant::now(),
        statements,
        round_trips,
    }
}

/// Records its phase when dropped.
pub struct PhaseGuard {
    name: &'static str,
    started: Instant,
    statements: u64,
    round_trips: u64,
}

impl Drop for PhaseGuard {
    fn drop(&mut self) {
        let (statements, round_trips) = totals();
        let phase = Phase {
            name: self.name,
            elapsed: self.started.elapsed(),
            statements: statements - self.statements,
            round_trips: round_trips - self.round_trips,
        };
        if let Ok(mut phases) = PHASES.lock() {
            phases.push(phase);
        }
    }
}

/// The phases finished so far, in the order they finished.
pub fn phases() -> Vec<Phase> {
    PHASES.lock().map(|p| p.clone()).unwrap_or_default()
}

/// Peak resident memory of this process so far, in bytes (Linux: VmHWM).
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The `--stats` report: one line per phase, then the totals.
pub fn render(phases: &[Phase], total: Duration, peak_rss: Option<u64>) -> String {
    let mut out = String::new();
    for phase in phases {
        out.push_str(&format!(
            "pgfort stats: phase={} ms={:.1} statements={} round_trips={}\n",
            phase.name,
            phase.elapsed.as_secs_f64() * 1000.0,
            phase.statements,
            phase.round_trips
        ));
    }
    let (statements, round_trips) = totals();
    out.push_str(&format!(
        "pgfort stats: phase=total ms={:.1} statements={statements} round_trips={round_trips}",
        total.as_secs_f64() * 1000.0
    ));
    if let Some(bytes) = peak_rss {
        out.push_str(&format!(" peak_rss_mb={:.1}", bytes as f64 / 1_048_576.0));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phase_counts_only_its_own_round_trips() {
        count_round_trip(3);
        let guard = phase("inside");
        count_round_trip(5);
        count_round_trip(1);
        drop(guard);
        let inside = phases()
            .into_iter()
            .find(|p| p.name == "inside")
            .expect("recorded");
        // Other tests may count concurrently: at least ours, in order.
        assert!(inside.statements >= 6, "{inside:?}");
        assert!(inside.round_trips >= 2, "{inside:?}");
    }

    #[test]
    fn the_report_is_one_parsable_line_per_phase() {
        let phases = [Phase {
            name: "inspect",
            elapsed: Duration::from_micros(12_345),
            statements: 18,
            round_trips: 6,
        }];
        let text = render(&phases, Duration::from_millis(40), Some(31 * 1_048_576));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "pgfort stats: phase=inspect ms=12.3 statements=18 round_trips=6"
        );
        assert!(lines[1].starts_with("pgfort stats: phase=total ms=40.0 "));
        assert!(lines[1].ends_with(" peak_rss_mb=31.0"));
    }

    #[test]
    fn peak_rss_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(peak_rss().is_some_and(|b| b > 0));
        }
    }
}
