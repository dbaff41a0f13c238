//! Hardening checks. Each control has a stable id (CIS PostgreSQL numbering
//! where one exists, `-ext` or `ext-`/`ops-` for extra checks), a severity,
//! a rationale and a remedy written as pgfort HCL. Controls are pure
//! functions of [`AuditFacts`]; gathering is read-only and never fixes.

pub mod catalog;
pub mod conninfo;
pub mod controls;
pub mod facts;
pub mod fix;
pub mod gather;
pub mod report;

#[cfg(test)]
pub mod fixtures;

use schemars::JsonSchema;
use serde::Serialize;

pub use facts::AuditFacts;
pub use report::{Format, Report};

/// How bad a failing control is. Ordered: info < low < medium < high <
/// critical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// Where a control belongs, for grouping the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Area {
    Authentication,
    Network,
    Logging,
    Privileges,
    Files,
    Operations,
    Misc,
    /// Traffic-dependent health (`ops-*`): reported apart, outside the
    /// score and `--fail-on` (unless `--fail-on-ops`).
    Health,
}

impl Area {
    pub fn title(self) -> &'static str {
        match self {
            Area::Authentication => "Authentication",
            Area::Network => "Network and SSL",
            Area::Logging => "Logging",
            Area::Privileges => "Privileges",
            Area::Files => "Files",
            Area::Operations => "Operations",
            Area::Misc => "Miscellaneous",
            Area::Health => "Operational health (not in the score)",
        }
    }

    /// Hardening areas count in the score and `--fail-on`; health does not.
    pub fn is_hardening(self) -> bool {
        self != Area::Health
    }
}

/// The result of one control: evidence lines (values, rule lines, role
/// names; never secrets) or why it could not be judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Pass(Vec<String>),
    Fail(Vec<String>),
    /// Could not be judged, e.g. `needs superuser`. Never a silent pass.
    Skip(String),
}

/// Whether a remedy is pgfort HCL to paste, or a manual step (files,
/// pg_hba.conf, restarts) that a `settings` block cannot express.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RemedyKind {
    Hcl,
    Manual,
}

/// Remedies that start with a pgfort block are HCL; the rest are steps.
pub fn remedy_kind(remedy: &str) -> RemedyKind {
    const BLOCKS: [&str; 10] = [
        "settings {",
        "hba {",
        "certificate_authority \"",
        "server_certificate {",
        "role \"",
        "manage {",
        "grant {",
        "extension \"",
        "database \"",
        "schema \"",
    ];
    if BLOCKS.iter().any(|block| remedy.starts_with(block)) {
        RemedyKind::Hcl
    } else {
        RemedyKind::Manual
    }
}

/// The status of a finding, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Skip,
}

/// A hardening control: fixed metadata and a pure check.
pub struct Control {
    pub id: &'static str,
    pub area: Area,
    pub title: &'static str,
    pub severity: Severity,
    pub rationale: &'static str,
    /// The pgfort HCL (or manual step) that fixes a failure.
    pub remedy: &'static str,
    pub check: fn(&AuditFacts) -> Check,
}

/// One control's outcome.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Finding {
    /// Stable control id, e.g. `3.1.20` or `5.12-ext`.
    pub id: &'static str,
    pub area: Area,
    pub title: &'static str,
    pub severity: Severity,
    pub status: Status,
    /// Why the control matters.
    pub rationale: &'static str,
    /// pgfort HCL (or a manual step) that fixes a failure.
    pub remedy: &'static str,
    pub remedy_kind: RemedyKind,
    /// What the control saw: values, rule lines, role names (never secrets).
    pub evidence: Vec<String>,
    /// Why the control could not be judged (present when skipped), e.g.
    /// `needs superuser`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub skip_reason: Option<String>,
}

/// Which controls run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only these ids (all when empty).
    pub ids: Vec<String>,
    pub min_severity: Option<Severity>,
}

/// Ids in `selection` that name no control.
pub fn unknown_ids(selection: &Selection) -> Vec<String> {
    selection
        .ids
        .iter()
        .filter(|id| !controls::all().any(|c| c.id == id.as_str()))
        .cloned()
        .collect()
}

/// Runs the selected controls against `facts`, in table order.
pub fn run(facts: &AuditFacts, selection: &Selection) -> Vec<Finding> {
    controls::all()
        .filter(|c| selection.ids.is_empty() || selection.ids.iter().any(|id| id == c.id))
        .filter(|c| selection.min_severity.is_none_or(|min| c.severity >= min))
        .map(|control| evaluate(control, facts))
        .collect()
}

fn evaluate(control: &Control, facts: &AuditFacts) -> Finding {
    let (status, evidence, skip_reason) = match (control.check)(facts) {
        Check::Pass(evidence) => (Status::Pass, evidence, None),
        Check::Fail(evidence) => (Status::Fail, evidence, None),
        Check::Skip(reason) => (Status::Skip, Vec::new(), Some(reason)),
    };
    Finding {
        id: control.id,
        area: control.area,
        title: control.title,
        severity: control.severity,
        status,
        rationale: control.rationale,
        remedy: control.remedy,
        remedy_kind: remedy_kind(control.remedy),
        evidence,
        skip_reason,
    }
}

/// Whether a failure at or above `threshold` is among `findings`.
pub fn fails_at(findings: &[Finding], threshold: Severity, with_health: bool) -> bool {
    findings.iter().any(|f| {
        f.status == Status::Fail
            && f.severity >= threshold
            && (with_health || f.area.is_hardening())
    })
}
