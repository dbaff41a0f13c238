//! `pgfort completions SHELL`: generated from the clap definitions, so it
//! never falls behind the flags. (`pgfort man` is in `man.rs`.)

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

/// Writes `bytes` to standard output. Shared with `pgfort man`: both print
/// generated text that is often piped into a reader that may stop early.
pub(super) fn emit(bytes: &[u8]) -> Result<Outcome, Error> {
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
