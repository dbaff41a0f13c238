//! Attribute values in JSON documents, typed. The plan holds each value as
//! people read it (`true`, `25`, `"C.UTF-8"`, `admin=false inherit=true`);
//! a program reading `--json` wants a boolean, a number and a string. The
//! shown form is the HCL literal of the value, so the conversion is exact:
//! `true`/`false` become booleans, integers numbers, a quoted string its
//! text, and anything else (a description, a pg_hba rule, a size such as
//! `0777` or `8GB` that must keep its spelling) stays the text shown.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Serialize, Serializer};

/// A value as the plan shows it, serialized typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown(pub String);

impl Shown {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The JSON value of a value shown as `shown`.
pub fn typed(shown: &str) -> serde_json::Value {
    match shown {
        "true" => serde_json::Value::Bool(true),
        "false" => serde_json::Value::Bool(false),
        _ => match integer(shown) {
            Some(number) => serde_json::Value::from(number),
            None => serde_json::Value::String(unquote(shown).unwrap_or_else(|| shown.to_owned())),
        },
    }
}

/// `shown` as an integer when it is written the one way an integer is
/// (no sign but `-`, no leading zero), so that reading it back as text
/// gives the same spelling.
fn integer(shown: &str) -> Option<i64> {
    let digits = shown.strip_prefix('-').unwrap_or(shown);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && shown != "-0";
    if canonical { shown.parse().ok() } else { None }
}

/// The text of a value shown double-quoted with `\\` and `\"` escaped
/// (how the plan quotes text); `None` when `shown` is not exactly that.
fn unquote(shown: &str) -> Option<String> {
    let inner = shown.strip_prefix('"')?.strip_suffix('"')?;
    let mut text = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                escaped @ ('\\' | '"') => text.push(escaped),
                _ => return None,
            },
            '"' => return None,
            other => text.push(other),
        }
    }
    Some(text)
}

impl Serialize for Shown {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        typed(&self.0).serialize(serializer)
    }
}

impl JsonSchema for Shown {
    fn schema_name() -> Cow<'static, str> {
        "Value".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["boolean", "integer", "string"],
            "description": "The value, typed: a boolean, an integer, or text (descriptions \
                            such as a pg_hba rule, and values whose spelling matters such \
                            as `0777` or `8GB`, are text)."
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::typed;

    #[test]
    fn values_get_their_json_type() {
        let table = [
            ("true", json!(true)),
            ("false", json!(false)),
            ("25", json!(25)),
            ("-1", json!(-1)),
            ("0", json!(0)),
            ("\"C.UTF-8\"", json!("C.UTF-8")),
            ("\"say \\\"hi\\\" \\\\ now\"", json!("say \"hi\" \\ now")),
            ("\"true\"", json!("true")),
            ("\"25\"", json!("25")),
            ("0777", json!("0777")),
            ("-0", json!("-0")),
            ("+5", json!("+5")),
            ("8GB", json!("8GB")),
            ("99999999999999999999", json!("99999999999999999999")),
            (
                "admin=false inherit=true",
                json!("admin=false inherit=true"),
            ),
            ("\"a\" \"b\"", json!("\"a\" \"b\"")),
            ("\"bad \\n escape\"", json!("\"bad \\n escape\"")),
            ("(sensitive)", json!("(sensitive)")),
            ("", json!("")),
        ];
        for (shown, expected) in table {
            assert_eq!(typed(shown), expected, "{shown:?}");
        }
    }
}
