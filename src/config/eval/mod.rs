//! Expression evaluation: a static check of what an expression uses (exact
//! locations for undefined names), then hcl-rs for the rest of HCL, with
//! arithmetic rewritten into checked operations first ([`arith`]), wrapped
//! into located [`Node`]s. Literal lists and maps are walked here so each
//! element keeps its own location.

mod arith;
mod functions;
pub(crate) mod refs;

use std::cell::RefCell;
use std::collections::BTreeMap;

use hcl::Value;
use hcl::eval::{Context, ErrorKind, Evaluate};
use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey};

pub(crate) use functions::{Env, FuncEnv};
use refs::{Namespace, Reference, Uses};

use super::error::{ConfigError, Location, Result};
use super::source::SourceFile;
use super::suggest::did_you_mean;
use super::value::{MapEntry, Node, NodeKind};

/// A variable's, local's or module output's value as seen by expressions.
#[derive(Debug, Clone)]
pub(crate) struct Bound {
    pub value: Value,
    /// What makes it sensitive, as messages name it after "the sensitive"
    /// (`variable "pw"`, `output "password" of module "app"`).
    pub sensitive: Option<String>,
    /// Its value is a stand-in: it derives from a variable without a value
    /// (validation only).
    pub unknown: bool,
}

/// What an expression's value derives from, besides its text.
struct Origin {
    /// What makes it sensitive, if anything.
    sensitive: Option<String>,
    /// Whether anything it uses is unknown.
    unknown: bool,
}

/// Evaluates expressions against resolved variables, locals and the
/// outputs of called modules.
pub(crate) struct Evaluator {
    functions: FuncEnv,
    /// `false` for variable defaults and -var-file values, which are
    /// evaluated before any variable exists.
    references_allowed: bool,
    variables: BTreeMap<String, Bound>,
    locals: BTreeMap<String, Bound>,
    /// Outputs by module name, then output name.
    modules: BTreeMap<String, BTreeMap<String, Bound>>,
    /// Rebuilt lazily after a variable or local is added.
    context: RefCell<Option<Context<'static>>>,
    /// Where expressions using an unknown value are (validation only):
    /// errors found there are not reported.
    unknown_at: RefCell<Vec<Location>>,
}

impl Evaluator {
    pub fn new(functions: FuncEnv) -> Self {
        Evaluator {
            functions,
            references_allowed: true,
            variables: BTreeMap::new(),
            locals: BTreeMap::new(),
            modules: BTreeMap::new(),
            context: RefCell::new(None),
            unknown_at: RefCell::new(Vec::new()),
        }
    }

    /// An evaluator for values that may not refer to anything.
    pub fn without_references(functions: FuncEnv) -> Self {
        Evaluator {
            references_allowed: false,
            ..Evaluator::new(functions)
        }
    }

    pub fn set_variable(&mut self, name: &str, value: Value, sensitive: bool, unknown: bool) {
        let bound = Bound {
            value,
            sensitive: sensitive.then(|| format!("variable \"{name}\"")),
            unknown,
        };
        self.variables.insert(name.to_string(), bound);
        self.context.replace(None);
    }

    pub fn set_local(&mut self, name: &str, node: &Node) {
        let bound = Bound {
            value: node.to_value(),
            sensitive: node.sensitive.clone(),
            unknown: node.unknown,
        };
        self.locals.insert(name.to_string(), bound);
        self.context.replace(None);
    }

    /// Makes `module.NAME.OUTPUT` readable.
    pub fn set_module(&mut self, name: &str, outputs: BTreeMap<String, Bound>) {
        self.modules.insert(name.to_string(), outputs);
        self.context.replace(None);
    }

    /// Evaluates `expr`, found in `src`.
    pub fn eval(&self, expr: &Expression, src: &SourceFile) -> Result<Node> {
        let uses = refs::collect(expr);
        let origin = self.check(&uses, src)?;
        if !origin.unknown {
            return self.build(expr, src, origin.sensitive, &uses);
        }
        // A value derived from a stand-in may not evaluate (a function of
        // it fails) or be refused later: either way it says nothing.
        let location = src.locate(expr);
        self.unknown_at.borrow_mut().push(location.clone());
        let sensitive = origin.sensitive.clone();
        let mut node = self
            .build(expr, src, origin.sensitive, &uses)
            .unwrap_or_else(|_| Node::from_value(Value::Null, &location, sensitive.as_deref()));
        node.mark_unknown();
        Ok(node)
    }

    /// Whether the expression at `location` used an unknown value.
    pub fn is_unknown_at(&self, location: &Location) -> bool {
        self.unknown_at.borrow().contains(location)
    }

    /// Where expressions that used an unknown value were evaluated, so far.
    pub fn unknown_locations(&self) -> Vec<Location> {
        self.unknown_at.borrow().clone()
    }

    /// Rejects what can never evaluate, and returns what the value derives
    /// from: something sensitive, something unknown.
    fn check(&self, uses: &Uses, src: &SourceFile) -> Result<Origin> {
        if let Some(problem) = uses.problems.first() {
            return Err(ConfigError::at(
                src.locate_span(problem.span.clone()),
                problem.message.clone(),
            )
            .with_optional_hint(problem.hint.clone()));
        }
        let mut sensitive = None;
        let mut unknown = false;
        for reference in &uses.references {
            let location = src.locate_span(reference.span.clone());
            if !self.references_allowed {
                let kind = match reference.namespace {
                    Namespace::Var => "variable",
                    Namespace::Local => "local",
                    Namespace::Module => "module",
                };
                return Err(ConfigError::at(
                    location,
                    format!("cannot refer to {kind} \"{}\" here", reference.name),
                )
                .with_hint(
                    "variable defaults, -var-file values and module sources must be constant",
                ));
            }
            let origin = match reference.namespace {
                Namespace::Var => bound(&self.variables, reference, location, "variable")?,
                Namespace::Local => bound(&self.locals, reference, location, "local")?,
                Namespace::Module => self.module_output(reference, location)?,
            };
            unknown |= origin.unknown;
            if sensitive.is_none() {
                sensitive = origin.sensitive;
            }
        }
        for function in &uses.functions {
            if !functions::NAMES.contains(&function.name.as_str()) {
                let hint = did_you_mean(&function.name, functions::NAMES.iter().copied());
                return Err(ConfigError::at(
                    src.locate_span(function.span.clone()),
                    format!(
                        "unknown function \"{}\", expected one of: {}",
                        function.name,
                        functions::NAMES.join(", ")
                    ),
                )
                .with_optional_hint(hint));
            }
        }
        Ok(Origin { sensitive, unknown })
    }

    /// What makes `module.NAME[.OUTPUT]` sensitive; fails on a module not
    /// called here or an output it does not declare.
    fn module_output(&self, reference: &Reference, location: Location) -> Result<Origin> {
        let name = &reference.name;
        let Some(outputs) = self.modules.get(name) else {
            let hint = did_you_mean(name, self.modules.keys().map(String::as_str))
                .unwrap_or_else(|| format!("call it: module \"{name}\" {{ source = \"DIR\" }}"));
            return Err(
                ConfigError::at(location, format!("undefined module \"{name}\"")).with_hint(hint),
            );
        };
        let Some(output) = &reference.attribute else {
            return Ok(Origin {
                sensitive: outputs.values().find_map(|bound| bound.sensitive.clone()),
                unknown: outputs.values().any(|bound| bound.unknown),
            });
        };
        match outputs.get(output) {
            Some(bound) => Ok(bound.origin()),
            None => {
                let hint =
                    did_you_mean(output, outputs.keys().map(String::as_str)).unwrap_or_else(|| {
                        format!("declare it in the module: output \"{output}\" {{ value = ... }}")
                    });
                Err(ConfigError::at(
                    location,
                    format!("module \"{name}\" has no output \"{output}\""),
                )
                .with_hint(hint))
            }
        }
    }

    fn build(
        &self,
        expr: &Expression,
        src: &SourceFile,
        sensitive: Option<String>,
        uses: &Uses,
    ) -> Result<Node> {
        let location = src.locate(expr);
        let kind = match expr {
            Expression::Parenthesis(inner) => {
                return self.build(inner.inner(), src, sensitive, uses);
            }
            Expression::Null(_) => NodeKind::Null,
            Expression::Bool(b) => NodeKind::Bool(*b.value()),
            Expression::Number(n) => NodeKind::Number(*n.value()),
            Expression::String(s) => NodeKind::String(s.value().clone()),
            Expression::Array(array) => NodeKind::List(
                array
                    .iter()
                    .map(|item| self.eval(item, src))
                    .collect::<Result<_>>()?,
            ),
            Expression::Object(object) => {
                let mut entries: Vec<MapEntry> = Vec::with_capacity(object.len());
                for (key, value) in object.iter() {
                    let key_location = src.locate(key);
                    let key = match key {
                        ObjectKey::Ident(ident) => ident.as_str().to_string(),
                        ObjectKey::Expression(key) => self.eval(key, src)?.to_text("a map key")?,
                    };
                    if entries.iter().any(|entry| entry.key == key) {
                        return Err(ConfigError::at(
                            key_location,
                            format!("duplicate map key \"{key}\""),
                        ));
                    }
                    let value = self.eval(value.expr(), src)?;
                    entries.push(MapEntry {
                        key,
                        key_location,
                        value,
                    });
                }
                NodeKind::Map(entries)
            }
            _ => {
                let value = self.evaluate_with_hcl(expr, src, sensitive.as_deref(), uses)?;
                return Ok(Node::from_value(value, &location, sensitive.as_deref()));
            }
        };
        Ok(Node {
            kind,
            location,
            sensitive,
            unknown: false,
        })
    }

    fn evaluate_with_hcl(
        &self,
        expr: &Expression,
        src: &SourceFile,
        sensitive: Option<&str>,
        uses: &Uses,
    ) -> Result<Value> {
        let mut checked = expr.clone();
        let operations = arith::rewrite(&mut checked);
        let converted: hcl::Expression = checked.into();
        let mut cache = self.context.borrow_mut();
        let ctx = cache.get_or_insert_with(|| self.build_context());
        arith::reset();
        let result = functions::with_env(&self.functions, || converted.evaluate(ctx));
        result.map_err(|err| {
            let (location, hint) = match err.kind() {
                // Arithmetic messages never quote operand values, so they
                // are shown even when an operand is sensitive.
                ErrorKind::FuncCall(name, message)
                    if [arith::BINARY, arith::NEGATE].contains(&name.name.as_str()) =>
                {
                    let span = arith::take_failure()
                        .and_then(|index| operations.get(index).cloned().flatten());
                    let location = src.locate_span(span.or_else(|| expr.span()));
                    return ConfigError::at(location, message.clone());
                }
                ErrorKind::FuncCall(name, _) => {
                    let name = name.name.as_str();
                    let span = uses.functions.iter().find(|f| f.name == name).and_then(|f| f.span.clone());
                    (
                        src.locate_span(span.or_else(|| expr.span())),
                        functions::hint(name, &self.functions),
                    )
                }
                _ => (src.locate(expr), None),
            };
            // hcl-rs quotes operand values in its messages; hide them when
            // one could be a secret.
            let message = match sensitive {
                Some(origin) => format!(
                    "cannot evaluate this expression (details hidden: it uses the sensitive {origin})"
                ),
                None => err.kind().to_string(),
            };
            ConfigError::at(location, message).with_optional_hint(hint)
        })
    }

    fn build_context(&self) -> Context<'static> {
        let mut ctx = Context::new();
        let object = |table: &BTreeMap<String, Bound>| {
            Value::Object(
                table
                    .iter()
                    .map(|(name, bound)| (name.clone(), bound.value.clone()))
                    .collect(),
            )
        };
        ctx.declare_var("var", object(&self.variables));
        ctx.declare_var("local", object(&self.locals));
        ctx.declare_var(
            "module",
            Value::Object(
                self.modules
                    .iter()
                    .map(|(name, outputs)| (name.clone(), object(outputs)))
                    .collect(),
            ),
        );
        functions::declare(&mut ctx);
        arith::declare(&mut ctx);
        ctx
    }
}

impl Bound {
    fn origin(&self) -> Origin {
        Origin {
            sensitive: self.sensitive.clone(),
            unknown: self.unknown,
        }
    }
}

/// What `var.NAME` or `local.NAME` derives from; fails when undefined.
fn bound(
    table: &BTreeMap<String, Bound>,
    reference: &Reference,
    location: Location,
    kind: &str,
) -> Result<Origin> {
    let name = &reference.name;
    match table.get(name) {
        Some(bound) => Ok(bound.origin()),
        None => {
            let hint = did_you_mean(name, table.keys().map(String::as_str)).unwrap_or_else(|| {
                match reference.namespace {
                    Namespace::Var => format!("declare it: variable \"{name}\" {{}}"),
                    _ => format!("define it in a locals block: {name} = ..."),
                }
            });
            Err(ConfigError::at(location, format!("undefined {kind} \"{name}\"")).with_hint(hint))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn evaluator() -> Evaluator {
        let mut env = Env::new();
        env.insert("HOME_DB".to_string(), "db1".to_string());
        let mut evaluator = Evaluator::new(FuncEnv {
            dir: std::env::temp_dir(),
            env: Arc::new(env),
        });
        evaluator.set_variable("name", Value::from("App"), false, false);
        evaluator.set_variable("secret", Value::from("hunter2"), true, false);
        evaluator
    }

    fn eval(evaluator: &Evaluator, src: &str) -> Result<Node> {
        let file = SourceFile::new("t.hcl".into(), format!("x = {src}\n"));
        let body = hcl_edit::parser::parse_body(&file.text).unwrap();
        let attr = body.get_attribute("x").unwrap();
        evaluator.eval(&attr.value, &file)
    }

    #[test]
    fn evaluates_functions_and_references() {
        let ev = evaluator();
        let node = eval(&ev, r#"lower("${var.name}-${env("HOME_DB")}")"#).unwrap();
        assert_eq!(node.to_text("x").unwrap(), "app-db1");
        let node = eval(&ev, r#"join(", ", [upper(var.name), env("NOPE", "dflt")])"#).unwrap();
        assert_eq!(node.to_text("x").unwrap(), "APP, dflt");
    }

    #[test]
    fn literal_elements_keep_their_location() {
        let ev = evaluator();
        let node = eval(&ev, r#"["a", { role = var.name }]"#).unwrap();
        let NodeKind::List(items) = &node.kind else {
            panic!()
        };
        assert_eq!(items[1].location.column, 11);
        let entries = items[1].to_map("m").unwrap();
        assert_eq!(entries[0].key_location.column, 13);
        assert_eq!(entries[0].value.location.column, 20);
    }

    #[test]
    fn errors_are_located() {
        let ev = evaluator();
        let err = eval(&ev, "upper(var.nmae)").unwrap_err();
        assert_eq!(err.to_string(), "t.hcl:1:11: undefined variable \"nmae\"");
        assert_eq!(err.hint.as_deref(), Some("did you mean \"name\"?"));
        let err = eval(&ev, "[1, lowr(\"A\")]").unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.hcl:1:9: unknown function \"lowr\", expected one of: cidrhost, concat, env, file, join, lower, range, upper"
        );
        let err = eval(&ev, "[1, env(\"MISSING\")]").unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.hcl:1:9: error calling function `env`: environment variable MISSING is not set"
        );
        assert!(err.hint.unwrap().contains("env(\"NAME\", \"default\")"));
    }

    #[test]
    fn sensitive_values_are_tracked_and_hidden() {
        let ev = evaluator();
        let node = eval(&ev, r#"["x", "${var.secret}!"]"#).unwrap();
        let NodeKind::List(items) = &node.kind else {
            panic!()
        };
        assert!(items[0].sensitive.is_none());
        assert_eq!(items[1].sensitive.as_deref(), Some("variable \"secret\""));
        let err = eval(&ev, "var.secret + 1").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let err = eval(&ev, "join(\",\", var.secret)").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let err = eval(&ev, "var.secret[\"k\"]").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn arithmetic_is_checked_and_located() {
        let ev = evaluator();
        let error = |src: &str| eval(&ev, src).unwrap_err().to_string();
        assert_eq!(error("1 % 0"), "t.hcl:1:7: modulo by zero");
        assert_eq!(error("5 % 0.0"), "t.hcl:1:7: modulo by zero");
        assert_eq!(error("[1, 2 / (3 - 3)]"), "t.hcl:1:11: division by zero");
        assert_eq!(
            error("4294967296 * 4294967296"),
            "t.hcl:1:16: integer overflow in `*`: the result does not fit in 64 bits"
        );
        assert_eq!(
            error("9223372036854775807 * 3"),
            "t.hcl:1:25: integer overflow in `*`: the result does not fit in 64 bits"
        );
        assert_eq!(
            error("-9223372036854775807 - 18446744073709551615"),
            "t.hcl:1:26: integer overflow in `-`: the result does not fit in 64 bits"
        );
        assert_eq!(
            error("1e300 * 1e300"),
            "t.hcl:1:11: `*` has no finite result (overflow)"
        );
        // Inside function calls, templates, conditionals and `for`.
        assert_eq!(error(r#"upper("${1 % 0}")"#), "t.hcl:1:16: modulo by zero");
        assert_eq!(
            error("[for n in [1, 0]: 10 % n]"),
            "t.hcl:1:26: modulo by zero"
        );
        assert_eq!(error("true ? 1 % 0 : 2"), "t.hcl:1:14: modulo by zero");
        assert_eq!(
            error(r#""a" + 1"#),
            "t.hcl:1:9: operator `+` needs numbers, got a string"
        );
        let value = |src: &str| eval(&ev, src).unwrap().to_value();
        assert_eq!(value("(-9223372036854775807 - 1) % -1"), Value::from(0));
        assert_eq!(value("false ? 1 % 0 : 7 / 2"), Value::from(3.5));
        assert_eq!(
            value("-(-9223372036854775807 - 1)"),
            Value::from(1u64 << 63)
        );
        assert_eq!(value("[for n in [1, 2]: n * 3][1]"), Value::from(6));
        assert_eq!(value(r#""n${2 + 3}""#), Value::from("n5"));
        // No operand is shown, so the message need not be hidden.
        let err = eval(&ev, "var.secret % 2").unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
