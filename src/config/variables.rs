//! `variable` blocks and where their values come from. Precedence, highest
//! first, as Terraform's: `-var` and `-var-file` (the later on the command
//! line wins), then (with `--env`) the server's and its environment's
//! `variables`, `*.auto.pgfortvars` (later names win), `pgfort.pgfortvars`,
//! `PGFORT_VAR_<name>`, the default, the prompt. Values given as text are
//! converted to the declared type; messages never quote the value of a
//! sensitive variable.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use hcl::{Number, Value};
use hcl_edit::expr::Expression;
use hcl_edit::structure::Block;

use super::environments::EnvironmentValue;
use super::error::{ConfigError, Location, Result};
use super::eval::{Env, Evaluator};
use super::reader::BlockReader;
use super::source::SourceFile;
use super::suggest::did_you_mean;
use super::varfiles::{self, DEFAULT_FILE, Undeclared};
use super::{Prompter, VariableInputs};

/// The declared type of a variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VarType {
    Any,
    String,
    Number,
    Bool,
    List(Box<VarType>),
    Map(Box<VarType>),
}

impl fmt::Display for VarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VarType::Any => f.write_str("any"),
            VarType::String => f.write_str("string"),
            VarType::Number => f.write_str("number"),
            VarType::Bool => f.write_str("bool"),
            VarType::List(element) => write!(f, "list({element})"),
            VarType::Map(element) => write!(f, "map({element})"),
        }
    }
}

const TYPE_NAMES: &str = "string, number, bool, list(TYPE), map(TYPE), any";

/// A `variable "name" {}` block.
#[derive(Debug, Clone)]
pub(crate) struct VariableDecl {
    pub name: String,
    pub location: Location,
    pub description: Option<String>,
    pub sensitive: bool,
    pub var_type: VarType,
    pub default: Option<Value>,
}

/// Where a value given as text came from, for messages.
enum TextSource<'a> {
    Cli,
    Env(&'a str),
    Prompt,
}

impl fmt::Display for TextSource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextSource::Cli => f.write_str("-var"),
            TextSource::Env(name) => f.write_str(name),
            TextSource::Prompt => f.write_str("the prompt"),
        }
    }
}

/// An HCL identifier: what `var.NAME` and `module.NAME` can refer to.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Decodes one `variable` block; `constant` evaluates without references.
pub(crate) fn decode(
    block: &Block,
    src: &SourceFile,
    constant: &Evaluator,
) -> Result<VariableDecl> {
    let (name, location) = match block.labels.first() {
        Some(label) => (label.as_str().to_string(), src.locate(label)),
        None => (String::new(), src.locate(&block.ident)),
    };
    if !is_identifier(&name) {
        return Err(
            ConfigError::at(location, format!("invalid variable name \"{name}\""))
                .with_hint("use letters, digits, _ and -, starting with a letter or _"),
        );
    }
    let mut reader = BlockReader::new(block, src, constant, format!("variable \"{name}\""));
    let description = reader.string("description")?;
    let sensitive = reader.bool("sensitive")?.unwrap_or(false);
    let var_type = match reader.attribute("type") {
        Some(attribute) => parse_type(&attribute.value, src)?,
        None => VarType::Any,
    };
    let default = match reader.attribute("default") {
        Some(attribute) => {
            let node = constant.eval(&attribute.value, src)?;
            let value = coerce(node.to_value(), &var_type).map_err(|mismatch| {
                ConfigError::at(
                    node.location.clone(),
                    format!(
                        "default of variable \"{name}\" must be {var_type}, got {}",
                        mismatch.got
                    ),
                )
            })?;
            Some(value)
        }
        None => None,
    };
    reader.finish()?;
    Ok(VariableDecl {
        name,
        location,
        description,
        sensitive,
        var_type,
        default,
    })
}

fn parse_type(expr: &Expression, src: &SourceFile) -> Result<VarType> {
    let unknown = || {
        ConfigError::at(src.locate(expr), "invalid type".to_string())
            .with_hint(format!("a type is one of: {TYPE_NAMES}"))
    };
    match expr {
        Expression::Variable(ident) => match ident.as_str() {
            "any" => Ok(VarType::Any),
            "string" => Ok(VarType::String),
            "number" => Ok(VarType::Number),
            "bool" => Ok(VarType::Bool),
            _ => Err(unknown()),
        },
        Expression::FuncCall(call) if call.args.len() == 1 && !call.name.is_namespaced() => {
            let element = call
                .args
                .iter()
                .next()
                .map(|arg| parse_type(arg, src))
                .ok_or_else(unknown)??;
            match call.name.name.as_str() {
                "list" | "set" => Ok(VarType::List(Box::new(element))),
                "map" => Ok(VarType::Map(Box::new(element))),
                _ => Err(unknown()),
            }
        }
        _ => Err(unknown()),
    }
}

/// Why a value does not fit a type (never the value itself).
pub(crate) struct Mismatch {
    pub got: &'static str,
}

fn value_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

fn parse_number(text: &str) -> Option<Number> {
    let text = text.trim();
    if let Ok(n) = text.parse::<i64>() {
        return Some(Number::from(n));
    }
    text.parse::<f64>().ok().and_then(Number::from_f64)
}

/// Converts `value` to `var_type` the way Terraform does for primitives.
pub(crate) fn coerce(value: Value, var_type: &VarType) -> Result<Value, Mismatch> {
    let mismatch = |value: &Value| Mismatch {
        got: value_type(value),
    };
    match (var_type, value) {
        (_, Value::Null) => Ok(Value::Null),
        (VarType::Any, value) => Ok(value),
        (VarType::String, Value::String(s)) => Ok(Value::String(s)),
        (VarType::String, Value::Number(n)) => Ok(Value::String(n.to_string())),
        (VarType::String, Value::Bool(b)) => Ok(Value::String(b.to_string())),
        (VarType::Number, Value::Number(n)) => Ok(Value::Number(n)),
        (VarType::Number, Value::String(s)) => parse_number(&s)
            .map(Value::Number)
            .ok_or(Mismatch { got: "a string" }),
        (VarType::Bool, Value::Bool(b)) => Ok(Value::Bool(b)),
        (VarType::Bool, Value::String(s)) if s == "true" || s == "false" => {
            Ok(Value::Bool(s == "true"))
        }
        (VarType::List(element), Value::Array(items)) => items
            .into_iter()
            .map(|item| coerce(item, element))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        (VarType::Map(element), Value::Object(map)) => map
            .into_iter()
            .map(|(key, value)| coerce(value, element).map(|value| (key, value)))
            .collect::<Result<_, _>>()
            .map(Value::Object),
        (_, value) => Err(mismatch(&value)),
    }
}

/// Converts text from the command line, the environment or the prompt.
/// Lists and maps are written in HCL syntax, as with Terraform.
fn from_text(text: &str, var_type: &VarType, constant: &Evaluator) -> Result<Value, Mismatch> {
    match var_type {
        VarType::List(_) | VarType::Map(_) => {
            let parsed =
                hcl_edit::parser::parse_expr(text).map_err(|_| Mismatch { got: "a string" })?;
            let src = SourceFile::new("-".into(), text.to_string());
            let node = constant
                .eval(&parsed, &src)
                .map_err(|_| Mismatch { got: "a string" })?;
            coerce(node.to_value(), var_type)
        }
        _ => coerce(Value::String(text.to_string()), var_type),
    }
}

/// A resolved variable.
#[derive(Clone)]
pub(crate) struct Resolved {
    pub name: String,
    pub value: Value,
    pub sensitive: bool,
    /// No value was given (validation only): `value` is a stand-in of the
    /// declared type, and what derives from it is not checked.
    pub unknown: bool,
}

/// A stand-in of `var_type` for a variable without a value: the variable's
/// name for text (a valid name wherever a role or database is named),
/// 1, false, or empty collections.
pub(crate) fn placeholder(name: &str, var_type: &VarType) -> Value {
    match var_type {
        VarType::Any | VarType::String => Value::String(name.to_owned()),
        VarType::Number => Value::from(1),
        VarType::Bool => Value::Bool(false),
        VarType::List(_) => Value::Array(Vec::new()),
        VarType::Map(_) => Value::Object(Default::default()),
    }
}

/// A value given for this run, on the command line or in a `-var-file`.
enum Given {
    /// `-var name=value`: text, converted to the declared type.
    Text(String),
    /// A `-var-file` line: already an HCL value of the declared type.
    Value(Value),
}

/// The `-var`s and `-var-file`s, the later on the command line winning.
/// A file without a recorded position counts as given before every
/// `-var`.
fn explicit_values(
    inputs: &VariableInputs,
    declared: &BTreeMap<&str, &VariableDecl>,
    constant: &Evaluator,
    warnings: &mut Vec<ConfigError>,
) -> Result<BTreeMap<String, Given>> {
    let mut files = Vec::with_capacity(inputs.files.len());
    for (i, path) in inputs.files.iter().enumerate() {
        let position = inputs.file_positions.get(i).copied().unwrap_or(0);
        let values = varfiles::read(path, declared, constant, Undeclared::Error, warnings)?;
        files.push((position.min(inputs.cli.len()), values));
    }
    let mut given = BTreeMap::new();
    for k in 0..=inputs.cli.len() {
        for (_, values) in files.iter().filter(|(position, _)| *position == k) {
            for (name, value) in values {
                given.insert(name.clone(), Given::Value(value.clone()));
            }
        }
        if let Some((name, text)) = inputs.cli.get(k) {
            given.insert(name.clone(), Given::Text(text.clone()));
        }
    }
    Ok(given)
}

/// The values of `pgfort.pgfortvars` and `*.auto.pgfortvars` in `dir`,
/// later files winning.
fn auto_values(
    dir: &Path,
    declared: &BTreeMap<&str, &VariableDecl>,
    constant: &Evaluator,
    warnings: &mut Vec<ConfigError>,
) -> Result<BTreeMap<String, Value>> {
    let mut values = BTreeMap::new();
    for path in varfiles::auto_files(dir)? {
        values.extend(varfiles::read(
            &path,
            declared,
            constant,
            Undeclared::Warn,
            warnings,
        )?);
    }
    Ok(values)
}

/// What a root variable's value may come from, besides its declaration.
pub(crate) struct Sources<'a> {
    /// The configuration directory, for its variables files.
    pub dir: &'a Path,
    pub inputs: &'a VariableInputs,
    pub env: &'a Env,
    /// Values the selected environment server gives (its own above its
    /// environment's).
    pub environment: &'a BTreeMap<String, EnvironmentValue>,
    pub prompter: &'a dyn Prompter,
    /// A variable without a value is unknown instead of an error, and
    /// nobody is asked (`pgfort validate`).
    pub missing_is_unknown: bool,
}

/// Finds every declared variable's value, by precedence; problems that
/// do not stop loading go to `warnings`.
pub(crate) fn resolve(
    decls: &[VariableDecl],
    sources: &Sources<'_>,
    constant: &Evaluator,
    warnings: &mut Vec<ConfigError>,
) -> Result<Vec<Resolved>> {
    let declared: BTreeMap<&str, &VariableDecl> = decls
        .iter()
        .map(|decl| (decl.name.as_str(), decl))
        .collect();
    for (name, _) in &sources.inputs.cli {
        if !declared.contains_key(name.as_str()) {
            let hint = did_you_mean(name, declared.keys().copied())
                .unwrap_or_else(|| format!("declare it: variable \"{name}\" {{}}"));
            return Err(ConfigError::general(format!(
                "-var {name}: no variable \"{name}\" is declared"
            ))
            .with_hint(hint));
        }
    }
    let explicit = explicit_values(sources.inputs, &declared, constant, warnings)?;
    let auto = auto_values(sources.dir, &declared, constant, warnings)?;
    let mut resolved = Vec::with_capacity(decls.len());
    for decl in decls {
        let value = value_of(decl, &explicit, &auto, sources, constant)?;
        resolved.push(Resolved {
            name: decl.name.clone(),
            unknown: value.is_none(),
            value: value.unwrap_or_else(|| placeholder(&decl.name, &decl.var_type)),
            sensitive: decl.sensitive,
        });
    }
    Ok(resolved)
}

fn value_of(
    decl: &VariableDecl,
    explicit: &BTreeMap<String, Given>,
    auto: &BTreeMap<String, Value>,
    sources: &Sources<'_>,
    constant: &Evaluator,
) -> Result<Option<Value>> {
    let name = &decl.name;
    let convert = |text: &str, source: TextSource<'_>| {
        from_text(text, &decl.var_type, constant).map_err(|mismatch| {
            let mut message = format!(
                "invalid value for variable \"{name}\" from {source}: expected {}, got {}",
                decl.var_type, mismatch.got
            );
            if !decl.sensitive {
                message.push_str(&format!(" ({text:?})"));
            }
            ConfigError::general(message)
        })
    };
    match explicit.get(name) {
        Some(Given::Text(text)) => return convert(text, TextSource::Cli).map(Some),
        Some(Given::Value(value)) => return Ok(Some(value.clone())),
        None => {}
    }
    if let Some(given) = sources.environment.get(name) {
        let value = coerce(given.value.clone(), &decl.var_type).map_err(|mismatch| {
            ConfigError::at(
                given.value_location.clone(),
                format!(
                    "variable \"{name}\" must be {}, got {}",
                    decl.var_type, mismatch.got
                ),
            )
        })?;
        return Ok(Some(value));
    }
    if let Some(value) = auto.get(name) {
        return Ok(Some(value.clone()));
    }
    let (env, prompter) = (sources.env, sources.prompter);
    let env_name = format!("PGFORT_VAR_{name}");
    if let Some(text) = env.get(&env_name) {
        return convert(text, TextSource::Env(&env_name)).map(Some);
    }
    if let Some(default) = &decl.default {
        return Ok(Some(default.clone()));
    }
    if sources.missing_is_unknown {
        return Ok(None);
    }
    if let Some(text) = prompter.ask(name, decl.description.as_deref(), decl.sensitive) {
        return convert(&text, TextSource::Prompt).map(Some);
    }
    Err(ConfigError::at(
        decl.location.clone(),
        format!("no value for variable \"{name}\""),
    )
    .with_hint(format!(
        "set it with -var {name}=VALUE, in a -var-file or {DEFAULT_FILE}, or in the environment \
         variable {env_name}"
    )))
}
