//! `locals` blocks: named values that may refer to variables and to each
//! other in any order. They are evaluated in dependency order; a cycle or a
//! name defined twice is an error at the offending definition.

use std::collections::BTreeMap;

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Structure};

use super::error::{ConfigError, Location, Result};
use super::eval::Evaluator;
use super::eval::refs::{self, Namespace, Reference};
use super::source::SourceFile;
use super::suggest::did_you_mean;

/// One `name = expression` line of a `locals` block.
pub(crate) struct LocalDef<'a> {
    pub name: String,
    pub location: Location,
    expr: &'a Expression,
    src: &'a SourceFile,
    /// The `local.*` references of the expression.
    depends_on: Vec<Reference>,
}

/// Collects the definitions of a `locals` block into `defs`.
pub(crate) fn collect<'a>(
    block: &'a Block,
    src: &'a SourceFile,
    defs: &mut Vec<LocalDef<'a>>,
) -> Result<()> {
    if let Some(label) = block.labels.first() {
        return Err(ConfigError::at(
            src.locate(label),
            "a locals block takes no labels",
        ));
    }
    for structure in block.body.iter() {
        let attribute = match structure {
            Structure::Attribute(attribute) => attribute,
            Structure::Block(nested) => {
                return Err(ConfigError::at(
                    src.locate(&nested.ident),
                    format!("unexpected block \"{}\" in locals", nested.ident.as_str()),
                )
                .with_hint("a locals block holds only name = value lines"));
            }
        };
        let name = attribute.key.as_str().to_string();
        let location = src.locate(&attribute.key);
        if let Some(first) = defs.iter().find(|def| def.name == name) {
            return Err(ConfigError::at(
                location,
                format!("local \"{name}\" is already defined at {}", first.location),
            ));
        }
        let depends_on = refs::collect(&attribute.value)
            .references
            .into_iter()
            .filter(|reference| reference.namespace == Namespace::Local)
            .collect();
        defs.push(LocalDef {
            name,
            location,
            expr: &attribute.value,
            src,
            depends_on,
        });
    }
    Ok(())
}

/// Evaluates every local, dependencies first, into `evaluator`.
pub(crate) fn evaluate(defs: &[LocalDef<'_>], evaluator: &mut Evaluator) -> Result<()> {
    let index: BTreeMap<&str, usize> = defs
        .iter()
        .enumerate()
        .map(|(i, def)| (def.name.as_str(), i))
        .collect();
    let mut order = Vec::with_capacity(defs.len());
    let mut state = vec![Visit::New; defs.len()];
    for start in 0..defs.len() {
        let mut path = Vec::new();
        visit(start, defs, &index, &mut state, &mut path, &mut order)?;
    }
    for i in order {
        let def = &defs[i];
        let node = evaluator.eval(def.expr, def.src)?;
        evaluator.set_local(&def.name, &node);
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    InProgress,
    Done,
}

/// Depth-first search that appends `i` to `order` after its dependencies.
fn visit(
    i: usize,
    defs: &[LocalDef<'_>],
    index: &BTreeMap<&str, usize>,
    state: &mut [Visit],
    path: &mut Vec<usize>,
    order: &mut Vec<usize>,
) -> Result<()> {
    match state[i] {
        Visit::Done => return Ok(()),
        Visit::InProgress => {
            let start = path.iter().position(|&p| p == i).unwrap_or(0);
            let mut chain: Vec<&str> = path[start..]
                .iter()
                .map(|&p| defs[p].name.as_str())
                .collect();
            chain.push(&defs[i].name);
            return Err(ConfigError::at(
                defs[i].location.clone(),
                format!(
                    "local \"{}\" refers to itself: {}",
                    defs[i].name,
                    chain.join(" -> ")
                ),
            ));
        }
        Visit::New => {}
    }
    state[i] = Visit::InProgress;
    path.push(i);
    for reference in &defs[i].depends_on {
        let Some(&dependency) = index.get(reference.name.as_str()) else {
            let def = &defs[i];
            return Err(ConfigError::at(
                def.src.locate_span(reference.span.clone()),
                format!("undefined local \"{}\"", reference.name),
            )
            .with_optional_hint(did_you_mean(&reference.name, index.keys().copied())));
        };
        visit(dependency, defs, index, state, path, order)?;
    }
    path.pop();
    state[i] = Visit::Done;
    order.push(i);
    Ok(())
}
