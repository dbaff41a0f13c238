//! Drift as Markdown for CI job summaries (`>> $GITHUB_STEP_SUMMARY`): a
//! heading, the count, then one table per kind.

use std::fmt::Write;

use super::DriftReport;
use crate::render::escape::display_safe;
use crate::text::{NAMES_SHOWN, capped};

/// Table cells cannot hold pipes or newlines; control characters are
/// escaped (the summary is also read in a terminal).
fn cell(text: &str) -> String {
    display_safe(&text.replace('\n', " ")).replace('|', "\\|")
}

/// Inline code that survives backticks in the text.
fn code(text: &str) -> String {
    if text.contains('`') {
        format!("`` {} ``", cell(text))
    } else {
        format!("`{}`", cell(text))
    }
}

pub fn render_markdown(report: &DriftReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## pgfort drift: {}\n", code(&report.target));
    if !report.drifted {
        out.push_str("No drift: the server matches the configuration.\n");
        unmanaged(report, &mut out);
        return out;
    }
    let _ = writeln!(
        out,
        "**{} object(s)** differ from the configuration.",
        report.total
    );
    for kind in &report.kinds {
        let _ = writeln!(out, "\n### {} ({})\n", cell(&kind.kind), kind.objects.len());
        out.push_str("| Object | Drift | What differs |\n|---|---|---|\n");
        for object in &kind.objects {
            let mut what: Vec<String> = object
                .differences
                .iter()
                .map(|d| cell(&d.describe()))
                .collect();
            what.extend(object.reasons.iter().map(|r| cell(&format!("because {r}"))));
            if what.is_empty() {
                what.push("the whole object".to_owned());
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                code(&object.address),
                object.state.words(),
                what.join("<br>")
            );
        }
    }
    unmanaged(report, &mut out);
    out
}

/// The undeclared roles without superuser-level powers: information only.
fn unmanaged(report: &DriftReport, out: &mut String) {
    if report.unmanaged_roles.is_empty() {
        return;
    }
    let names: Vec<String> = report.unmanaged_roles.iter().map(|r| code(r)).collect();
    let _ = writeln!(
        out,
        "\nUnmanaged roles (not declared, left alone): {}",
        capped(names, NAMES_SHOWN)
    );
}
