//! Progress on stderr for work that turns out to be long: planning at
//! scale, checking thousands of declared passwords (one PBKDF2 each),
//! applying thousands of statements. On a terminal: a spinner or a bar,
//! once the work has taken a second. Without one (CI logs): a plain line
//! every few seconds, so a long job visibly lives, and nothing for short
//! work.

use std::io::{IsTerminal, Write};
use std::sync::mpsc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::Config;
use crate::model::Password;
use crate::plan::Plan;

/// How long work may take before the spinner appears.
const QUIET_FOR: Duration = Duration::from_secs(1);

/// Without a terminal, how often a plain progress line is printed, unless
/// `PGFORT_PROGRESS_EVERY` (seconds) says otherwise.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

fn plain_every() -> Duration {
    std::env::var("PGFORT_PROGRESS_EVERY")
        .ok()
        .and_then(|text| every_from(&text))
        .unwrap_or(PLAIN_EVERY)
}

/// A positive number of seconds, within reason.
fn every_from(text: &str) -> Option<Duration> {
    let seconds: f64 = text.trim().parse().ok()?;
    (seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0)
        .then(|| Duration::from_secs_f64(seconds))
}

/// Shows `message` with a spinner from one second on (a plain line every
/// few seconds without a terminal), until dropped. The timer runs on its
/// own thread: the work it reports on may keep the caller's thread busy
/// (hashing passwords) without yielding.
pub struct Spinner {
    bar: ProgressBar,
    ticker: Ticker,
}

impl Spinner {
    pub fn start(message: String) -> Spinner {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(message);
        let ticker = if std::io::stderr().is_terminal() {
            let shown = bar.clone();
            Ticker::after(QUIET_FOR, move || {
                shown.set_draw_target(ProgressDrawTarget::stderr());
                shown.enable_steady_tick(Duration::from_millis(120));
            })
        } else {
            let shown = bar.clone();
            Ticker::plain(plain_every(), Box::new(std::io::stderr()), move || {
                format!("{}… ({}s)", shown.message(), shown.elapsed().as_secs())
            })
        };
        Spinner { bar, ticker }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.ticker.stop();
        self.bar.finish_and_clear();
    }
}

/// A count of work done out of a total, e.g. `applying 120/5,000
/// statements` or `hashing 40/500 passwords`: on a terminal a bar, from
/// one second on; without one, a plain line every few seconds.
pub struct CountProgress {
    bar: ProgressBar,
    ticker: Ticker,
}

impl CountProgress {
    /// The apply's statements.
    pub fn statements(total: usize) -> CountProgress {
        CountProgress::start("applying", "statements", total)
    }

    /// Declared passwords hashed into SCRAM verifiers (one PBKDF2 each).
    pub fn passwords(total: usize) -> CountProgress {
        CountProgress::start("hashing", "passwords", total)
    }

    fn start(doing: &'static str, things: &'static str, total: usize) -> CountProgress {
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
        let template = format!("  {doing} {{bar:30}} {{pos}}/{{len}} {things}");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        let shown = bar.clone();
        let ticker = if std::io::stderr().is_terminal() {
            Ticker::after(QUIET_FOR, move || {
                shown.set_draw_target(ProgressDrawTarget::stderr());
                shown.tick();
            })
        } else {
            Ticker::plain(plain_every(), Box::new(std::io::stderr()), move || {
                count_line(doing, things, &shown)
            })
        };
        CountProgress { bar, ticker }
    }

    /// `done` of `total`.
    pub fn set(&self, done: usize, total: usize) {
        self.bar.set_length(total as u64);
        self.bar.set_position(done as u64);
    }
}

/// The plain line: `hashing: 40/500 passwords (5s)`.
fn count_line(doing: &str, things: &str, bar: &ProgressBar) -> String {
    let count = |n: u64| crate::text::thousands(usize::try_from(n).unwrap_or(usize::MAX));
    format!(
        "{doing}: {}/{} {things} ({}s)",
        count(bar.position()),
        count(bar.length().unwrap_or(0)),
        bar.elapsed().as_secs()
    )
}

impl Drop for CountProgress {
    fn drop(&mut self) {
        self.ticker.stop();
        self.bar.finish_and_clear();
    }
}

/// A timer thread, stopped (and joined) by [`Ticker::stop`].
struct Ticker {
    done: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Ticker {
    /// Runs `then` once, after `delay`, unless stopped before.
    fn after(delay: Duration, then: impl FnOnce() + Send + 'static) -> Ticker {
        let (done, finished) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(delay) {
                then();
            }
        });
        Ticker {
            done: Some(done),
            thread: Some(thread),
        }
    }

    /// Writes `line()` to `out` every `every` until stopped.
    fn plain(
        every: Duration,
        mut out: Box<dyn Write + Send>,
        line: impl Fn() -> String + Send + 'static,
    ) -> Ticker {
        let (done, finished) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(every) {
                let _ = writeln!(out, "{}", line());
            }
        });
        Ticker {
            done: Some(done),
            thread: Some(thread),
        }
    }

    fn stop(&mut self) {
        if let Some(done) = self.done.take() {
            // The thread may have ended already: nothing to tell then.
            let _ = done.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Hashes the plan's passwords before anything is sent or saved, with
/// progress: at a few milliseconds each, thousands take seconds.
pub fn hash_passwords(plan: &mut Plan) {
    let total = plan.passwords_to_hash();
    if total == 0 {
        return;
    }
    let progress = CountProgress::passwords(total);
    plan.hash_passwords(&|done, total| progress.set(done, total));
}

/// What planning is doing, for the spinner: with the number of declared
/// passwords to check, the slow part when there are thousands.
pub fn planning_message(config: &Config) -> String {
    let passwords = config
        .desired
        .roles
        .values()
        .filter(|role| matches!(role.password, Password::Clear(_)))
        .count();
    match passwords {
        0 => "planning: reading the server".to_owned(),
        1 => "planning: reading the server, checking 1 declared password".to_owned(),
        n => format!("planning: reading the server, checking {n} declared passwords"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Role, Secret};

    /// A writer into a shared buffer, to read what a ticker printed.
    #[derive(Clone, Default)]
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn plain_lines_come_every_interval_until_stopped() {
        let out = Shared::default();
        let mut ticker = Ticker::plain(Duration::from_millis(20), Box::new(out.clone()), || {
            "still working".to_owned()
        });
        std::thread::sleep(Duration::from_millis(110));
        ticker.stop();
        let printed = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines = printed.lines().count();
        assert!((2..=6).contains(&lines), "{printed:?}");
        assert!(printed.lines().all(|l| l == "still working"));
        std::thread::sleep(Duration::from_millis(60));
        let after = out.0.lock().unwrap().len();
        assert_eq!(after, printed.len(), "nothing after stop");
    }

    #[test]
    fn short_work_prints_nothing() {
        let out = Shared::default();
        let mut ticker = Ticker::plain(Duration::from_secs(5), Box::new(out.clone()), || {
            "never".to_owned()
        });
        ticker.stop();
        assert!(out.0.lock().unwrap().is_empty());
    }

    #[test]
    fn the_interval_takes_positive_seconds_only() {
        assert_eq!(every_from("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(every_from(" 10 "), Some(Duration::from_secs(10)));
        for bad in ["0", "-1", "NaN", "inf", "soon", "", "1e9"] {
            assert_eq!(every_from(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_plain_count_line_says_what_how_many_and_how_long() {
        let bar = ProgressBar::hidden();
        bar.set_length(5000);
        bar.set_position(1200);
        assert_eq!(
            count_line("hashing", "passwords", &bar),
            "hashing: 1,200/5,000 passwords (0s)"
        );
    }

    #[test]
    fn the_message_counts_the_passwords_to_check() {
        let mut config = Config::default();
        assert_eq!(planning_message(&config), "planning: reading the server");
        for (name, password) in [
            ("a", Password::Clear(Secret::new("x"))),
            ("b", Password::Unmanaged),
            ("c", Password::Clear(Secret::new("y"))),
        ] {
            let mut role = Role::new(name);
            role.password = password;
            config.desired.roles.insert(name.to_owned(), role);
        }
        assert_eq!(
            planning_message(&config),
            "planning: reading the server, checking 2 declared passwords"
        );
    }
}
