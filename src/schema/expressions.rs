//! What HCL's JSON form adds to the configuration schema: any attribute
//! may be an expression, written as a `"${...}"` string (`login =
//! var.is_app` becomes `"login": "${var.is_app}"`), and some names are
//! accepted in any case. Helpers for the configuration's description
//! types ([`super::config`]).

use schemars::{Schema, json_schema};
use serde_json::{Map, Value};

/// The name of the definition every expression refers to.
pub(crate) const EXPRESSION: &str = "Expression";

/// The definition of an expression in HCL's JSON form.
pub(crate) fn expression_definition() -> Value {
    serde_json::json!({
        "type": "string",
        "pattern": "\\$\\{",
        "description": "An HCL expression in JSON form, e.g. \"${var.app_password}\" or \
            \"${local.db}\": its value is checked when pgfort loads the configuration."
    })
}

/// Keys that describe a property rather than constrain it: they stay on
/// the property when its constraints become one choice of several.
const ANNOTATIONS: &[&str] = &["description", "title", "default", "examples", "deprecated"];

/// A container transform: every attribute of a block (a property of the
/// schema) may also be an expression, unless it already accepts any
/// string. Applied with `#[schemars(transform = allow_expressions)]`.
pub(crate) fn allow_expressions(schema: &mut Schema) {
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for property in properties.values_mut() {
        if let Value::Object(object) = property
            && !accepts_any_string(object)
        {
            *property = Value::Object(or_expression(std::mem::take(object)));
        }
    }
}

/// Whether `schema` admits every string (so an expression already fits).
fn accepts_any_string(schema: &Map<String, Value>) -> bool {
    let is_string = match schema.get("type") {
        Some(Value::String(kind)) => kind == "string",
        Some(Value::Array(kinds)) => kinds.iter().any(|kind| kind == "string"),
        _ => false,
    };
    let constrained = [
        "enum",
        "const",
        "pattern",
        "format",
        "minLength",
        "maxLength",
    ]
    .iter()
    .any(|key| schema.contains_key(*key));
    is_string && !constrained
}

/// `{ anyOf: [schema, Expression] }`, with the annotations kept outside.
fn or_expression(mut schema: Map<String, Value>) -> Map<String, Value> {
    let mut wrapper = Map::new();
    for key in ANNOTATIONS {
        if let Some(value) = schema.remove(*key) {
            wrapper.insert((*key).to_owned(), value);
        }
    }
    let reference = serde_json::json!({ "$ref": format!("#/$defs/{EXPRESSION}") });
    wrapper.insert(
        "anyOf".to_owned(),
        Value::Array(vec![Value::Object(schema), reference]),
    );
    wrapper
}

/// A string that is one of `names`, written in any case: the names as
/// given, and in lower and upper case (the spellings people use).
pub(crate) fn any_case(names: &[&str]) -> Schema {
    let mut spellings: Vec<String> = Vec::new();
    for name in names {
        for spelling in [
            (*name).to_owned(),
            name.to_ascii_lowercase(),
            name.to_ascii_uppercase(),
        ] {
            if !spellings.contains(&spelling) {
                spellings.push(spelling);
            }
        }
    }
    json_schema!({ "type": "string", "enum": spellings })
}

/// A string that is one of `names`, exactly.
pub(crate) fn one_of(names: &[&str]) -> Schema {
    json_schema!({ "type": "string", "enum": names })
}

/// Names the configuration shares with the model, as types to describe
/// attributes with (`#[schemars(with = "Option<names::KeyType>")]`), so
/// the schema lists exactly the names the decoders accept.
pub(crate) mod names {
    use std::borrow::Cow;

    use schemars::{JsonSchema, Schema, SchemaGenerator};

    use super::{any_case, one_of};

    /// Declares a type whose schema is a string from a list of names.
    macro_rules! names {
        ($(#[$doc:meta])* $name:ident = $build:ident($names:expr)) => {
            $(#[$doc])*
            pub(crate) struct $name;

            impl JsonSchema for $name {
                fn schema_name() -> Cow<'static, str> {
                    stringify!($name).into()
                }

                fn inline_schema() -> bool {
                    true
                }

                fn json_schema(_: &mut SchemaGenerator) -> Schema {
                    $build($names)
                }
            }
        };
    }

    names!(
        /// A key algorithm, in any case.
        KeyType = any_case(crate::model::KeyType::NAMES)
    );
    names!(
        /// A pg_hba.conf connection type.
        ConnType = one_of(crate::model::ConnType::NAMES)
    );
    names!(
        /// A pg_hba.conf authentication method.
        HbaMethod = one_of(crate::model::HBA_METHODS)
    );
    names!(
        /// A policy's command, in any case.
        PolicyCommand = any_case(crate::model::PolicyCommand::NAMES)
    );
    names!(
        /// permissive or restrictive, in any case.
        PolicyKind = any_case(&["permissive", "restrictive"])
    );
    names!(
        /// A TLS protocol version, in any case.
        Protocol = any_case(&["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"])
    );
    names!(
        /// A kind of storage, in any case.
        Storage = any_case(crate::tune::Storage::NAMES)
    );
    names!(
        /// A kind of workload, in any case.
        Workload = any_case(crate::tune::Workload::NAMES)
    );
}
