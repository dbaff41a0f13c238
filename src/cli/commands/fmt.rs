//! `pgfort fmt [--check]`.

use crate::Error;
use crate::cli::Outcome;
use crate::cli::args::FmtArgs;

pub fn run(args: &FmtArgs) -> Result<Outcome, Error> {
    let files = crate::config::format_dir(&args.dir)?;
    let mut unformatted = 0;
    for file in files.iter().filter(|f| f.original != f.formatted) {
        unformatted += 1;
        println!(
            "{}",
            crate::render::display_safe(&file.path.display().to_string())
        );
        if !args.check {
            std::fs::write(&file.path, &file.formatted).map_err(|source| Error::Io {
                context: format!("writing {}", file.path.display()),
                source,
            })?;
        }
    }
    Ok(if args.check && unformatted > 0 {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}
