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

/// How long work may take before the spinner appears.
const QUIET_FOR: Duration = Duration::from_secs(1);

/// Without a terminal, how often a plain progress line is printed.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

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
            Ticker::plain(PLAIN_EVERY, Box::new(std::io::stderr()), move || {
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

/// The apply's statement count: a bar on a terminal (for 100 statements
/// or more), a plain line every few seconds without one.
pub struct StatementProgress {
    bar: ProgressBar,
    ticker: Ticker,
}

impl StatementProgress {
    pub fn start(total: usize) -> StatementProgress {
        let bar = ProgressBar::new(total as u64);
        if let Ok(style) =
            ProgressStyle::with_template("  applying {bar:30} {pos}/{len} statements")
        {
            bar.set_style(style);
        }
        if total < 100 {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        let ticker = if std::io::stderr().is_terminal() {
            Ticker::none()
        } else {
            let shown = bar.clone();
            Ticker::plain(PLAIN_EVERY, Box::new(std::io::stderr()), move || {
                format!(
                    "applying: {}/{} statements ({}s)",
                    crate::text::thousands(usize::try_from(shown.position()).unwrap_or(usize::MAX)),
                    crate::text::thousands(
                        usize::try_from(shown.length().unwrap_or(0)).unwrap_or(usize::MAX)
                    ),
                    shown.elapsed().as_secs()
                )
            })
        };
        StatementProgress { bar, ticker }
    }

    /// `done` statements of `total`.
    pub fn set(&self, done: usize, total: usize) {
        self.bar.set_length(total as u64);
        self.bar.set_position(done as u64);
    }
}

impl Drop for StatementProgress {
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
    fn none() -> Ticker {
        Ticker {
            done: None,
            thread: None,
        }
    }

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
