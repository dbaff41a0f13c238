//! Drift as plain text: one heading per kind, one line per object, one
//! indented line per differing attribute.

use std::fmt::Write;

use super::DriftReport;
use crate::render::escape::display_safe as safe;

pub fn render_text(report: &DriftReport) -> String {
    let mut out = String::new();
    if !report.drifted {
        let _ = writeln!(
            out,
            "No drift: {} matches the configuration.",
            safe(&report.target)
        );
        return out;
    }
    let _ = writeln!(
        out,
        "Drift on {}: {} object(s) differ from the configuration.",
        safe(&report.target),
        report.total
    );
    for kind in &report.kinds {
        let _ = writeln!(out, "\n{} ({})", safe(&kind.kind), kind.objects.len());
        for object in &kind.objects {
            let _ = writeln!(
                out,
                "  {} {}: {}",
                object.state.symbol(),
                safe(&object.address),
                object.state.words()
            );
            for difference in &object.differences {
                let _ = writeln!(out, "      {}", safe(&difference.describe()));
            }
            for reason in &object.reasons {
                let _ = writeln!(out, "      (because {})", safe(reason));
            }
        }
    }
    out.push_str(
        "\nRun `pgfort plan` to review the changes that undo it, `pgfort apply` to make them.\n",
    );
    out
}
