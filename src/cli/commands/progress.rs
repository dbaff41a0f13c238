//! A spinner on stderr for work that turns out to be long: planning at
//! scale, or checking thousands of declared passwords (one PBKDF2 each).
//! Shown only on a terminal, and only once the work has taken a second.

use std::io::IsTerminal;
use std::sync::mpsc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::Config;
use crate::model::Password;

/// How long work may take before the spinner appears.
const QUIET_FOR: Duration = Duration::from_secs(1);

/// Shows `message` with a spinner from one second on, until dropped. The
/// timer runs on its own thread: the work it reports on may keep the
/// caller's thread busy (hashing passwords) without yielding.
pub struct Spinner {
    bar: ProgressBar,
    done: Option<mpsc::Sender<()>>,
    timer: Option<std::thread::JoinHandle<()>>,
}

impl Spinner {
    pub fn start(message: String) -> Spinner {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(message);
        if !std::io::stderr().is_terminal() {
            return Spinner {
                bar,
                done: None,
                timer: None,
            };
        }
        let (done, finished) = mpsc::channel::<()>();
        let shown = bar.clone();
        let timer = std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(QUIET_FOR) {
                shown.set_draw_target(ProgressDrawTarget::stderr());
                shown.enable_steady_tick(Duration::from_millis(120));
            }
        });
        Spinner {
            bar,
            done: Some(done),
            timer: Some(timer),
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            // The timer may have given up already: nothing to tell then.
            let _ = done.send(());
        }
        if let Some(timer) = self.timer.take() {
            let _ = timer.join();
        }
        self.bar.finish_and_clear();
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
