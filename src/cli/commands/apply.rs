//! `pgfort apply`: lock, plan, confirm, apply, verify; then restart the
//! server when restart-only settings wait for it and pgfort may.

use std::time::Instant;

use super::common::{connect_db, ensure_sandbox, load_config, patroni_api, resolve_leader};
use crate::Error;
use crate::apply::restart::LocalServer;
use crate::apply::{self, lock};
use crate::cli::args::ApplyArgs;
use crate::cli::output::print_text;
use crate::cli::prompt::{confirm, stdin_is_terminal};
use crate::cli::{Outcome, Ui};
use crate::config::Config;
use crate::connect::ConnectionSettings;
use crate::diff::DiffOptions;
use crate::plan::saved::{self, SavedPlanError};
use crate::plan::{Plan, Targets};
use crate::render::display_safe;
use crate::render::{self, PlanDoc, TextOptions};

pub async fn run(args: &ApplyArgs, ui: Ui) -> Result<Outcome, Error> {
    if super::fleet::is_plan_dir(&args.dir) {
        return super::fleet::apply_saved(args, ui).await;
    }
    if args.fleet.env.is_some() {
        return super::fleet::apply(args, ui).await;
    }
    if saved::is_saved_plan(&args.dir) {
        return super::apply_saved::run(args, ui).await;
    }
    if args.dir.is_file() {
        return Err(SavedPlanError::NotAPlan {
            path: args.dir.clone(),
        }
        .into());
    }
    let targets = Targets::parse(&args.options.targets)?;
    let config = load_config(&args.dir, &args.vars)?;
    if !args.auto_approve && !stdin_is_terminal() {
        return Err(Error::usage(
            "refusing to apply without confirmation: stdin is not a terminal",
            Some("review the plan with `pgfort plan`, then pass --auto-approve"),
        ));
    }
    let patroni = patroni_api(&config)?;
    let restart = match &patroni {
        Some(api) => args
            .restart_if_needed
            .then(|| Restarter::Patroni(api.clone())),
        None => local_server(args)?.map(Restarter::Local),
    };
    let settings = resolve_leader(&args.connection, &config).await?;
    let db = super::hba_recovery::connect(args, &settings).await?;
    if let Some(Restarter::Local(server)) = &restart {
        server.check_is_connected(&db).await?;
    }
    let held = lock::acquire(&db, args.lock_timeout).await?;
    super::hba_recovery::recover(args, &db).await?;
    let options = DiffOptions {
        rotate_passwords: args.options.rotate_passwords,
    };
    let spinner = super::progress::Spinner::start(super::progress::planning_message(&config));
    let plan = crate::pipeline::compute_plan(
        &db,
        &settings,
        &config,
        options,
        crate::pipeline::Fingerprint::Skip,
    )
    .await?;
    drop(spinner);
    let plan = match crate::pipeline::select_and_guard(plan, &config, &targets) {
        Ok(plan) => plan,
        Err(error) => {
            lock::release(&db).await;
            return Err(error);
        }
    };
    let text_options = TextOptions {
        color: ui.color,
        show_sql: args.options.show_sql,
        verbose: ui.verbose,
    };
    let phase = crate::stats::phase("render");
    let text = render::render_text(&PlanDoc::new(&plan), text_options);
    print_text(&text, ui.color);
    drop(phase);
    if !plan.for_primary.is_empty() {
        lock::release(&db).await;
        return Err(standby_refusal(&plan));
    }
    if plan.is_empty() {
        lock::release(&db).await;
        drop(db);
        restart_if_pending(
            &plan,
            restart.as_ref(),
            (&settings, &config, &targets),
            text_options,
            false,
        )
        .await?;
        return Ok(Outcome::Success);
    }
    if !args.auto_approve && !confirm("\nDo you want to perform these actions?") {
        lock::release(&db).await;
        println!("\nApply cancelled.");
        return Ok(Outcome::Failure);
    }
    let started = Instant::now();
    let before = db.round_trips();
    let mut plan = plan;
    super::progress::hash_passwords(&mut plan);
    let bar = super::progress::CountProgress::statements(plan.statements().len());
    let apply_options = apply::ApplyOptions {
        patroni,
        local_files: args.connection.sandbox || args.pgdata.is_some(),
        statement_lock_timeout: args.statement_lock_timeout,
        lock: Some(held),
    };
    let phase = crate::stats::phase("apply");
    let report = apply::apply_with(
        &db,
        &settings,
        &plan,
        &|done, total| bar.set(done, total),
        apply_options,
    )
    .await;
    drop(phase);
    drop(bar);
    let report = report.map_err(|err| {
        err.locate(&plan, |address| {
            config.location_of(address).map(ToString::to_string)
        })
    })?;
    // The verification reads the server again: the plan is no longer
    // needed beyond its counts, and at scale it weighs tens of megabytes.
    let summary = plan.summary();
    drop(plan);
    // After a switch to TLS the rest goes over TLS too: the new rules admit
    // no new connection without it.
    let switched = match &report.reconnected {
        Some(tls) => Some(connect_db(tls).await?),
        None => None,
    };
    let verify_db = switched.as_ref().unwrap_or(&db);
    let settings = report.reconnected.clone().unwrap_or(settings);
    let phase = crate::stats::phase("verify");
    let spinner = super::progress::Spinner::start("verifying: reading the server again".to_owned());
    let verified = crate::pipeline::verify(verify_db, &settings, &config, &targets).await?;
    drop(spinner);
    drop(phase);
    drop(switched);
    lock::release(&db).await;
    println!(
        "\nApply complete! Resources: {} added, {} changed, {} destroyed.",
        summary.add, summary.change, summary.destroy
    );
    say_if_switched_to_tls(&report);
    if !targets.is_empty() {
        println!(
            "\nThe apply was targeted (-target), so the server may still differ from the \
             configuration: run `pgfort plan` without -target to see what is left."
        );
    }
    tracing::info!(
        "applied {} statements in {} transaction(s), {} round trips, {:.2?}",
        report.statements,
        report.transactions,
        db.round_trips() - before,
        started.elapsed()
    );
    drop(db);
    restart_if_pending(
        &verified,
        restart.as_ref(),
        (&settings, &config, &targets),
        text_options,
        true,
    )
    .await?;
    Ok(Outcome::Success)
}

/// After an apply that switched to TLS (see [`crate::model::TlsHandover`]):
/// how pgfort must connect from now on.
pub(super) fn say_if_switched_to_tls(report: &apply::ApplyReport) {
    for note in &report.notes {
        println!("{}", crate::render::display_safe(note));
    }
    if let Some(tls) = &report.reconnected {
        println!(
            "\npg_hba.conf now admits pgfort only over TLS: pgfort switched to sslmode={} to write it. \
             Connect with sslmode=prefer or stricter (not disable) from now on.",
            tls.sslmode
        );
    }
}

/// The server `--restart-if-needed` may restart; refused up front (before
/// anything changes) when pgfort does not control one here.
pub(super) fn local_server(args: &ApplyArgs) -> Result<Option<LocalServer>, Error> {
    if !args.restart_if_needed {
        return Ok(None);
    }
    let connection = &args.connection;
    if connection.sandbox {
        let sandbox = ensure_sandbox(&connection.sandbox_dir, connection.pg_bin.as_deref())?;
        return Ok(Some(LocalServer::Sandbox(sandbox)));
    }
    let Some(data_dir) = &args.pgdata else {
        return Err(Error::usage(
            "--restart-if-needed restarts only a server pgfort controls on this machine",
            Some(
                "add --sandbox, or --pgdata DIR for a server of this machine; otherwise restart it the way it is managed (e.g. systemctl restart postgresql)",
            ),
        ));
    };
    let pg_bin = crate::sandbox::find_pg_bin(connection.pg_bin.as_deref())?;
    Ok(Some(LocalServer::DataDir {
        data_dir: data_dir.clone(),
        pg_bin,
    }))
}

/// Reports restart-only settings that wait for a restart, and restarts
/// when allowed; then checks again that nothing is left.
async fn restart_if_pending(
    plan: &Plan,
    restart: Option<&Restarter>,
    (settings, config, targets): (&ConnectionSettings, &Config, &Targets),
    text_options: TextOptions,
    applied: bool,
) -> Result<(), Error> {
    if let Some(Restarter::Patroni(api)) = restart {
        return restart_through_patroni(api, settings, config, targets, text_options).await;
    }
    if plan.pending_restart.is_empty() {
        return Ok(());
    }
    let names: Vec<_> = plan
        .pending_restart
        .iter()
        .map(|p| display_safe(&p.setting))
        .collect();
    let Some(Restarter::Local(server)) = restart else {
        if applied {
            println!();
            print_text(
                &render::render_pending_restart(&PlanDoc::new(plan), text_options),
                text_options.color,
            );
        }
        println!(
            "Needs restart: PostgreSQL uses the configured {} only after a restart. Restart the \
             server the way it is managed (e.g. `systemctl restart postgresql` or `pg_ctl restart -D \
             DATADIR`), or run apply with --restart-if-needed and --sandbox or --pgdata DIR on its host \
             (under Patroni: apply --restart-if-needed restarts through its REST API).",
            names.join(", ")
        );
        return Ok(());
    };
    println!(
        "\nRestarting {} for {}…",
        server.describe(),
        names.join(", ")
    );
    server.restart()?;
    let db = connect_db(settings).await?;
    let after = crate::pipeline::verify(&db, settings, config, targets).await?;
    if after.pending_restart.is_empty() {
        println!("Restart complete: the server runs with the configured settings.");
        return Ok(());
    }
    print_text(
        &render::render_pending_restart(&PlanDoc::new(&after), text_options),
        text_options.color,
    );
    Err(Error::Internal(
        "the server still does not use the configured values after a restart".to_owned(),
    ))
}

/// Who restarts the server for `--restart-if-needed`.
pub(super) enum Restarter {
    /// The sandbox, or a data directory of this machine.
    Local(LocalServer),
    /// Patroni, member by member.
    Patroni(crate::patroni::PatroniApi),
}

/// `--restart-if-needed` under Patroni: a rolling restart of the members
/// that report a pending restart, then a plan that must be empty of them.
async fn restart_through_patroni(
    api: &crate::patroni::PatroniApi,
    settings: &ConnectionSettings,
    config: &Config,
    targets: &Targets,
    text_options: TextOptions,
) -> Result<(), Error> {
    let restarted = crate::patroni::rolling_restart(api, &|step| println!("{step}")).await?;
    if restarted.is_empty() {
        return Ok(());
    }
    let settings = super::common::follow_patroni_leader(settings.clone(), config).await?;
    let db = connect_db(&settings).await?;
    let after = crate::pipeline::verify(&db, &settings, config, targets).await?;
    if after.pending_restart.is_empty() {
        println!(
            "Restart complete: {} restarted through Patroni, replicas first; the cluster runs \
             with the configured settings.",
            restarted.join(", ")
        );
        return Ok(());
    }
    print_text(
        &render::render_pending_restart(&PlanDoc::new(&after), text_options),
        text_options.color,
    );
    Err(Error::Internal(
        "the leader still does not use the configured values after a restart through Patroni"
            .to_owned(),
    ))
}

/// A standby replicates its catalog: changes to it are the primary's to
/// make, and nothing is applied here until they have arrived.
fn standby_refusal(plan: &crate::plan::Plan) -> Error {
    let addresses: Vec<&str> = plan
        .for_primary
        .iter()
        .map(|change| change.address.as_str())
        .collect();
    Error::usage(
        format!(
            "this server is a standby: {} change(s) to replicated objects ({}) must be made on \
             the primary; nothing was applied",
            addresses.len(),
            crate::text::capped(addresses.iter().copied(), crate::text::NAMES_SHOWN)
        ),
        Some(
            "apply the configuration to the primary first; once it has replicated here, apply \
             here again for this node's settings, pg_hba.conf and certificates",
        ),
    )
}
