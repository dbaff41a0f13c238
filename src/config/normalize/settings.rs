//! Role setting names and values (`ALTER ROLE … SET`), written the way
//! `pg_db_role_setting` stores them: `on`/`off` for bools, plain decimal
//! numbers, and lists as quoted identifiers joined by ", ".

use std::collections::BTreeMap;

use super::super::error::{ConfigError, Result};
use super::super::value::{MapEntry, Node, NodeKind};

/// Parameters whose value is a list even when written as one string.
const LIST_PARAMETERS: &[&str] = &[
    "search_path",
    "temp_tablespaces",
    "session_preload_libraries",
    "local_preload_libraries",
    "shared_preload_libraries",
];

/// Lowercases `name` and checks it looks like a parameter name: letters,
/// digits and `_`, with at most one `.` for extension (custom) parameters.
pub(crate) fn normalize_name(name: &str) -> Result<String, String> {
    let lower = name.to_ascii_lowercase();
    let parts: Vec<&str> = lower.split('.').collect();
    let part_ok = |part: &str| {
        let mut chars = part.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    if parts.len() <= 2 && parts.iter().all(|part| part_ok(part)) {
        Ok(lower)
    } else {
        Err(format!("invalid setting name \"{name}\""))
    }
}

/// A hint for [`normalize_name`] errors.
pub(crate) const NAME_HINT: &str = "a setting name is letters, digits and _, with one . for extension settings (e.g. pg_stat_statements.track)";

/// The stored text of setting `name` (already normalised) given as `node`.
pub(crate) fn normalize_value(name: &str, node: &Node, what: &str) -> Result<String> {
    node.require_plain(what)?;
    match &node.kind {
        NodeKind::Bool(true) => Ok("on".to_string()),
        NodeKind::Bool(false) => Ok("off".to_string()),
        NodeKind::Number(n) => Ok(n.to_string()),
        NodeKind::String(s) if LIST_PARAMETERS.contains(&name) => Ok(split_list(s)
            .iter()
            .map(|element| keep_or_quote(element))
            .collect::<Vec<_>>()
            .join(", ")),
        NodeKind::String(s) => Ok(s.clone()),
        NodeKind::List(items) => {
            let elements = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    item.to_text(&format!("{what}[{i}]"))
                        .map(|text| quote_identifier(&text))
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(elements.join(", "))
        }
        NodeKind::Null | NodeKind::Map(_) => Err(ConfigError::at(
            node.location.clone(),
            format!(
                "{what} must be a string, number, bool or list of strings, got {}",
                super::super::value::type_name(&node.kind)
            ),
        )),
    }
}

/// A map of setting names to values, both normalised (`settings = { … }`
/// of roles and databases).
pub(crate) fn normalize_map(entries: &[MapEntry], what: &str) -> Result<BTreeMap<String, String>> {
    let mut values = BTreeMap::new();
    for entry in entries {
        let name = normalize_name(&entry.key).map_err(|message| {
            ConfigError::at(entry.key_location.clone(), message).with_hint(NAME_HINT)
        })?;
        if values.contains_key(&name) {
            return Err(ConfigError::at(
                entry.key_location.clone(),
                format!("setting \"{name}\" appears twice in {what}"),
            ));
        }
        let value = normalize_value(&name, &entry.value, &format!("{what}.{name}"))?;
        values.insert(name, value);
    }
    Ok(values)
}

/// Quotes like PostgreSQL's `quote_identifier`, except that keywords are
/// not recognised: only lowercase identifier-shaped names stay bare.
pub(crate) fn quote_identifier(name: &str) -> String {
    let mut chars = name.chars();
    let bare = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if bare {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// Splits a list written as one string on commas outside double quotes.
fn split_list(text: &str) -> Vec<String> {
    let mut elements = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => elements.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    elements.push(current);
    elements
        .iter()
        .map(|element| element.trim().to_string())
        .collect()
}

/// An element already written in double quotes keeps them; others are
/// quoted as needed.
fn keep_or_quote(element: &str) -> String {
    let already_quoted = element.len() >= 2
        && element.starts_with('"')
        && element.ends_with('"')
        && !element[1..element.len() - 1]
            .replace("\"\"", "")
            .contains('"');
    if already_quoted {
        element.to_string()
    } else {
        quote_identifier(element)
    }
}

#[cfg(test)]
mod tests {
    use hcl::Value;

    use super::super::super::error::Location;
    use super::*;

    fn node(value: Value) -> Node {
        let location = Location {
            file: std::path::Path::new("t.hcl").into(),
            line: 1,
            column: 1,
        };
        Node::from_value(value, &location, None)
    }

    fn strings(items: &[&str]) -> Value {
        Value::Array(items.iter().map(|s| Value::from(*s)).collect())
    }

    #[test]
    fn values_as_postgresql_stores_them() {
        let table: Vec<(&str, Value, &str)> = vec![
            ("enable_seqscan", Value::Bool(true), "on"),
            ("enable_seqscan", Value::Bool(false), "off"),
            ("work_mem", Value::from(65536), "65536"),
            ("statement_timeout", Value::from(-1), "-1"),
            ("random_page_cost", Value::from(1.1), "1.1"),
            ("random_page_cost", Value::from(4.0), "4"),
            ("statement_timeout", Value::from("30s"), "30s"),
            ("application_name", Value::from("My App, v2"), "My App, v2"),
            (
                "search_path",
                Value::from("$user, public"),
                "\"$user\", public",
            ),
            (
                "search_path",
                Value::from("\"$user\",public"),
                "\"$user\", public",
            ),
            (
                "search_path",
                Value::from("app , Public"),
                "app, \"Public\"",
            ),
            ("search_path", Value::from("\"a,b\", c"), "\"a,b\", c"),
            (
                "search_path",
                strings(&["$user", "public"]),
                "\"$user\", public",
            ),
            (
                "search_path",
                strings(&["my schema", "x\"y"]),
                "\"my schema\", \"x\"\"y\"",
            ),
            ("temp_tablespaces", Value::from("fast,slow"), "fast, slow"),
            (
                "session_preload_libraries",
                Value::from("auto_explain"),
                "auto_explain",
            ),
            (
                "local_preload_libraries",
                strings(&["$libdir/plugins/x"]),
                "\"$libdir/plugins/x\"",
            ),
        ];
        for (name, value, expected) in table {
            assert_eq!(
                normalize_value(name, &node(value), name).unwrap(),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn rejects_maps_and_null() {
        let err = normalize_value("x", &node(Value::Null), "settings.x").unwrap_err();
        assert_eq!(
            err.message,
            "settings.x must be a string, number, bool or list of strings, got null"
        );
    }

    #[test]
    fn setting_names() {
        assert_eq!(normalize_name("Work_Mem").as_deref(), Ok("work_mem"));
        assert_eq!(
            normalize_name("pg_stat_statements.track").as_deref(),
            Ok("pg_stat_statements.track")
        );
        assert!(normalize_name("a.b.c").is_err());
        assert!(normalize_name("1abc").is_err());
        assert!(normalize_name("work mem").is_err());
        assert!(normalize_name("").is_err());
        assert!(normalize_name("x.").is_err());
    }
}
