//! SARIF 2.1.0 for code-scanning uploads: every selected control is a rule,
//! every failure a result located at the audited database. Code scanning
//! rejects results without an artifact location, so each result also
//! points at `artifact` (the configuration directory, or `.`), with a
//! fingerprint per control and target so alerts stay stable across runs.

use serde_json::{Value, json};

use super::Report;
use crate::audit::{RemedyKind, Severity, Status};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` scale (0-10).
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

pub fn render_sarif(report: &Report, artifact: &str) -> Result<String, serde_json::Error> {
    let rules: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "id": f.id,
                "name": f.title,
                "shortDescription": { "text": f.title },
                "fullDescription": { "text": f.rationale },
                "help": {
                    "text": f.remedy,
                    "markdown": match f.remedy_kind {
                        RemedyKind::Hcl => format!("```hcl\n{}\n```", f.remedy),
                        RemedyKind::Manual => f.remedy.to_owned(),
                    },
                },
                "defaultConfiguration": { "level": level(f.severity) },
                "properties": {
                    "security-severity": security_severity(f.severity),
                    "tags": ["security", "postgresql", format!("{:?}", f.area).to_lowercase()],
                },
            })
        })
        .collect();
    let location = format!("{}@{}", report.target.user, report.target.database);
    let results: Vec<Value> = report
        .findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.status == Status::Fail)
        .map(|(index, f)| {
            json!({
                "ruleId": f.id,
                "ruleIndex": index,
                "level": level(f.severity),
                "message": { "text": format!("{}: {}", f.title, f.evidence.join("; ")) },
                "locations": [{
                    "physicalLocation": { "artifactLocation": { "uri": artifact } },
                    "logicalLocations": [{ "name": location, "kind": "module" }],
                }],
                "partialFingerprints": { "pgfortControl/v1": format!("{}@{location}", f.id) },
            })
        })
        .collect();
    let document = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "pgfort",
                    "rules": rules,
                }
            },
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&document)
}
