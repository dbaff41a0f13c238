//! `pgfort apply`: lock, plan, confirm, apply, verify.

use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use super::common::{connect_db, load_config, resolve_target};
use crate::Error;
use crate::apply::{self, lock};
use crate::cli::args::ApplyArgs;
use crate::cli::prompt::{confirm, stdin_is_terminal};
use crate::cli::{Outcome, Ui};
use crate::diff::DiffOptions;
use crate::render::{self, PlanDoc, TextOptions};

pub async fn run(args: &ApplyArgs, ui: Ui) -> Result<Outcome, Error> {
    let config = load_config(&args.dir, &args.vars)?;
    if !args.auto_approve && !stdin_is_terminal() {
        return Err(Error::usage(
            "refusing to apply without confirmation: stdin is not a terminal",
            Some("review the plan with `pgfort plan`, then pass --auto-approve"),
        ));
    }
    let settings = resolve_target(&args.connection, &config)?;
    let db = connect_db(&settings).await?;
    lock::acquire(&db, args.lock_timeout).await?;
    let options = DiffOptions {
        rotate_passwords: args.options.rotate_passwords,
    };
    let plan = crate::pipeline::compute_plan(&db, &settings, &config, options).await?;
    let text = render::render_text(
        &PlanDoc::new(&plan),
        TextOptions {
            color: ui.color,
            show_sql: args.options.show_sql,
            verbose: ui.verbose,
        },
    );
    print!("{text}");
    if plan.is_empty() {
        lock::release(&db).await;
        return Ok(Outcome::Success);
    }
    if !args.auto_approve && !confirm("\nDo you want to perform these actions?") {
        lock::release(&db).await;
        println!("\nApply cancelled.");
        return Ok(Outcome::Failure);
    }
    let started = Instant::now();
    let before = db.round_trips();
    let bar = progress_bar(plan.statements().len());
    let report = apply::apply(&db, &settings, &plan, &|done, _| {
        bar.set_position(done as u64)
    })
    .await;
    bar.finish_and_clear();
    let report = report?;
    crate::pipeline::verify(&db, &settings, &config).await?;
    lock::release(&db).await;
    let summary = plan.summary();
    println!(
        "\nApply complete! Resources: {} added, {} changed, {} destroyed.",
        summary.add, summary.change, summary.destroy
    );
    tracing::info!(
        "applied {} statements in {} transaction(s), {} round trips, {:.2?}",
        report.statements,
        report.transactions,
        db.round_trips() - before,
        started.elapsed()
    );
    Ok(Outcome::Success)
}

/// A bar on stderr for long applies; hidden when stderr is not a terminal.
fn progress_bar(total: usize) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) = ProgressStyle::with_template("  applying {bar:30} {pos}/{len} statements") {
        bar.set_style(style);
    }
    if total < 100 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar
}
