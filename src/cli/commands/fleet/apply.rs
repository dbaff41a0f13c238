//! `apply --env`: every server locked, planned, applied and verified on
//! its own, concurrently. Without --auto-approve (on a terminal) the plans
//! are shown first and, once confirmed, each server applies exactly what
//! was shown or nothing.

use super::plan::{outcome, plan_one, planned};
use super::{Member, ServerRun, members, report, require_approval, run_members};
use crate::Error;
use crate::apply::{self, lock};
use crate::cli::args::ApplyArgs;
use crate::cli::prompt::confirm;
use crate::cli::{Outcome, Ui};
use crate::diff::DiffOptions;
use crate::fleet::ServerStatus;
use crate::pipeline::Fingerprint;
use crate::plan::{Plan, Statement, Targets};
use crate::render::{self, PlanDoc, TextOptions};

pub async fn apply(args: &ApplyArgs, ui: Ui) -> Result<Outcome, Error> {
    if crate::plan::saved::is_saved_plan(&args.dir) {
        return Err(Error::usage(
            "a saved plan is for the server it was made on: --env applies a configuration directory",
            Some("pgfort apply --env NAME DIR"),
        ));
    }
    require_approval(args.auto_approve)?;
    let targets = Targets::parse(&args.options.targets)?;
    let members = members(&args.dir, &args.vars, &args.fleet, &args.connection)?;
    let options = DiffOptions {
        rotate_passwords: args.options.rotate_passwords,
    };
    let text_options = TextOptions {
        color: ui.color,
        show_sql: args.options.show_sql,
        verbose: ui.verbose,
    };
    let environment = args.fleet.env.as_deref().unwrap_or_default();
    // Per server: the statements shown and confirmed, or the failure of
    // its plan (that server is not applied). Nothing when not asked.
    let mut reviewed: Vec<Option<Review>> = (0..members.len()).map(|_| None).collect();
    if !args.auto_approve {
        let planned: Vec<(ServerRun, Option<Work>)> =
            run_members(&members, &args.fleet, "planning", |member| {
                let targets = &targets;
                async move {
                    match plan_one(member, options, Fingerprint::Skip, targets).await {
                        Ok(plan) => (planned(&plan, text_options, false), Some(work_of(&plan))),
                        Err(error) => (ServerRun::failed(&error), None),
                    }
                }
            })
            .await;
        let (runs, statements): (Vec<ServerRun>, Vec<_>) = planned.into_iter().unzip();
        let summary = report(environment, &args.fleet, &members, &runs, false, ui.color);
        if summary.changed == 0 {
            return Ok(outcome(summary.exit_code(0)));
        }
        let question = format!(
            "\nDo you want to perform these actions on the {} server(s) with changes?",
            summary.changed
        );
        if !confirm(&question) {
            println!("\nApply cancelled.");
            return Ok(Outcome::Failure);
        }
        reviewed = runs
            .into_iter()
            .zip(statements)
            .map(|(run, statements)| Some(statements.ok_or(run)))
            .collect();
    }
    let review_of = |member: &Member| {
        let position = members.iter().position(|m| std::ptr::eq(m, member));
        position.and_then(|i| reviewed[i].clone())
    };
    let runs = run_members(&members, &args.fleet, "applying", |member| {
        let targets = &targets;
        let review = review_of(member);
        async move {
            let expected = match review {
                Some(Err(failed_plan)) => return failed_plan,
                Some(Ok(statements)) => Some(statements),
                None => None,
            };
            let step = ApplyStep {
                options,
                targets,
                lock_timeout: args.lock_timeout,
                statement_lock_timeout: args.statement_lock_timeout,
                text: text_options,
            };
            match apply_one(member, step, expected).await {
                Ok(run) => run,
                Err(error) => ServerRun::failed(&error),
            }
        }
    })
    .await;
    let summary = report(environment, &args.fleet, &members, &runs, false, ui.color);
    Ok(outcome(summary.exit_code(0)))
}

/// What a server's confirmed plan runs, or why it has none (its plan
/// failed: it is not applied).
type Review = Result<Work, ServerRun>;

/// What a reviewed plan does: its statements, and under Patroni the patch
/// of its dynamic configuration.
type Work = (Vec<Statement>, Option<crate::model::PatroniPatch>);

fn work_of(plan: &Plan) -> Work {
    (
        plan.statements().into_iter().cloned().collect(),
        plan.patroni.clone(),
    )
}

/// What every server's apply shares.
#[derive(Clone, Copy)]
struct ApplyStep<'a> {
    options: DiffOptions,
    targets: &'a Targets,
    lock_timeout: std::time::Duration,
    statement_lock_timeout: std::time::Duration,
    text: TextOptions,
}

/// One server: lock, plan, (check it is the plan shown), apply, verify,
/// unlock. A standby applies its node-local changes only; its primary
/// makes the rest.
async fn apply_one(
    member: &Member,
    step: ApplyStep<'_>,
    expected: Option<Work>,
) -> Result<ServerRun, Error> {
    let (db, settings) = super::connect(member).await?;
    let settings = &settings;
    let config = &member.config;
    let held = lock::acquire(&db, step.lock_timeout).await?;
    let planned = async {
        let plan =
            crate::pipeline::compute_plan(&db, settings, config, step.options, Fingerprint::Skip)
                .await?;
        crate::pipeline::select_and_guard(plan, config, step.targets)
    }
    .await;
    let mut plan = match planned {
        Ok(plan) => plan,
        Err(error) => {
            lock::release(&db).await;
            return Err(error);
        }
    };
    if let Some(expected) = expected
        && expected != work_of(&plan)
    {
        lock::release(&db).await;
        return Err(Error::usage(
            "the server changed since its plan was shown: nothing was applied here",
            Some("run the apply again to see the new plan"),
        ));
    }
    let mut text = render::render_text(&PlanDoc::new(&plan), step.text);
    if plan.is_empty() {
        lock::release(&db).await;
        return Ok(ServerRun {
            status: ServerStatus::Unchanged,
            text,
            document: None,
            error: None,
        });
    }
    plan.hash_passwords(&|_, _| {});
    let apply_options = apply::ApplyOptions {
        patroni: crate::cli::commands::common::patroni_api(config)?,
        local_files: false,
        statement_lock_timeout: step.statement_lock_timeout,
        lock: Some(held),
    };
    let applied = apply::apply_with(&db, settings, &plan, &|_, _| {}, apply_options).await;
    let report = match applied {
        Ok(report) => report,
        Err(error) => {
            lock::release(&db).await;
            let located = error.locate(&plan, |address| {
                config.location_of(address).map(ToString::to_string)
            });
            return Err(located.into());
        }
    };
    let summary = plan.summary();
    drop(plan);
    // After a switch to TLS the rest goes over TLS too.
    let switched = match &report.reconnected {
        Some(tls) => Some(crate::inspect::Db::new(crate::connect::connect(tls).await?)),
        None => None,
    };
    let verify_db = switched.as_ref().unwrap_or(&db);
    let verify_settings = report.reconnected.as_ref().unwrap_or(settings);
    let verified = crate::pipeline::verify(verify_db, verify_settings, config, step.targets).await;
    drop(switched);
    lock::release(&db).await;
    let verified = verified?;
    text.push_str(&format!(
        "\nApply complete! Resources: {} added, {} changed, {} destroyed.\n",
        summary.add, summary.change, summary.destroy
    ));
    if !verified.pending_restart.is_empty() {
        let names: Vec<&str> = verified
            .pending_restart
            .iter()
            .map(|pending| pending.setting.as_str())
            .collect();
        text.push_str(&format!(
            "\nNeeds restart: this server uses the configured {} only after a restart.\n",
            names.join(", ")
        ));
    }
    if let Some(tls) = &report.reconnected {
        text.push_str(&format!(
            "\npg_hba.conf now admits pgfort only over TLS: connect with sslmode={} or stricter \
             from now on.\n",
            tls.sslmode
        ));
    }
    Ok(ServerRun {
        status: ServerStatus::Changed,
        text,
        document: None,
        error: None,
    })
}
