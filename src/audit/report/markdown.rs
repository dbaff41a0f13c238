//! Markdown for CI job summaries (`>> $GITHUB_STEP_SUMMARY`): the score
//! table, then each failure with its evidence and the HCL that fixes it.

use std::fmt::Write;

use super::Report;
use crate::audit::{RemedyKind, Severity, Status};
use crate::render::escape::display_safe;

/// Table cells cannot hold pipes or newlines; control characters are
/// escaped (the summary is also read in a terminal).
fn cell(text: &str) -> String {
    display_safe(&text.replace('\n', " ")).replace('|', "\\|")
}

pub fn render_markdown(report: &Report) -> String {
    let mut out = String::new();
    let target = &report.target;
    let total = report.summary.total;
    let _ = writeln!(
        out,
        "## pgfort audit: {}@{} on {} (PostgreSQL {})\n",
        cell(&target.user),
        cell(&target.database),
        cell(&target.server),
        target.server_version
    );
    let _ = writeln!(
        out,
        "**Score: {}%** ({} passed, {} failed, {} skipped)\n",
        report.summary.score, total.passed, total.failed, total.skipped
    );
    if report.summary.unknown > 0 {
        let _ = writeln!(
            out,
            "Unknown: {}% of the weight was skipped (privileges or data it needs) and counts as not passed.\n",
            report.summary.unknown
        );
    }
    out.push_str("| severity | passed | failed | skipped |\n|---|---:|---:|---:|\n");
    for severity in Severity::ALL {
        let c = report.counts(severity);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            severity.as_str(),
            c.passed,
            c.failed,
            c.skipped
        );
    }
    let health = report.summary.health;
    if !health.is_empty() {
        let _ = writeln!(
            out,
            "\nOperational health, apart (not in the score or `--fail-on`): {}.",
            health.describe()
        );
    }
    let failures: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .collect();
    if failures.is_empty() {
        out.push_str("\nNo control failed.\n");
    } else {
        out.push_str("\n### Failed controls\n");
    }
    for finding in failures {
        let _ = writeln!(
            out,
            "\n#### `{}` {} ({})\n\n{}\n",
            finding.id,
            finding.title,
            finding.severity.as_str(),
            finding.rationale
        );
        for line in &finding.evidence {
            let _ = writeln!(out, "- `{}`", display_safe(&line.replace('`', "'")));
        }
        let fence = match finding.remedy_kind {
            RemedyKind::Hcl => "hcl",
            RemedyKind::Manual => "text",
        };
        let _ = writeln!(out, "\nFix:\n\n```{fence}\n{}\n```", finding.remedy);
    }
    let skipped: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Skip)
        .collect();
    if !skipped.is_empty() {
        out.push_str("\n### Skipped controls\n\n| id | reason |\n|---|---|\n");
        for finding in skipped {
            let _ = writeln!(
                out,
                "| `{}` | {} |",
                finding.id,
                cell(finding.skip_reason.as_deref().unwrap_or(""))
            );
        }
    }
    out
}
