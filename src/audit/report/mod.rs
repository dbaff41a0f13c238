//! One [`Report`] built from the findings, drawn in five formats: text for
//! people, versioned JSON for tools, SARIF 2.1.0 for code scanning,
//! Markdown for CI job summaries and one self-contained HTML page to open
//! in a browser. Rendering makes no decisions.

mod html;
mod markdown;
mod sarif;
mod text;

#[cfg(test)]
pub(crate) mod tests;

use std::collections::BTreeMap;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;

use super::{Area, AuditFacts, Finding, Severity, Status};

pub use html::render_html;
pub use markdown::render_markdown;
pub use sarif::render_sarif;
pub use text::render_text;

/// Bumped whenever the JSON shape changes (see schema/audit.schema.json).
///
/// 3: area `health` (the `ops-*` controls), counted apart in
/// `summary.health` and left out of the totals and the score.
pub const FORMAT_VERSION: u32 = 3;

/// How the report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
    Sarif,
    Markdown,
    Html,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            "markdown" | "md" => Ok(Format::Markdown),
            "html" => Ok(Format::Html),
            _ => Err(format!(
                "unknown format {text:?} (text, json, sarif, markdown or html)"
            )),
        }
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str() == text.to_ascii_lowercase())
            .ok_or_else(|| {
                format!("unknown severity {text:?} (critical, high, medium, low or info)")
            })
    }
}

/// Which server was audited: address, user and database (no secrets).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "AuditTarget", deny_unknown_fields)]
pub struct Target {
    /// `host:port` pgfort connected to (a socket directory for a local
    /// socket).
    pub server: String,
    /// e.g. `17.2`.
    pub server_version: String,
    pub user: String,
    pub database: String,
}

/// Passed, failed and skipped controls.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Counts {
    /// No control counted here ran.
    pub fn is_empty(&self) -> bool {
        self.passed + self.failed + self.skipped == 0
    }

    /// `3 passed, 1 failed, 0 skipped`.
    pub fn describe(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }

    fn add(&mut self, status: Status) {
        match status {
            Status::Pass => self.passed += 1,
            Status::Fail => self.failed += 1,
            Status::Skip => self.skipped += 1,
        }
    }
}

/// The score: totals, per severity, and the share of judged controls
/// passed, over the hardening controls; operational health apart.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "AuditSummary", deny_unknown_fields)]
pub struct Summary {
    #[serde(flatten)]
    pub total: Counts,
    /// The traffic-dependent health controls (`ops-*`, area `health`):
    /// outside the totals, the score and `--fail-on`.
    pub health: Counts,
    /// The counts of each severity that had controls.
    #[schemars(schema_with = "by_severity_schema")]
    pub by_severity: BTreeMap<&'static str, Counts>,
    /// Percent of the severity weight (critical 8, high 4, medium 2, low
    /// 1, info 0) of the applicable controls that passed. A control skipped for
    /// lack of privilege counts as not passed: a skip never raises the
    /// score. Controls that do not apply here (an extension the server
    /// lacks) are left out.
    #[schemars(range(max = 100))]
    pub score: u32,
    /// Percent of that weight skipped for lack of privilege or data:
    /// unknown, and shown apart (the score is at least this much lower
    /// than a full audit could find).
    #[schemars(range(max = 100))]
    pub unknown: u32,
}

/// What a control counts for in the score.
fn weight(severity: Severity) -> u64 {
    match severity {
        Severity::Critical => 8,
        Severity::High => 4,
        Severity::Medium => 2,
        Severity::Low => 1,
        Severity::Info => 0,
    }
}

/// Whether a skipped control simply does not apply to this server (it is
/// then left out of the score, rather than counted as unknown).
fn not_applicable(finding: &Finding) -> bool {
    finding
        .skip_reason
        .as_deref()
        .is_some_and(|reason| reason.starts_with("not applicable"))
}

/// (score, unknown) in percent of the weight of the applicable hardening
/// findings among `findings`; `None` when none of them carries weight. One
/// function for the whole report and for each area, so the two agree.
fn score<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Option<(u32, u32)> {
    let (mut total, mut passed, mut unknown) = (0u64, 0u64, 0u64);
    let scored = findings
        .into_iter()
        .filter(|f| f.area.is_hardening() && !not_applicable(f));
    for finding in scored {
        let w = weight(finding.severity);
        total += w;
        match finding.status {
            Status::Pass => passed += w,
            Status::Skip => unknown += w,
            Status::Fail => {}
        }
    }
    let percent = |part: u64| {
        (part * 100)
            .checked_div(total)
            .map(|p| u32::try_from(p).unwrap_or(100))
    };
    Some((percent(passed)?, percent(unknown)?))
}

/// `by_severity` is keyed by severity names: the schema lists them as the
/// only properties, each optional (severities with no control are left out).
fn by_severity_schema(generator: &mut SchemaGenerator) -> Schema {
    let counts = generator.subschema_for::<Counts>();
    let properties: serde_json::Map<String, serde_json::Value> = Severity::ALL
        .iter()
        .map(|severity| (severity.as_str().to_owned(), counts.clone().to_value()))
        .collect();
    json_schema!({
        "type": "object",
        "properties": properties,
        "additionalProperties": false
    })
}

/// Everything a renderer needs.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "AuditReport", deny_unknown_fields)]
pub struct Report {
    /// The shape of this document; any change of shape bumps it.
    #[schemars(extend("const" = FORMAT_VERSION))]
    pub format_version: u32,
    #[schemars(extend("const" = "pgfort"))]
    pub tool: &'static str,
    pub target: Target,
    pub summary: Summary,
    pub findings: Vec<Finding>,
}

impl Report {
    /// The report of `findings` on the server at `server` (`host:port`).
    pub fn new(facts: &AuditFacts, findings: Vec<Finding>, server: String) -> Report {
        let mut total = Counts::default();
        let mut health = Counts::default();
        let mut by_severity: BTreeMap<&'static str, Counts> = BTreeMap::new();
        for finding in &findings {
            if !finding.area.is_hardening() {
                health.add(finding.status);
                continue;
            }
            total.add(finding.status);
            by_severity
                .entry(finding.severity.as_str())
                .or_default()
                .add(finding.status);
        }
        // Nothing carries weight (e.g. only info controls ran): nothing
        // lowers the score.
        let (score, unknown) = score(&findings).unwrap_or((100, 0));
        Report {
            format_version: FORMAT_VERSION,
            tool: "pgfort",
            target: Target {
                server,
                server_version: version_text(facts.version_num),
                user: facts.session_user.clone(),
                database: facts.current_database.clone(),
            },
            summary: Summary {
                total,
                health,
                by_severity,
                score,
                unknown,
            },
            findings,
        }
    }

    /// Counts for one severity (zero when none ran).
    pub fn counts(&self, severity: Severity) -> Counts {
        self.summary
            .by_severity
            .get(severity.as_str())
            .copied()
            .unwrap_or_default()
    }

    /// (area, score and unknown) for each hardening area that ran, scored
    /// as the whole report is; `None` where nothing in the area carries
    /// weight.
    pub fn area_scores(&self) -> Vec<(Area, Option<(u32, u32)>)> {
        let mut areas: Vec<Area> = self
            .findings
            .iter()
            .map(|f| f.area)
            .filter(|area| area.is_hardening())
            .collect();
        areas.sort();
        areas.dedup();
        areas
            .into_iter()
            .map(|area| {
                let scored = score(self.findings.iter().filter(|f| f.area == area));
                (area, scored)
            })
            .collect()
    }
}

/// `170002` → `17.2`, `90624` → `9.6.24`.
pub(crate) fn version_text(num: u32) -> String {
    if num >= 100_000 {
        format!("{}.{}", num / 10_000, num % 10_000)
    } else {
        format!("{}.{}.{}", num / 10_000, num / 100 % 100, num % 100)
    }
}

/// The versioned JSON document.
pub fn render_json(report: &Report) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(report)
}
