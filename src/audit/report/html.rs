//! One self-contained HTML page: inline style and SVG, no script and
//! nothing fetched, so it can be attached to a ticket or opened offline.
//! Every element is closed and every attribute quoted, so the page also
//! parses as XML after its doctype (and tests check it that way).

use std::fmt::Write;

use super::Report;
use crate::audit::{Area, Finding, RemedyKind, Severity, Status};
use crate::render::escape::{display_safe, display_safe_lines};

/// Status is always written out (PASS, FAIL, SKIP): colour only repeats it.
const STYLE: &str = "
body { font: 15px/1.5 system-ui, sans-serif; color: #1b1f24; margin: 0 auto; max-width: 60rem; padding: 1rem 1.5rem; }
h1 { margin-bottom: 0.25rem; }
h2 { border-bottom: 1px solid #d0d7de; padding-bottom: 0.25rem; margin-top: 2rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; padding: 0.75rem; overflow-x: auto; }
dl.target { display: grid; grid-template-columns: max-content 1fr; gap: 0.1rem 1rem; margin: 0; }
dl.target dt { font-weight: 600; }
dl.target dd { margin: 0; }
.score { font-size: 1.6rem; font-weight: 700; margin: 0.5rem 0; }
.unknown { font-size: 1rem; font-weight: 400; color: #6e5a00; }
table { border-collapse: collapse; margin: 0.5rem 0; }
th, td { border: 1px solid #d0d7de; padding: 0.2rem 0.6rem; text-align: left; vertical-align: top; }
td.n { text-align: right; }
.finding { border-left: 4px solid #cf222e; padding: 0.1rem 0 0.1rem 1rem; margin: 1.25rem 0; }
.finding h4 { margin: 0; font-size: 1.05rem; }
.status, .badge { display: inline-block; font-size: 0.8rem; font-weight: 700; padding: 0 0.4rem; border-radius: 0.25rem; border: 1px solid; }
.status.fail { color: #a40e26; background: #ffebe9; }
.status.pass { color: #116329; background: #dafbe1; }
.status.skip { color: #6e5a00; background: #fff8c5; }
.badge { font-weight: 400; background: #f6f8fa; color: #1b1f24; }
.badge.critical, .badge.high { background: #1b1f24; color: #ffffff; }
ul.evidence { margin: 0.25rem 0; }
svg .track { fill: #eaeef2; }
svg .passed { fill: #2da44e; }
svg .unknown { fill: #d4a72c; }
svg text { font: 13px system-ui, sans-serif; fill: #1b1f24; }
footer { margin-top: 2rem; color: #57606a; font-size: 0.85rem; }
";

/// `text` safe in element content and quoted attribute values: the
/// characters markup gives meaning to become references, and control
/// characters (which XML forbids even as references) and bidi overrides
/// become visible escapes, as in the text report. Newlines and tabs stay.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in display_safe_lines(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Not characters in XML either.
            '\u{FFFE}' | '\u{FFFF}' => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

pub fn render_html(report: &Report) -> String {
    let target = &report.target;
    let title = format!(
        "pgfort audit: {}@{} on {}",
        target.user, target.database, target.server
    );
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n\
         <meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>pgfort audit</h1>\n\
         <dl class=\"target\">\n<dt>Server</dt><dd>{}</dd>\n<dt>PostgreSQL</dt><dd>{}</dd>\n\
         <dt>User</dt><dd>{}</dd>\n<dt>Database</dt><dd>{}</dd>\n</dl>\n</header>\n<main>\n",
        escape(&title),
        escape(&target.server),
        escape(&target.server_version),
        escape(&target.user),
        escape(&target.database),
    );
    summary(&mut out, report);
    chart(&mut out, report);
    failures(&mut out, report);
    others(&mut out, report);
    let _ = write!(
        out,
        "</main>\n<footer><p>pgfort audit report, format_version {}.</p></footer>\n</body>\n</html>\n",
        report.format_version
    );
    out
}

fn summary(out: &mut String, report: &Report) {
    let summary = &report.summary;
    let _ = write!(
        out,
        "<section id=\"summary\">\n<h2>Summary</h2>\n<p class=\"score\">Score: {}%",
        summary.score
    );
    if summary.unknown > 0 {
        let _ = write!(
            out,
            " <span class=\"unknown\">(unknown: {}%)</span>",
            summary.unknown
        );
    }
    let _ = write!(out, "</p>\n<p>{}.</p>\n", summary.total.describe());
    if summary.unknown > 0 {
        let _ = writeln!(
            out,
            "<p>Unknown: {}% of the weight was skipped (privileges or data it needs) and counts as not passed.</p>",
            summary.unknown
        );
    }
    out.push_str(
        "<table>\n<thead><tr><th>Severity</th><th>Passed</th><th>Failed</th><th>Skipped</th></tr></thead>\n<tbody>\n",
    );
    for severity in Severity::ALL {
        let c = report.counts(severity);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            severity.as_str(),
            c.passed,
            c.failed,
            c.skipped
        );
    }
    out.push_str("</tbody>\n</table>\n");
    if !summary.health.is_empty() {
        let _ = writeln!(
            out,
            "<p>Operational health, apart (not in the score or <code>--fail-on</code>): {}.</p>",
            summary.health.describe()
        );
    }
    out.push_str("</section>\n");
}

/// A horizontal bar per hardening area: passed weight, then unknown; the
/// percentages are also written as text beside each bar.
fn chart(out: &mut String, report: &Report) {
    const ROW: usize = 30;
    const BAR_X: usize = 190;
    const BAR_WIDTH: usize = 360;
    let areas = report.area_scores();
    let height = ROW * areas.len() + 10;
    let lines: Vec<String> = areas
        .iter()
        .map(|(area, scored)| format!("{}: {}", area.title(), area_label(*scored)))
        .collect();
    let _ = write!(
        out,
        "<section id=\"areas\">\n<h2>Score per area</h2>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" \
         width=\"720\" height=\"{height}\" viewBox=\"0 0 720 {height}\">\n\
         <title id=\"chart-title\">Score per area</title>\n<desc id=\"chart-desc\">{}</desc>\n",
        escape(&lines.join("; "))
    );
    for (row, (area, scored)) in areas.iter().enumerate() {
        let y = row * ROW + 5;
        let text_y = y + 15;
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{text_y}\">{}</text>\n\
             <rect class=\"track\" x=\"{BAR_X}\" y=\"{y}\" width=\"{BAR_WIDTH}\" height=\"20\"/>\n",
            escape(area.title())
        );
        let (score, unknown) = scored.unwrap_or((0, 0));
        let passed = BAR_WIDTH * score as usize / 100;
        let skipped = BAR_WIDTH * unknown as usize / 100;
        for (class, x, width) in [
            ("passed", BAR_X, passed),
            ("unknown", BAR_X + passed, skipped),
        ] {
            if width > 0 {
                let _ = writeln!(
                    out,
                    "<rect class=\"{class}\" x=\"{x}\" y=\"{y}\" width=\"{width}\" height=\"20\"/>"
                );
            }
        }
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{text_y}\">{}</text>",
            BAR_X + BAR_WIDTH + 10,
            escape(&area_label(*scored))
        );
    }
    out.push_str("</svg>\n</section>\n");
}

fn area_label(scored: Option<(u32, u32)>) -> String {
    match scored {
        Some((score, 0)) => format!("{score}%"),
        Some((score, unknown)) => format!("{score}% (unknown {unknown}%)"),
        None => "not scored (info only)".to_owned(),
    }
}

fn failures(out: &mut String, report: &Report) {
    let mut failed: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .collect();
    // Grouped by area, the most severe first; stable, so ties keep order.
    failed.sort_by_key(|f| (f.area, std::cmp::Reverse(f.severity)));
    out.push_str("<section id=\"failed\">\n<h2>Failed controls</h2>\n");
    if failed.is_empty() {
        out.push_str("<p>No control failed.</p>\n");
    }
    let mut current: Option<Area> = None;
    for finding in failed {
        if current != Some(finding.area) {
            current = Some(finding.area);
            let _ = writeln!(out, "<h3>{}</h3>", escape(finding.area.title()));
        }
        let id = escape(finding.id);
        let severity = finding.severity.as_str();
        let _ = write!(
            out,
            "<article class=\"finding\" id=\"control-{id}\">\n\
             <h4><span class=\"status fail\">FAIL</span> <code>{id}</code> {} \
             <span class=\"badge {severity}\">{severity}</span></h4>\n<p>{}</p>\n",
            escape(finding.title),
            escape(finding.rationale)
        );
        if !finding.evidence.is_empty() {
            out.push_str("<ul class=\"evidence\">\n");
            for line in &finding.evidence {
                let _ = writeln!(out, "<li><code>{}</code></li>", escape(&display_safe(line)));
            }
            out.push_str("</ul>\n");
        }
        let (label, language) = match finding.remedy_kind {
            RemedyKind::Hcl => ("Fix (pgfort HCL)", "hcl"),
            RemedyKind::Manual => ("Fix (manual step)", "text"),
        };
        let _ = write!(
            out,
            "<p>{label}:</p>\n<pre><code class=\"language-{language}\">{}</code></pre>\n</article>\n",
            escape(finding.remedy)
        );
    }
    out.push_str("</section>\n");
}

/// Passed and skipped controls, one row each, in the report's order.
fn others(out: &mut String, report: &Report) {
    out.push_str(
        "<section id=\"others\">\n<h2>Passed and skipped controls</h2>\n<table>\n\
         <thead><tr><th>Status</th><th>Id</th><th>Control</th><th>Severity</th><th>Area</th><th>Skipped because</th></tr></thead>\n<tbody>\n",
    );
    for finding in report.findings.iter() {
        let status = match finding.status {
            Status::Pass => "<span class=\"status pass\">PASS</span>",
            Status::Skip => "<span class=\"status skip\">SKIP</span>",
            Status::Fail => continue,
        };
        let _ = writeln!(
            out,
            "<tr><td>{status}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(finding.id),
            escape(finding.title),
            finding.severity.as_str(),
            escape(finding.area.title()),
            escape(&display_safe(finding.skip_reason.as_deref().unwrap_or("")))
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}
