//! `audit --env`: the controls on every server at once. A server whose
//! controls fail at or above --fail-on counts as changed (exit 3).

use super::plan::outcome;
use super::{Member, ServerRun, members, report, run_members};
use crate::Error;
use crate::audit::report::{render_markdown, render_text};
use crate::audit::{self, Format, Report, Selection};
use crate::cli::args::AuditArgs;
use crate::cli::{Outcome, Ui};
use crate::fleet::ServerStatus;

pub async fn audit(args: &AuditArgs, ui: Ui, selection: Selection) -> Result<Outcome, Error> {
    if matches!(args.format, Format::Sarif | Format::Html) {
        return Err(Error::usage(
            "with --env, audit prints text, markdown or json (one entry per server)",
            Some("for SARIF or HTML, audit each server on its own: --database-url URL"),
        ));
    }
    let dir = args.dir.clone().unwrap_or_else(|| ".".into());
    let members = members(&dir, &args.vars, &args.fleet, &args.connection)?;
    let runs = run_members(&members, &args.fleet, "auditing", |member| {
        let selection = &selection;
        async move {
            match audit_one(member, selection, args).await {
                Ok(report) => audited(args, ui, report),
                Err(error) => ServerRun::failed(&error),
            }
        }
    })
    .await;
    let environment = args.fleet.env.as_deref().unwrap_or_default();
    let json = args.format == Format::Json;
    let summary = report(environment, &args.fleet, &members, &runs, json, ui.color);
    Ok(outcome(summary.exit_code(3)))
}

/// The report, and whether it fails at --fail-on.
async fn audit_one(
    member: &Member,
    selection: &Selection,
    args: &AuditArgs,
) -> Result<(Report, bool), Error> {
    let (mut db, settings) = super::connect(member).await?;
    let settings = &settings;
    let (facts, findings) = crate::cli::commands::audit::audit_server(
        &mut db,
        settings,
        selection,
        &member.config.desired.pgbouncers,
    )
    .await?;
    let failed = audit::fails_at(&findings, args.fail_on, args.fail_on_ops);
    Ok((
        Report::new(&facts, findings, settings.server_address()),
        failed,
    ))
}

fn audited(args: &AuditArgs, ui: Ui, (report, failed): (Report, bool)) -> ServerRun {
    let (text, document) = match args.format {
        Format::Json => (String::new(), serde_json::to_value(&report).ok()),
        Format::Markdown => (render_markdown(&report), None),
        Format::Text | Format::Sarif | Format::Html => (render_text(&report, ui.color), None),
    };
    ServerRun {
        status: if failed {
            ServerStatus::Changed
        } else {
            ServerStatus::Unchanged
        },
        text,
        document,
        error: None,
    }
}
