//! The command line: arguments → settings → library calls, exit codes and
//! error printing. No SQL and no domain logic here.

pub mod args;
mod commands;
mod output;
mod prompt;

pub use args::{Cli, normalise_terraform_flags, parse};
pub use output::{init_tracing, print_error, print_stats};

use crate::Error;

/// How a successful run ends, as an exit code (part of the interface).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1 without an error message (e.g. `fmt --check` found files).
    Failure,
    /// Exit 2: `plan --detailed-exitcode` found changes.
    Changes,
    /// Exit 3: `audit` found a failing control at or above `--fail-on`.
    AuditFailed,
}

impl Outcome {
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Success => 0,
            Outcome::Failure => 1,
            Outcome::Changes => 2,
            Outcome::AuditFailed => 3,
        }
    }
}

/// How output is drawn.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    pub color: bool,
    /// `-v`: list every object behind summarised plan lines.
    pub verbose: bool,
}

/// Runs one command.
pub fn run(cli: Cli) -> Result<Outcome, Error> {
    let ui = Ui {
        color: output::use_color(cli.no_color),
        verbose: cli.verbose > 0,
    };
    commands::dispatch(cli.command, ui)
}
