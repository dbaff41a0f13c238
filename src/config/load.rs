//! The loading pipeline: read the files, parse them, resolve variables,
//! evaluate locals, decode the blocks, validate the whole.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hcl_edit::structure::{Block, Body, Structure};

use super::blocks::{self, BlockType, Decoded};
use super::error::{ConfigError, Result};
use super::eval::{Env, Evaluator, FuncEnv};
use super::source::SourceFile;
use super::variables::{self, VariableDecl};
use super::{Config, Prompter, VariableInputs, digest, locals, validate};

/// Parses one file, turning a syntax error into a located error.
pub(crate) fn parse(src: &SourceFile) -> Result<Body> {
    hcl_edit::parser::parse_body(&src.text).map_err(|err| {
        ConfigError::at(
            src.location(err.location().offset()),
            format!("syntax error: {}", err.message()),
        )
    })
}

/// The `*.hcl` files directly in `dir`, sorted by name.
pub(crate) fn hcl_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|err| {
        ConfigError::general(format!("cannot read directory {}: {err}", dir.display()))
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|err| {
                ConfigError::general(format!("cannot read directory {}: {err}", dir.display()))
            })?
            .path();
        if path.extension().is_some_and(|ext| ext == "hcl") && path.is_file() {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(ConfigError::general(format!(
            "no *.hcl files in {}",
            dir.display()
        )));
    }
    files.sort();
    Ok(files)
}

/// The process environment, as far as it is valid UTF-8.
pub(crate) fn process_env() -> Env {
    std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
        .collect()
}

/// A block to decode once variables and locals are known.
struct Pending<'a> {
    block: &'a Block,
    block_type: &'static BlockType,
    src: &'a SourceFile,
}

/// [`super::load`] with an explicit environment, so tests control it.
pub(crate) fn load_with_env(
    dir: &Path,
    inputs: &VariableInputs,
    prompter: &dyn Prompter,
    env: Env,
) -> Result<Config> {
    let paths = hcl_files(dir)?;
    let mut sources = Vec::with_capacity(paths.len());
    for path in &paths {
        let text = std::fs::read_to_string(path).map_err(|err| {
            ConfigError::general(format!("cannot read {}: {err}", path.display()))
        })?;
        sources.push(SourceFile::new(path.clone(), text));
    }
    let bodies = sources.iter().map(parse).collect::<Result<Vec<_>>>()?;

    let functions = FuncEnv {
        dir: dir.to_path_buf(),
        env: Arc::new(env),
    };
    let constant = Evaluator::without_references(functions.clone());
    let mut declared: Vec<VariableDecl> = Vec::new();
    let mut local_defs = Vec::new();
    let mut pending = Vec::new();
    for (src, body) in sources.iter().zip(&bodies) {
        for structure in body.iter() {
            let block = match structure {
                Structure::Block(block) => block,
                Structure::Attribute(attribute) => {
                    return Err(ConfigError::at(
                        src.locate(&attribute.key),
                        format!(
                            "unexpected attribute \"{}\" outside of any block",
                            attribute.key.as_str()
                        ),
                    )
                    .with_hint("attributes belong inside a block, e.g. locals { ... }"));
                }
            };
            let block_type = blocks::block_type(block, src)?;
            match block_type.name {
                "variable" => {
                    let decl = variables::decode(block, src, &constant)?;
                    if let Some(first) = declared.iter().find(|d| d.name == decl.name) {
                        let message = format!(
                            "variable \"{}\" is already declared at {}",
                            decl.name, first.location
                        );
                        return Err(ConfigError::at(decl.location, message));
                    }
                    declared.push(decl);
                }
                "locals" => locals::collect(block, src, &mut local_defs)?,
                _ => pending.push(Pending {
                    block,
                    block_type,
                    src,
                }),
            }
        }
    }

    let mut evaluator = Evaluator::new(functions.clone());
    let resolved = variables::resolve(&declared, inputs, &functions.env, prompter, &constant)?;
    let config_digest = digest::digest(&sources, &resolved);
    for resolved in resolved {
        evaluator.set_variable(&resolved.name, resolved.value, resolved.sensitive);
    }
    locals::evaluate(&local_defs, &mut evaluator)?;

    let mut decoded = Decoded::new(dir.to_path_buf());
    for item in &pending {
        blocks::decode(
            item.block,
            item.block_type,
            item.src,
            &evaluator,
            &mut decoded,
        )?;
    }
    validate::validate(&decoded)?;
    decoded.config.files = paths;
    decoded.config.digest = config_digest;
    Ok(decoded.config)
}
