//! `pgfort drift`: what differs on the server from the configuration,
//! grouped by kind. Exit 0 without drift, 2 with drift, 1 on error, so a
//! scheduled CI job can fail (or open an issue) on drift.

use super::common::{connect_db, load_config, resolve_leader};
use crate::Error;
use crate::cli::Outcome;
use crate::cli::args::{DriftArgs, ReportFormat};
use crate::cli::output::print_text;
use crate::diff::DiffOptions;
use crate::plan::{Targets, address, target};
use crate::render::drift::{self, DriftReport};

pub async fn run(args: &DriftArgs) -> Result<Outcome, Error> {
    if args.fleet.env.is_some() {
        return super::fleet::drift(args).await;
    }
    let targets = Targets::parse(&args.targets)?;
    let config = load_config(&args.dir, &args.vars)?;
    let settings = resolve_leader(&args.connection, &config).await?;
    let db = connect_db(&settings).await?;
    let spinner = super::progress::Spinner::start(super::progress::planning_message(&config));
    let plan = crate::pipeline::compute_plan(
        &db,
        &settings,
        &config,
        DiffOptions::default(),
        crate::pipeline::Fingerprint::Skip,
    )
    .await?;
    drop(spinner);
    // The same selection as `plan -target`; but a report applies nothing,
    // so the destroy guards do not stop it.
    let plan = target::restrict(plan, &targets, || address::declared(&config.desired))?;
    let report = DriftReport::new(&plan, settings.redacted_target());
    let text = match args.format {
        ReportFormat::Text => drift::render_text(&report),
        ReportFormat::Json => drift::render_json(&report) + "\n",
        ReportFormat::Markdown => drift::render_markdown(&report),
    };
    match args.format {
        ReportFormat::Json => print!("{text}"),
        ReportFormat::Text | ReportFormat::Markdown => print_text(&text, false),
    }
    Ok(if report.drifted {
        Outcome::Changes
    } else {
        Outcome::Success
    })
}
