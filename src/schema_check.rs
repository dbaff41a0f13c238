//! A structural JSON Schema check for the published schemas (`schema/`):
//! enough of the specification for documents pgfort writes and the
//! schemas it generates. Shared by the unit tests and, through `#[path]`,
//! the integration tests (which check the binary's output), so both use
//! the same rules.
//!
//! Supported: boolean schemas, `$ref` to anywhere in the same document
//! (with its sibling keywords), `type` (one or a list, `null` included),
//! `enum`, `const`, `anyOf`, `oneOf`, `allOf`, `required`, `properties`,
//! `additionalProperties`, `items`, `minimum`, `maximum`, and `pattern`
//! when it is a literal text (such as the `\$\{` of expressions). Other
//! patterns and annotations (`description`, `format`, …) are not checked.

use serde_json::Value;

/// A structural check of `value` against `schema`, a part of `root` (which
/// `$ref`s point into). `path` names `value` in messages, e.g. `$`.
pub fn conforms(root: &Value, schema: &Value, value: &Value, path: &str) -> Result<(), String> {
    let schema = match schema {
        Value::Bool(true) => return Ok(()),
        Value::Bool(false) => return Err(format!("{path}: no value is allowed here")),
        Value::Object(schema) => schema,
        _ => {
            return Err(format!(
                "{path}: the schema is neither an object nor a bool"
            ));
        }
    };
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let target = reference
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
            .ok_or_else(|| format!("{path}: unresolved $ref {reference}"))?;
        conforms(root, target, value, path)?;
    }
    if let Some(kind) = schema.get("type") {
        check_type(kind, value, path)?;
    }
    if let Some(choices) = schema.get("enum").and_then(Value::as_array)
        && !choices.contains(value)
    {
        return Err(format!("{path}: {value} is not one of {choices:?}"));
    }
    if let Some(expected) = schema.get("const")
        && expected != value
    {
        return Err(format!("{path}: {value} is not {expected}"));
    }
    if let (Some(pattern), Some(text)) = (
        schema.get("pattern").and_then(Value::as_str),
        value.as_str(),
    ) && let Some(literal) = literal_pattern(pattern)
        && !text.contains(&literal)
    {
        return Err(format!("{path}: {value} does not match {pattern}"));
    }
    check_combinations(root, schema, value, path)?;
    if let Some(number) = value.as_f64() {
        check_bounds(schema, number, path)?;
    }
    if let Some(object) = value.as_object() {
        check_object(root, schema, object, path)?;
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (index, item) in array.iter().enumerate() {
            conforms(root, items, item, &format!("{path}[{index}]"))?;
        }
    }
    Ok(())
}

/// The text a pattern matches anywhere, when it is a plain text with
/// escaped punctuation; `None` for a real regular expression.
fn literal_pattern(pattern: &str) -> Option<String> {
    let mut literal = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let escaped = chars.next()?;
                if escaped.is_alphanumeric() {
                    return None;
                }
                literal.push(escaped);
            }
            '.' | '^' | '$' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' => {
                return None;
            }
            other => literal.push(other),
        }
    }
    Some(literal)
}

fn check_type(kind: &Value, value: &Value, path: &str) -> Result<(), String> {
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
    if kinds.contains(&actual) || (actual == "integer" && kinds.contains(&"number")) {
        Ok(())
    } else {
        Err(format!("{path}: expected {kinds:?}, got {actual}"))
    }
}

/// `allOf`: every one; `anyOf`: at least one; `oneOf`: exactly one.
fn check_combinations(
    root: &Value,
    schema: &serde_json::Map<String, Value>,
    value: &Value,
    path: &str,
) -> Result<(), String> {
    let list = |key: &str| {
        schema
            .get(key)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    };
    for sub in list("allOf") {
        conforms(root, sub, value, path)?;
    }
    let any_of = list("anyOf");
    if !any_of.is_empty() {
        let outcomes: Vec<Result<(), String>> = any_of
            .iter()
            .map(|sub| conforms(root, sub, value, path))
            .collect();
        if !outcomes.iter().any(Result::is_ok) {
            return Err(format!(
                "{path}: matches none of anyOf ({})",
                reasons(&outcomes)
            ));
        }
    }
    let one_of = list("oneOf");
    if !one_of.is_empty() {
        let outcomes: Vec<Result<(), String>> = one_of
            .iter()
            .map(|sub| conforms(root, sub, value, path))
            .collect();
        match outcomes.iter().filter(|outcome| outcome.is_ok()).count() {
            1 => {}
            0 => {
                return Err(format!(
                    "{path}: matches none of oneOf ({})",
                    reasons(&outcomes)
                ));
            }
            n => return Err(format!("{path}: matches {n} of oneOf, not exactly one")),
        }
    }
    Ok(())
}

fn reasons(outcomes: &[Result<(), String>]) -> String {
    outcomes
        .iter()
        .filter_map(|outcome| outcome.as_ref().err().cloned())
        .collect::<Vec<_>>()
        .join("; ")
}

fn check_bounds(
    schema: &serde_json::Map<String, Value>,
    number: f64,
    path: &str,
) -> Result<(), String> {
    if let Some(minimum) = schema.get("minimum").and_then(Value::as_f64)
        && number < minimum
    {
        return Err(format!("{path}: {number} is below the minimum {minimum}"));
    }
    if let Some(maximum) = schema.get("maximum").and_then(Value::as_f64)
        && number > maximum
    {
        return Err(format!("{path}: {number} is above the maximum {maximum}"));
    }
    Ok(())
}

fn check_object(
    root: &Value,
    schema: &serde_json::Map<String, Value>,
    object: &serde_json::Map<String, Value>,
    path: &str,
) -> Result<(), String> {
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        for name in required.iter().filter_map(Value::as_str) {
            if !object.contains_key(name) {
                return Err(format!("{path}: missing required {name}"));
            }
        }
    }
    let declared = schema.get("properties").and_then(Value::as_object);
    for (name, field) in object {
        let at = format!("{path}.{name}");
        match declared.and_then(|properties| properties.get(name)) {
            Some(sub) => conforms(root, sub, field, &at)?,
            None => match schema.get("additionalProperties") {
                Some(Value::Bool(false)) => {
                    return Err(format!("{path}: property {name} is not in the schema"));
                }
                Some(additional) => conforms(root, additional, field, &at)?,
                None => {}
            },
        }
    }
    Ok(())
}
