//! `pgfort export -o DIR`: read the server, write the files, say what
//! could not be expressed. Changes nothing on the server.

use super::common::{connect_db, resolve_target};
use crate::Error;
use crate::cli::Outcome;
use crate::cli::args::ExportArgs;
use crate::config::Config;
use crate::export::{self, ExportRequest, Kind};
use crate::render::display_safe;

pub async fn run(args: &ExportArgs) -> Result<Outcome, Error> {
    let include = if args.include.is_empty() {
        Kind::ALL.into_iter().collect()
    } else {
        args.include.iter().copied().collect()
    };
    let request = ExportRequest {
        databases: args.databases.clone(),
        include,
    };
    let settings = resolve_target(&args.connection, &Config::default())?;
    let db = connect_db(&settings).await?;
    let spinner = super::progress::Spinner::start("exporting: reading the server".to_owned());
    let exported = export::export(&db, &settings, &request).await?;
    drop(spinner);
    tracing::info!("export used {} queries", exported.round_trips);
    let written = export::write(&args.output, &exported.files, args.force)?;
    for path in &written.paths {
        println!("{}", display_safe(&path.display().to_string()));
    }
    for note in &exported.notes {
        eprintln!("note: {}", display_safe(note));
    }
    if !written.others.is_empty() {
        eprintln!(
            "warning: {} also holds {}, which plans read too",
            args.output.display(),
            written.others.join(", ")
        );
    }
    Ok(Outcome::Success)
}
