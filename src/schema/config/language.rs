//! Descriptions of the blocks of the language itself: variable, locals,
//! output and module.

use std::collections::BTreeMap;

use schemars::JsonSchema;

use crate::schema::expressions::allow_expressions;

/// An input variable. Its value comes from, highest first: -var,
/// -var-file, PGFORT_VAR_NAME, the default, a prompt (on a terminal). In a
/// module, only the calling module block sets it.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    /// Shown when pgfort prompts for the value.
    pub description: Option<String>,
    /// Never shown: plans, messages and saved plans read "(sensitive)".
    pub sensitive: Option<bool>,
    /// string, number, bool, list(TYPE), map(TYPE) or any (the default).
    #[serde(rename = "type")]
    pub var_type: Option<String>,
    /// The value when none is given; the variable is required without one.
    pub default: Option<serde_json::Value>,
}

/// Named values (`NAME = expression`), read as `local.NAME`; they may
/// refer to variables, module outputs and each other.
pub type Locals = BTreeMap<String, serde_json::Value>;

/// What a module hands back to its caller, read there as
/// `module.NAME.OUTPUT`.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct Output {
    /// The value, usually an expression.
    pub value: serde_json::Value,
    /// For the module's readers.
    pub description: Option<String>,
    /// Needed when the value derives from a sensitive variable.
    pub sensitive: Option<bool>,
}

/// A module call: the directory's *.hcl files are loaded as part of the
/// configuration, with the other attributes as the module's inputs (its
/// variable blocks).
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(transform = allow_expressions)]
pub struct Module {
    /// The module's directory, relative to this file's.
    pub source: String,
    /// The inputs, by the module's variable names.
    #[serde(flatten)]
    pub inputs: BTreeMap<String, serde_json::Value>,
}
