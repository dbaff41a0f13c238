//! The human report: grouped by area, failures with evidence and fix, then
//! the score per severity. Colour only when asked (a terminal).

use std::fmt::Write;

use super::Report;
use crate::audit::{Area, Finding, Severity, Status};
use crate::render::escape::display_safe as safe;

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("{code}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }
}

pub fn render_text(report: &Report, color: bool) -> String {
    let paint = Paint(color);
    let mut out = String::new();
    let target = &report.target;
    let _ = writeln!(
        out,
        "pgfort audit of {}@{} on {} (PostgreSQL {})",
        safe(&target.user),
        safe(&target.database),
        safe(&target.server),
        target.server_version
    );
    let mut areas: Vec<Area> = report.findings.iter().map(|f| f.area).collect();
    areas.sort();
    areas.dedup();
    for area in areas {
        let _ = writeln!(out, "\n{}", paint.wrap(BOLD, area.title()));
        for finding in report.findings.iter().filter(|f| f.area == area) {
            finding_lines(&mut out, finding, &paint);
        }
    }
    let total = report.summary.total;
    let _ = writeln!(
        out,
        "\nScore: {}% ({} passed, {} failed, {} skipped)",
        report.summary.score, total.passed, total.failed, total.skipped
    );
    if report.summary.unknown > 0 {
        let _ = writeln!(
            out,
            "  unknown: {}% of the weight was skipped (privileges or data it needs) and counts as not passed",
            report.summary.unknown
        );
    }
    for severity in Severity::ALL {
        let counts = report.counts(severity);
        if !counts.is_empty() {
            let _ = writeln!(
                out,
                "  {:<9} {:>3} passed {:>3} failed {:>3} skipped",
                severity.as_str(),
                counts.passed,
                counts.failed,
                counts.skipped
            );
        }
    }
    let health = report.summary.health;
    if !health.is_empty() {
        let _ = writeln!(
            out,
            "Operational health, apart: {} (not in the score or --fail-on; --fail-on-ops adds them)",
            health.describe()
        );
    }
    out
}

fn finding_lines(out: &mut String, finding: &Finding, paint: &Paint) {
    let (label, code) = match finding.status {
        Status::Pass => ("pass", GREEN),
        Status::Fail => ("FAIL", RED),
        Status::Skip => ("skip", YELLOW),
    };
    let _ = writeln!(
        out,
        "  {} {:<10} {:<26} {}",
        paint.wrap(code, label),
        format!("[{}]", finding.severity.as_str()),
        finding.id,
        finding.title
    );
    match finding.status {
        Status::Fail => {
            for line in &finding.evidence {
                let _ = writeln!(out, "         {}", safe(line));
            }
            let mut remedy = finding.remedy.lines();
            if let Some(first) = remedy.next() {
                let _ = writeln!(out, "         fix: {first}");
            }
            for line in remedy {
                let _ = writeln!(out, "              {line}");
            }
        }
        Status::Skip => {
            if let Some(reason) = &finding.skip_reason {
                let _ = writeln!(out, "         skipped: {}", safe(reason));
            }
        }
        Status::Pass => {}
    }
}
