//! Evaluated values that remember where they were written and whether they
//! derive from a sensitive variable. Decoders turn them into typed fields
//! through the accessors here, which keep type errors uniform and never put
//! a sensitive value in a message.

use hcl::{Number, Value};

use super::error::{ConfigError, Location, Result};
use crate::model::Secret;

/// An evaluated value with its location. Lists and maps written literally
/// keep a location per element; values computed by an expression carry the
/// expression's location throughout.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: NodeKind,
    pub location: Location,
    /// What this value derives from that is sensitive, if anything, as
    /// messages name it after "the sensitive" (`variable "pw"`).
    pub sensitive: Option<String>,
    /// Derives from a variable without a value (validation only): the
    /// value is a stand-in, and errors about it are not reported.
    pub unknown: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum NodeKind {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Node>),
    Map(Vec<MapEntry>),
}

#[derive(Debug, Clone)]
pub(crate) struct MapEntry {
    pub key: String,
    pub key_location: Location,
    pub value: Node,
}

/// The type of a value, as named in error messages.
pub(crate) fn type_name(kind: &NodeKind) -> &'static str {
    match kind {
        NodeKind::Null => "null",
        NodeKind::Bool(_) => "a bool",
        NodeKind::Number(_) => "a number",
        NodeKind::String(_) => "a string",
        NodeKind::List(_) => "a list",
        NodeKind::Map(_) => "a map",
    }
}

impl Node {
    /// Wraps a computed value; every part gets the same location.
    pub fn from_value(value: Value, location: &Location, sensitive: Option<&str>) -> Node {
        let kind = match value {
            Value::Null => NodeKind::Null,
            Value::Bool(b) => NodeKind::Bool(b),
            Value::Number(n) => NodeKind::Number(n),
            Value::String(s) => NodeKind::String(s),
            Value::Array(items) => NodeKind::List(
                items
                    .into_iter()
                    .map(|item| Node::from_value(item, location, sensitive))
                    .collect(),
            ),
            Value::Object(map) => NodeKind::Map(
                map.into_iter()
                    .map(|(key, value)| MapEntry {
                        key,
                        key_location: location.clone(),
                        value: Node::from_value(value, location, sensitive),
                    })
                    .collect(),
            ),
        };
        Node {
            kind,
            location: location.clone(),
            sensitive: sensitive.map(str::to_string),
            unknown: false,
        }
    }

    /// Marks this value and every part of it unknown.
    pub fn mark_unknown(&mut self) {
        self.unknown = true;
        match &mut self.kind {
            NodeKind::List(items) => items.iter_mut().for_each(Node::mark_unknown),
            NodeKind::Map(entries) => entries
                .iter_mut()
                .for_each(|entry| entry.value.mark_unknown()),
            NodeKind::Null | NodeKind::Bool(_) | NodeKind::Number(_) | NodeKind::String(_) => {}
        }
    }

    /// Back to a plain value, for use in the evaluation context.
    pub fn to_value(&self) -> Value {
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Number(n) => Value::Number(*n),
            NodeKind::String(s) => Value::String(s.clone()),
            NodeKind::List(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            NodeKind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|entry| (entry.key.clone(), entry.value.to_value()))
                    .collect(),
            ),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, NodeKind::Null)
    }

    pub fn type_error(&self, what: &str, expected: &str) -> ConfigError {
        ConfigError::at(
            self.location.clone(),
            format!("{what} must be {expected}, got {}", type_name(&self.kind)),
        )
    }

    /// Refuses a sensitive value where it would end up in clear text.
    pub fn require_plain(&self, what: &str) -> Result<()> {
        match &self.sensitive {
            None => Ok(()),
            Some(origin) => Err(ConfigError::at(
                self.location.clone(),
                format!("{what} cannot take a value derived from the sensitive {origin}"),
            )
            .with_hint("only password attributes (and the hba options ldapbindpasswd and radiussecrets) accept sensitive values")),
        }
    }

    /// A bool; the strings "true" and "false" convert, as in Terraform.
    pub fn to_bool(&self, what: &str) -> Result<bool> {
        self.require_plain(what)?;
        match &self.kind {
            NodeKind::Bool(b) => Ok(*b),
            NodeKind::String(s) if s == "true" => Ok(true),
            NodeKind::String(s) if s == "false" => Ok(false),
            _ => Err(self.type_error(what, "a bool (true or false)")),
        }
    }

    /// A string; numbers and bools convert to their text, as in Terraform.
    pub fn to_text(&self, what: &str) -> Result<String> {
        self.require_plain(what)?;
        self.primitive_text()
            .ok_or_else(|| self.type_error(what, "a string"))
    }

    /// A string that may derive from a sensitive variable.
    pub fn to_secret(&self, what: &str) -> Result<Secret> {
        self.primitive_text()
            .map(Secret::new)
            .ok_or_else(|| self.type_error(what, "a string"))
    }

    /// A whole number within `min..=max`; numeric strings convert.
    pub fn to_integer(&self, what: &str, min: i64, max: i64) -> Result<i64> {
        self.require_plain(what)?;
        let number = match &self.kind {
            NodeKind::Number(n) => Some(*n),
            NodeKind::String(s) => s.trim().parse::<i64>().ok().map(Number::from),
            _ => None,
        };
        let value = number
            .ok_or_else(|| self.type_error(what, "a whole number"))?
            .as_i64()
            .ok_or_else(|| {
                ConfigError::at(
                    self.location.clone(),
                    format!("{what} must be a whole number"),
                )
            })?;
        if value < min || value > max {
            return Err(ConfigError::at(
                self.location.clone(),
                format!("{what} must be between {min} and {max}, got {value}"),
            ));
        }
        Ok(value)
    }

    /// The entries of a map.
    pub fn to_map(&self, what: &str) -> Result<&[MapEntry]> {
        match &self.kind {
            NodeKind::Map(entries) => Ok(entries),
            _ => Err(self.type_error(what, "a map")),
        }
    }

    fn primitive_text(&self) -> Option<String> {
        match &self.kind {
            NodeKind::String(s) => Some(s.clone()),
            NodeKind::Number(n) => Some(n.to_string()),
            NodeKind::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(value: Value, sensitive: Option<&str>) -> Node {
        let location = Location {
            file: std::path::Path::new("t.hcl").into(),
            line: 3,
            column: 7,
        };
        Node::from_value(value, &location, sensitive)
    }

    #[test]
    fn conversions() {
        assert!(node(Value::from("true"), None).to_bool("x").unwrap());
        assert_eq!(node(Value::from(5), None).to_text("x").unwrap(), "5");
        assert_eq!(
            node(Value::from("42"), None)
                .to_integer("x", -1, 100)
                .unwrap(),
            42
        );
        let err = node(Value::from(200), None)
            .to_integer("x", -1, 100)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.hcl:3:7: x must be between -1 and 100, got 200"
        );
        let err = node(Value::from(1.5), None)
            .to_integer("x", -1, 100)
            .unwrap_err();
        assert_eq!(err.message, "x must be a whole number");
    }

    #[test]
    fn sensitive_values_stay_out_of_messages() {
        let secret = node(Value::from("hunter2"), Some("variable \"pw\""));
        let err = secret.to_text("comment").unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
        assert!(err.message.contains("sensitive variable \"pw\""));
        let err = secret.to_bool("login").unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
        assert_eq!(secret.to_secret("password").unwrap().expose(), "hunter2");
        let list = node(
            Value::Array(vec![Value::from("hunter2")]),
            Some("variable \"pw\""),
        );
        let err = list.to_secret("password").unwrap_err();
        assert_eq!(err.message, "password must be a string, got a list");
    }
}
