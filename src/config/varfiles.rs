//! Variables files: `name = value` lines in HCL, read from `-var-file
//! FILE` and, without being asked, from `pgfort.pgfortvars` and
//! `*.auto.pgfortvars` in the configuration directory (as Terraform reads
//! terraform.tfvars and *.auto.tfvars). They are not `*.hcl`, so they are
//! never read as configuration.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl::Value;
use hcl_edit::structure::Structure;

use super::error::{ConfigError, Result};
use super::eval::Evaluator;
use super::source::SourceFile;
use super::suggest::did_you_mean;
use super::variables::{VariableDecl, coerce};

/// The variables file of the directory read first.
pub(crate) const DEFAULT_FILE: &str = "pgfort.pgfortvars";

/// Files of the directory named `*.auto.pgfortvars` are read after
/// [`DEFAULT_FILE`], in name order.
pub(crate) const AUTO_SUFFIX: &str = ".auto.pgfortvars";

/// How a file that sets an undeclared variable is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Undeclared {
    /// `-var-file`: the user named the file for this run, so a name it
    /// sets that nothing declares is a mistake to fix now.
    Error,
    /// Files read without asking may be shared by configurations that
    /// declare different variables: a warning, located, and the value is
    /// ignored.
    Warn,
}

/// The files of `dir` read without asking, lowest precedence first:
/// [`DEFAULT_FILE`], then `*.auto.pgfortvars` in name order.
pub(crate) fn auto_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let unreadable = |err: std::io::Error| {
        ConfigError::general(format!("cannot read directory {}: {err}", dir.display()))
    };
    let mut auto = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        let is_auto = path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.len() > AUTO_SUFFIX.len() && name.ends_with(AUTO_SUFFIX));
        if is_auto && path.is_file() {
            auto.push(path);
        }
    }
    auto.sort();
    let default = dir.join(DEFAULT_FILE);
    let mut files = Vec::with_capacity(auto.len() + 1);
    if default.is_file() {
        files.push(default);
    }
    files.extend(auto);
    Ok(files)
}

/// The values one file sets, converted to the declared types. `warnings`
/// receives the undeclared names when `undeclared` is [`Undeclared::Warn`].
pub(crate) fn read(
    path: &Path,
    declared: &BTreeMap<&str, &VariableDecl>,
    constant: &Evaluator,
    undeclared: Undeclared,
    warnings: &mut Vec<ConfigError>,
) -> Result<BTreeMap<String, Value>> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        ConfigError::general(format!(
            "cannot read variables file {}: {err}",
            path.display()
        ))
    })?;
    let src = SourceFile::new(path.to_path_buf(), text);
    let body = super::parse::parse(&src)?;
    let mut values = BTreeMap::new();
    for structure in body.iter() {
        let attribute = match structure {
            Structure::Attribute(attribute) => attribute,
            Structure::Block(block) => {
                return Err(ConfigError::at(
                    src.locate(&block.ident),
                    "a variables file holds only name = value lines",
                )
                .with_hint("blocks belong in *.hcl files"));
            }
        };
        let name = attribute.key.as_str();
        let Some(decl) = declared.get(name) else {
            let problem = ConfigError::at(
                src.locate(&attribute.key),
                format!("no variable \"{name}\" is declared"),
            )
            .with_optional_hint(did_you_mean(name, declared.keys().copied()));
            match undeclared {
                Undeclared::Error => return Err(problem),
                Undeclared::Warn => {
                    warnings.push(ConfigError {
                        message: format!("{}; the value is ignored", problem.message),
                        ..problem
                    });
                    continue;
                }
            }
        };
        let node = constant.eval(&attribute.value, &src)?;
        let value = coerce(node.to_value(), &decl.var_type).map_err(|mismatch| {
            ConfigError::at(
                node.location.clone(),
                format!(
                    "variable \"{name}\" must be {}, got {}",
                    decl.var_type, mismatch.got
                ),
            )
        })?;
        values.insert(name.to_string(), value);
    }
    Ok(values)
}
