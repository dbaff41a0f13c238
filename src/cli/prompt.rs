//! Questions on the terminal: variables without values, confirmation.

use std::io::{BufRead, IsTerminal, Write};

use crate::config::Prompter;

/// Asks on the terminal when stdin is one; hides sensitive answers.
pub struct TerminalPrompter;

impl Prompter for TerminalPrompter {
    fn ask(&self, name: &str, description: Option<&str>, sensitive: bool) -> Option<String> {
        if !std::io::stdin().is_terminal() {
            return None;
        }
        let label = match description {
            Some(text) => format!("var.{name} ({text}): "),
            None => format!("var.{name}: "),
        };
        // The description comes from the configuration.
        let label = crate::render::display_safe(&label).into_owned();
        if sensitive {
            rpassword::prompt_password(label).ok()
        } else {
            eprint!("{label}");
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).ok()?;
            Some(line.trim_end_matches(['\r', '\n']).to_owned())
        }
    }
}

/// Terraform's confirmation: only the word `yes` approves.
pub fn confirm(question: &str) -> bool {
    eprint!("{question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).is_ok() && line.trim() == "yes"
}

pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}
