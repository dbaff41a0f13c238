//! `pgfort fmt [--check]`: rewrites files in canonical layout, or with
//! `--check` names those that are not and shows how they would change.

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
        if args.check {
            print!("{}", check_diff(file));
        } else {
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

/// What `fmt` would change in `file`, as a unified diff (escaped: the
/// text is the user's).
fn check_diff(file: &crate::config::FormattedFile) -> String {
    let name = file.path.display().to_string();
    let diff = similar::TextDiff::from_lines(&file.original, &file.formatted);
    let text = diff
        .unified_diff()
        .context_radius(2)
        .header(&format!("{name} (current)"), &format!("{name} (formatted)"))
        .to_string();
    crate::render::escape::display_safe_lines(&text).into_owned()
}
