//! `pgfort validate`: the configuration alone, no server.

use super::common::load_config;
use crate::Error;
use crate::cli::Outcome;
use crate::cli::args::ValidateArgs;

pub fn run(args: &ValidateArgs) -> Result<Outcome, Error> {
    let config = load_config(&args.dir, &args.vars)?;
    if let Some(hba) = &config.desired.hba {
        crate::diff::run_hba_checks(hba, &config.desired.roles, None)?;
    }
    println!(
        "The configuration is valid: {} file(s), {} role(s).",
        config.files.len(),
        config.desired.roles.len()
    );
    Ok(Outcome::Success)
}
