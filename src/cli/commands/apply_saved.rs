//! `pgfort apply FILE`: apply a saved plan exactly. The configuration is
//! not read again; the server is inspected again (the same scope as when
//! the plan was made) and the plan is refused, naming what changed, when
//! the server is no longer in the state the plan was computed from.

use std::time::Instant;

use super::apply::local_server;
use super::common::{plan_key, resolve_target_from};
use crate::Error;
use crate::apply::{self, lock};
use crate::cli::args::ApplyArgs;
use crate::cli::output::print_text;
use crate::cli::{Outcome, Ui};
use crate::inspect::{self, Db};
use crate::plan::LiveDigests;
use crate::plan::saved::{self, SavedPlan};
use crate::render::display_safe;
use crate::render::{self, PlanDoc, TextOptions};

pub async fn run(args: &ApplyArgs, ui: Ui) -> Result<Outcome, Error> {
    refuse_planning_flags(args)?;
    // A saved plan was reviewed when it was made (`plan -out`, `show`):
    // like Terraform, applying it asks nothing.
    let saved = saved::read(&args.dir, plan_key().as_ref())?;
    saved::check_not_applied(&args.dir, &saved)?;
    let restart = local_server(args)?;
    let settings = resolve_target_from(&args.connection, &saved.target.as_block())?;
    saved.target.check(&settings)?;
    let db = super::hba_recovery::connect(args, &settings).await?;
    if let Some(server) = &restart {
        server.check_is_connected(&db).await?;
    }
    let held = lock::acquire(&db, args.lock_timeout).await?;
    super::hba_recovery::recover(args, &db).await?;
    // Checked under the lock, so no other pgfort run changes the server
    // between this check and the statements.
    if let Err(error) = check_fresh(&db, &settings, &saved).await {
        lock::release(&db).await;
        return Err(error);
    }
    let plan = saved.to_plan();
    let text_options = TextOptions {
        color: ui.color,
        show_sql: args.options.show_sql,
        verbose: ui.verbose,
    };
    print_text(
        &render::render_text(&PlanDoc::new(&plan), text_options),
        ui.color,
    );
    if plan.is_empty() {
        lock::release(&db).await;
        return Ok(Outcome::Success);
    }
    let started = Instant::now();
    let bar = super::progress::CountProgress::statements(plan.statements().len());
    let report = apply::apply_with(
        &db,
        &settings,
        &plan,
        &|done, total| bar.set(done, total),
        apply::ApplyOptions {
            patroni: None,
            local_files: args.connection.sandbox || args.pgdata.is_some(),
            statement_lock_timeout: args.statement_lock_timeout,
            lock: Some(held),
        },
    )
    .await;
    drop(bar);
    lock::release(&db).await;
    // A saved plan carries no configuration: the address alone.
    let report = report.map_err(|err| err.locate(&plan, |_| None))?;
    // Applied in full: the file is spent (a failure leaves it stale instead).
    if let Err(err) = saved::record_applied(&args.dir, &saved, &settings.redacted_target()) {
        eprintln!("warning: {err}");
    }
    let summary = plan.summary();
    println!(
        "\nApply complete! Resources: {} added, {} changed, {} destroyed.",
        summary.add, summary.change, summary.destroy
    );
    super::apply::say_if_switched_to_tls(&report);
    tracing::info!(
        "applied {} statements of a saved plan in {} transaction(s), {:.2?}",
        report.statements,
        report.transactions,
        started.elapsed()
    );
    drop(db);
    let restarts: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.needs_restart)
        .map(|c| display_safe(&c.address))
        .collect();
    if restarts.is_empty() {
        return Ok(Outcome::Success);
    }
    match &restart {
        Some(server) => {
            println!(
                "\nRestarting {} for {}…",
                server.describe(),
                restarts.join(", ")
            );
            server.restart()?;
            println!("Restart complete.");
        }
        None => println!(
            "Needs restart: {} take effect only after PostgreSQL restarts. Restart the server \
             the way it is managed, or apply with --restart-if-needed and --sandbox or --pgdata DIR \
             on its host.",
            restarts.join(", ")
        ),
    }
    Ok(Outcome::Success)
}

/// A saved plan is applied as it was made: options that change planning
/// have no effect on it, so they are refused rather than ignored.
fn refuse_planning_flags(args: &ApplyArgs) -> Result<(), Error> {
    let given: Vec<&str> = [
        (!args.vars.vars.is_empty(), "-var"),
        (!args.vars.var_files.is_empty(), "-var-file"),
        (args.options.rotate_passwords, "--rotate-passwords"),
        (!args.options.targets.is_empty(), "-target"),
    ]
    .into_iter()
    .filter_map(|(set, flag)| set.then_some(flag))
    .collect();
    if given.is_empty() {
        return Ok(());
    }
    Err(Error::usage(
        format!(
            "{} cannot be used when applying a saved plan: it is applied exactly as it was made",
            given.join(", ")
        ),
        Some("pass them to `pgfort plan -out FILE` instead, or apply the configuration directory"),
    ))
}

/// Inspects what the plan inspected and compares the digests.
pub(super) async fn check_fresh(
    db: &Db,
    settings: &crate::connect::ConnectionSettings,
    saved: &SavedPlan,
) -> Result<(), Error> {
    let live = inspect::inspect(db, settings, &saved.live.scope).await?;
    saved.check_fresh(&LiveDigests::of(&live.state).with_node_role(live.facts.in_recovery))?;
    Ok(())
}
