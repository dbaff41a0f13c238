//! One file per subcommand.

mod apply;
mod apply_saved;
mod audit;
mod common;
mod completions;
mod drift;
mod export;
mod fleet;
mod fmt;
mod hba_recovery;
mod man;
mod plan;
mod progress;
mod sandbox;
mod schema;
mod show;
mod tune;
mod validate;

use super::args::Command;
use super::{Outcome, Ui};
use crate::Error;

pub fn dispatch(command: Command, ui: Ui) -> Result<Outcome, Error> {
    match command {
        Command::Validate(args) => validate::run(&args),
        Command::Plan(args) => common::block_on(plan::run(&args, ui)),
        Command::Apply(args) => common::block_on(apply::run(&args, ui)),
        Command::Fmt(args) => fmt::run(&args),
        Command::Tune(args) => tune::run(&args),
        Command::Sandbox(command) => sandbox::run(command),
        Command::Audit(args) => common::block_on(audit::run(&args, ui)),
        Command::Show(args) => show::run(&args, ui),
        Command::Drift(args) => common::block_on(drift::run(&args)),
        Command::Completions(args) => completions::completions(args.shell),
        Command::Man(args) => man::run(&args),
        Command::Export(args) => common::block_on(export::run(&args)),
        Command::Schema(args) => schema::run(&args),
    }
}
