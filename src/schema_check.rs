//! A structural JSON Schema check for the published schemas (`schema/`):
//! enough of the specification for documents pgfort writes. Shared by the
//! unit tests and, through `#[path]`, the integration tests (which check
//! the binary's output), so both use the same rules.

use serde_json::Value;

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
