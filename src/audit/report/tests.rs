//! Every format drawn from fixed facts (no server), snapshotted; the JSON
//! checked against the hand-written schema's required fields and types.

use serde_json::Value;

use super::*;
use crate::audit::fixtures::{hardened, unprivileged, weak_with_hostssl};
use crate::audit::{Selection, run};

fn report(facts: &AuditFacts) -> Report {
    Report::new(facts, run(facts, &Selection::default()))
}

#[test]
fn text_snapshot() {
    insta::assert_snapshot!(
        "text_weak",
        render_text(&report(&weak_with_hostssl()), false)
    );
    insta::assert_snapshot!(
        "text_unprivileged",
        render_text(&report(&unprivileged()), false)
    );
}

#[test]
fn text_colour_only_when_asked() {
    let report = report(&weak_with_hostssl());
    assert!(!render_text(&report, false).contains('\x1b'));
    assert!(render_text(&report, true).contains("\x1b[31mFAIL"));
}

#[test]
fn json_snapshot() -> Result<(), serde_json::Error> {
    insta::assert_snapshot!("json_weak", render_json(&report(&weak_with_hostssl()))?);
    Ok(())
}

#[test]
fn sarif_snapshot() -> Result<(), serde_json::Error> {
    let text = render_sarif(&report(&weak_with_hostssl()), ".")?;
    let sarif: Value = serde_json::from_str(&text)?;
    assert_eq!(sarif["version"], "2.1.0");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .map(Vec::len);
    assert_eq!(rules, Some(crate::audit::controls::all().count()));
    insta::assert_snapshot!("sarif_weak", text);
    Ok(())
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(
        "markdown_weak",
        render_markdown(&report(&weak_with_hostssl()))
    );
    insta::assert_snapshot!("markdown_hardened", render_markdown(&report(&hardened())));
}

#[test]
fn score_counts_every_control() {
    let report = report(&hardened());
    assert_eq!(report.summary.score, 100);
    assert_eq!(report.summary.total.failed, 0);
    assert_eq!(
        report.summary.total.passed,
        crate::audit::controls::all().count()
    );
}

/// A structural check of `value` against `schema`: types, required
/// properties, nested properties, items and enums.
pub fn conforms(root: &Value, schema: &Value, value: &Value, path: &str) -> Result<(), String> {
    if let Some(name) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
    {
        return conforms(root, &root["$defs"][name], value, path);
    }
    if let Some(kind) = schema.get("type") {
        let kinds: Vec<&str> = match kind {
            Value::String(s) => vec![s.as_str()],
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let ok = kinds.contains(&actual) || (actual == "integer" && kinds.contains(&"number"));
        if !ok {
            return Err(format!("{path}: expected {kinds:?}, got {actual}"));
        }
    }
    if let Some(choices) = schema.get("enum").and_then(Value::as_array)
        && !choices.contains(value)
    {
        return Err(format!("{path}: {value} is not one of {choices:?}"));
    }
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        for name in required.iter().filter_map(Value::as_str) {
            if value.get(name).is_none() {
                return Err(format!("{path}: missing required {name}"));
            }
        }
    }
    if let (Some(properties), Some(object)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        for (name, sub) in properties {
            if let Some(field) = object.get(name) {
                conforms(root, sub, field, &format!("{path}.{name}"))?;
            }
        }
    }
    if let (Some(additional), Some(object)) =
        (schema.get("additionalProperties"), value.as_object())
    {
        let declared = schema.get("properties").and_then(Value::as_object);
        for (name, field) in object {
            if declared.is_some_and(|d| d.contains_key(name)) {
                continue;
            }
            if additional == &Value::Bool(false) {
                return Err(format!("{path}: property {name} is not in the schema"));
            }
            if additional.is_object() {
                conforms(root, additional, field, &format!("{path}.{name}"))?;
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (index, item) in array.iter().enumerate() {
            conforms(root, items, item, &format!("{path}[{index}]"))?;
        }
    }
    Ok(())
}

#[test]
fn json_validates_against_the_schema() -> Result<(), Box<dyn std::error::Error>> {
    let schema: Value = serde_json::from_str(include_str!("../../../schema/audit.schema.json"))?;
    assert_eq!(
        schema["properties"]["format_version"]["const"],
        Value::from(FORMAT_VERSION),
        "bump the schema with FORMAT_VERSION"
    );
    for facts in [hardened(), weak_with_hostssl(), unprivileged()] {
        let document: Value = serde_json::from_str(&render_json(&report(&facts))?)?;
        conforms(&schema, &schema, &document, "$")?;
    }
    let broken = serde_json::json!({ "format_version": 1 });
    assert!(conforms(&schema, &schema, &broken, "$").is_err());
    Ok(())
}
