//! `pgfort validate`: the configuration alone, no server. Variables need
//! no value (as in Terraform): those without one are unknown, and what
//! derives from them is checked for syntax and references only.

use super::common::load_config_for_validation;
use crate::Error;
use crate::cli::Outcome;
use crate::cli::args::ValidateArgs;

pub fn run(args: &ValidateArgs) -> Result<Outcome, Error> {
    let config = load_config_for_validation(&args.dir, &args.vars)?;
    let unknown = &config.unknown_variables;
    if let Some(hba) = &config.desired.hba
        && let Err(error) = crate::diff::run_hba_checks(hba, &config.desired.roles, None)
    {
        // With stand-ins for some values, a failed check proves nothing.
        if unknown.is_empty() {
            return Err(error.into());
        }
        eprintln!(
            "warning: the pg_hba.conf checks fail with stand-ins for the variables without a \
             value; give them with -var to know: {}",
            error.message
        );
    }
    println!(
        "The configuration is valid: {} file(s), {} role(s).",
        config.files.len(),
        config.desired.roles.len()
    );
    if !unknown.is_empty() {
        println!(
            "Not checked: values derived from {} without a value ({}). Give {} with -var, a \
             -var-file or PGFORT_VAR_name to check them too.",
            if unknown.len() == 1 {
                "1 variable"
            } else {
                "variables"
            },
            unknown.join(", "),
            if unknown.len() == 1 { "it" } else { "them" },
        );
    }
    Ok(Outcome::Success)
}
