//! Drift as plain text: one heading per kind, one line per object, one
//! indented line per differing attribute.

use std::fmt::Write;

use super::{DriftReport, DriftState};
use crate::render::escape::display_safe as safe;
use crate::text::{NAMES_SHOWN, capped};

pub fn render_text(report: &DriftReport) -> String {
    let mut out = String::new();
    if !report.drifted {
        let _ = writeln!(
            out,
            "No drift: {} matches the configuration.",
            safe(&report.target)
        );
        unmanaged(report, &mut out);
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
    unmanaged(report, &mut out);
    out.push_str(
        "\nRun `pgfort plan` to review the changes that undo it, `pgfort apply` to make them.\n",
    );
    if report
        .kinds
        .iter()
        .flat_map(|k| &k.objects)
        .any(|o| o.state == DriftState::Unmanaged)
    {
        out.push_str(
            "Roles marked ! are not in the configuration: declare them (or list them in manage.ignore_roles) if they belong, or drop them.\n",
        );
    }
    out
}

/// The undeclared roles without superuser-level powers: information only.
fn unmanaged(report: &DriftReport, out: &mut String) {
    if report.unmanaged_roles.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\nUnmanaged roles (not declared, left alone): {}",
        capped(report.unmanaged_roles.iter().map(|r| safe(r)), NAMES_SHOWN)
    );
}
