//! `module "name" { source = "DIR", …inputs }`: another configuration
//! directory loaded as part of this one. Its `variable` blocks are its
//! inputs, set only by the calling block (never by `-var`, the environment
//! or a prompt); its `output` blocks are what the caller reads as
//! `module.NAME.OUTPUT`. Everything it declares joins the one configuration.

mod inputs;

use std::path::{Component, Path, PathBuf};

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Structure};

pub(crate) use inputs::bind;

use super::error::{ConfigError, Location, Result};
use super::eval::Evaluator;
use super::eval::refs::{self, Reference};
use super::source::SourceFile;
use super::value::Node;

/// The attribute of a module block that is not an input.
const SOURCE: &str = "source";

/// One `module` block, read but not evaluated: its inputs may refer to
/// locals and other modules' outputs, known only once those are ordered.
pub(crate) struct ModuleCall<'a> {
    pub name: String,
    /// Where the block starts, for errors about the call as a whole.
    pub location: Location,
    /// The module's directory, relative paths resolved against the
    /// directory of the calling file.
    pub dir: PathBuf,
    pub source_location: Location,
    pub inputs: Vec<InputExpr<'a>>,
    pub src: &'a SourceFile,
    /// Every reference the inputs make, for ordering.
    pub depends_on: Vec<Reference>,
}

/// One `name = expression` input of a module block.
pub(crate) struct InputExpr<'a> {
    pub name: String,
    pub key_location: Location,
    pub expr: &'a Expression,
}

/// An input, evaluated in the caller.
pub(crate) struct Input {
    pub name: String,
    pub key_location: Location,
    pub node: Node,
}

impl Input {
    /// Given a value: `null` counts as not given, as in Terraform; an
    /// unknown value (validation without variable values) is given.
    pub fn is_given(&self) -> bool {
        self.node.unknown || !self.node.is_null()
    }
}

/// Reads a module block; `constant` evaluates `source`, which may not
/// refer to anything (the module must be found before anything runs).
pub(crate) fn collect<'a>(
    block: &'a Block,
    src: &'a SourceFile,
    constant: &Evaluator,
    calls: &[ModuleCall<'a>],
) -> Result<ModuleCall<'a>> {
    let (name, label_location) = match block.labels.first() {
        Some(label) => (label.as_str().to_string(), src.locate(label)),
        None => (String::new(), src.locate(&block.ident)),
    };
    // Read as `module.NAME`, so the name must be an identifier.
    if !super::variables::is_identifier(&name) {
        return Err(
            ConfigError::at(label_location, format!("invalid module name \"{name}\""))
                .with_hint("use letters, digits, _ and -, starting with a letter or _"),
        );
    }
    if let Some(first) = calls.iter().find(|call| call.name == name) {
        return Err(ConfigError::at(
            label_location,
            format!(
                "module \"{name}\" is already declared at {}",
                first.location
            ),
        ));
    }
    let location = src.locate(&block.ident);
    let mut source = None;
    let mut inputs = Vec::new();
    let mut depends_on = Vec::new();
    for structure in block.body.iter() {
        let attribute = match structure {
            Structure::Attribute(attribute) => attribute,
            Structure::Block(nested) => {
                return Err(ConfigError::at(
                    src.locate(&nested.ident),
                    format!(
                        "unexpected block \"{}\" in module \"{name}\"",
                        nested.ident.as_str()
                    ),
                )
                .with_hint(
                    "a module block holds source = \"DIR\" and one name = value line per input",
                ));
            }
        };
        let key = attribute.key.as_str();
        if key == SOURCE {
            source = Some(constant.eval(&attribute.value, src)?);
            continue;
        }
        depends_on.extend(refs::collect(&attribute.value).references);
        inputs.push(InputExpr {
            name: key.to_string(),
            key_location: src.locate(&attribute.key),
            expr: &attribute.value,
        });
    }
    let Some(source) = source else {
        return Err(ConfigError::at(
            location,
            format!("missing attribute \"source\" in module \"{name}\""),
        )
        .with_hint("write source = \"./DIR\", a directory relative to this file's"));
    };
    let dir = source_dir(&source, src)?;
    Ok(ModuleCall {
        name,
        location,
        dir,
        source_location: source.location,
        inputs,
        src,
        depends_on,
    })
}

/// The directory `source` names, relative to the calling file's; it must
/// exist when the configuration is loaded.
fn source_dir(source: &Node, src: &SourceFile) -> Result<PathBuf> {
    let text = source.to_text(SOURCE)?;
    if text.trim().is_empty() {
        return Err(
            ConfigError::at(source.location.clone(), "source cannot be empty")
                .with_hint("write source = \"./DIR\", a directory relative to this file's"),
        );
    }
    let base = src.path.parent().unwrap_or(Path::new("."));
    let dir = normalize(&base.join(&text));
    if !dir.is_dir() {
        let reason = if dir.exists() {
            "is not a directory"
        } else {
            "does not exist"
        };
        return Err(ConfigError::at(
            source.location.clone(),
            format!("module source \"{text}\" {reason} ({})", dir.display()),
        )
        .with_hint(format!(
            "source is a directory of *.hcl files, relative to the directory of {}",
            src.path.display()
        )));
    }
    Ok(dir)
}

/// `path` without `.` components and with `..` applied to the component
/// before it, so that file names in messages read as people write them.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

impl ModuleCall<'_> {
    /// Evaluates the inputs in the caller's scope.
    pub fn evaluate_inputs(&self, evaluator: &Evaluator) -> Result<Vec<Input>> {
        self.inputs
            .iter()
            .map(|input| {
                Ok(Input {
                    name: input.name.clone(),
                    key_location: input.key_location.clone(),
                    node: evaluator.eval(input.expr, self.src)?,
                })
            })
            .collect()
    }

    /// How notes name this call: `in module "app" (main.hcl:3:1)`.
    pub fn note(&self) -> String {
        format!("in module \"{}\" called at {}", self.name, self.location)
    }
}
