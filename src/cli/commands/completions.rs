//! `pgfort completions SHELL` and `pgfort man`: generated from the clap
//! definitions, so they never fall behind the flags.

use std::io::Write as _;

use clap::CommandFactory;

use crate::Error;
use crate::cli::{Cli, Outcome};

/// Prints the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Result<Outcome, Error> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "pgfort", &mut out);
    emit(&out)
}

/// Prints the manual page (roff).
pub fn man() -> Result<Outcome, Error> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|source| Error::Io {
            context: "rendering the manual page".to_owned(),
            source,
        })?;
    emit(&out)
}

fn emit(bytes: &[u8]) -> Result<Outcome, Error> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(Outcome::Success),
        // `pgfort man | head`: the reader has what it wanted.
        Err(source) if source.kind() == std::io::ErrorKind::BrokenPipe => Ok(Outcome::Success),
        Err(source) => Err(Error::Io {
            context: "writing to standard output".to_owned(),
            source,
        }),
    }
}
