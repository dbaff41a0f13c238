//! Drift as a versioned JSON document (schema/drift.schema.json).

use super::DriftReport;

pub fn render_json(report: &DriftReport) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|_| "{}".to_owned())
}
