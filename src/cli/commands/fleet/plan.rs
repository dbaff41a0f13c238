//! `plan --env` and `drift --env`: read-only, every server at once.

use super::{Member, ServerRun, members, report, run_members};
use crate::Error;
use crate::cli::args::{DriftArgs, PlanArgs, ReportFormat};
use crate::cli::{Outcome, Ui};
use crate::diff::DiffOptions;
use crate::fleet::ServerStatus;
use crate::pipeline::Fingerprint;
use crate::plan::{Plan, Targets, address, target};
use crate::render::drift::{self, DriftReport};
use crate::render::{self, PlanDoc, TextOptions, display_safe};

pub async fn plan(args: &PlanArgs, ui: Ui) -> Result<Outcome, Error> {
    let targets = Targets::parse(&args.options.targets)?;
    let members = members(&args.dir, &args.vars, &args.fleet, &args.connection)?;
    let options = DiffOptions {
        rotate_passwords: args.options.rotate_passwords,
    };
    // Digests only where they are shown (JSON) or checked (saved plans).
    let fingerprint = match args.json || args.out.is_some() {
        true => Fingerprint::Compute,
        false => Fingerprint::Skip,
    };
    let text_options = TextOptions {
        color: ui.color,
        show_sql: args.options.show_sql,
        verbose: ui.verbose,
    };
    let keep = args.out.is_some();
    let results: Vec<(ServerRun, Option<Plan>)> =
        run_members(&members, &args.fleet, "planning", |member| {
            let targets = &targets;
            async move {
                match plan_one(member, options, fingerprint, targets).await {
                    Ok(plan) => (
                        planned(&plan, text_options, args.json),
                        keep.then_some(plan),
                    ),
                    Err(error) => (ServerRun::failed(&error), None),
                }
            }
        })
        .await;
    let (runs, plans): (Vec<ServerRun>, Vec<Option<Plan>>) = results.into_iter().unzip();
    let environment = args.fleet.env.as_deref().unwrap_or_default();
    let summary = report(
        environment,
        &args.fleet,
        &members,
        &runs,
        args.json,
        ui.color,
    );
    if let Some(dir) = &args.out {
        let written = super::saved::save(dir, &members, plans, &args.dir)?;
        let path = dir.display().to_string();
        let shown = display_safe(&path);
        let message = format!(
            "\nSaved {written} plan(s) to {shown}.\nTo make exactly these changes, run:\n    pgfort apply {shown}"
        );
        if args.json {
            eprintln!("{message}");
        } else {
            println!("{message}");
        }
    }
    let changed = if args.detailed_exitcode { 2 } else { 0 };
    Ok(outcome(summary.exit_code(changed)))
}

/// The plan for one server, limited to `targets` and checked against the
/// destroy guards, as `plan` makes it for one connection.
pub(super) async fn plan_one(
    member: &Member,
    options: DiffOptions,
    fingerprint: Fingerprint,
    targets: &Targets,
) -> Result<Plan, Error> {
    let (db, settings) = super::connect(member).await?;
    let settings = &settings;
    let plan =
        crate::pipeline::compute_plan(&db, settings, &member.config, options, fingerprint).await?;
    crate::pipeline::select_and_guard(plan, &member.config, targets)
}

/// A server's section for its plan. Changes a standby leaves to its
/// primary are shown but are not this server's to make.
pub(super) fn planned(plan: &Plan, options: TextOptions, json: bool) -> ServerRun {
    let doc = PlanDoc::new(plan);
    ServerRun {
        status: if plan.is_empty() {
            ServerStatus::Unchanged
        } else {
            ServerStatus::Changed
        },
        text: if json {
            String::new()
        } else {
            render::render_text(&doc, options)
        },
        document: json.then(|| serde_json::to_value(&doc).unwrap_or_default()),
        error: None,
    }
}

pub async fn drift(args: &DriftArgs) -> Result<Outcome, Error> {
    let targets = Targets::parse(&args.targets)?;
    let members = members(&args.dir, &args.vars, &args.fleet, &args.connection)?;
    let format = args.format;
    let runs = run_members(&members, &args.fleet, "checking", |member| {
        let targets = &targets;
        async move {
            match drift_one(member, targets).await {
                Ok(report) => drifted(&report, format),
                Err(error) => ServerRun::failed(&error),
            }
        }
    })
    .await;
    let environment = args.fleet.env.as_deref().unwrap_or_default();
    let json = format == ReportFormat::Json;
    let summary = report(environment, &args.fleet, &members, &runs, json, false);
    Ok(outcome(summary.exit_code(2)))
}

async fn drift_one(member: &Member, targets: &Targets) -> Result<DriftReport, Error> {
    let (db, settings) = super::connect(member).await?;
    let settings = &settings;
    let config = &member.config;
    let plan = crate::pipeline::compute_plan(
        &db,
        settings,
        config,
        DiffOptions::default(),
        Fingerprint::Skip,
    )
    .await?;
    // A report applies nothing: the destroy guards do not stop it.
    let plan = target::restrict(plan, targets, || address::declared(&config.desired))?;
    Ok(DriftReport::new(&plan, settings.redacted_target()))
}

fn drifted(report: &DriftReport, format: ReportFormat) -> ServerRun {
    let status = if report.drifted {
        ServerStatus::Changed
    } else {
        ServerStatus::Unchanged
    };
    let (text, document) = match format {
        ReportFormat::Json => (
            String::new(),
            Some(serde_json::to_value(report).unwrap_or_default()),
        ),
        ReportFormat::Text => (drift::render_text(report), None),
        ReportFormat::Markdown => (drift::render_markdown(report), None),
    };
    ServerRun {
        status,
        text,
        document,
        error: None,
    }
}

/// The outcome for a fleet exit code.
pub(super) fn outcome(code: i32) -> Outcome {
    match code {
        0 => Outcome::Success,
        2 => Outcome::Changes,
        3 => Outcome::AuditFailed,
        _ => Outcome::Failure,
    }
}
