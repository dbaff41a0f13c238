//! The order in which the locals and module calls of one configuration
//! directory are evaluated: each after everything it refers to, since a
//! local may use a module's output and a module's inputs may use locals
//! and other modules' outputs. A cycle is an error naming every step.

use std::collections::BTreeMap;

use super::error::{ConfigError, Location, Result};
use super::eval::refs::{Namespace, Reference};
use super::locals::LocalDef;
use super::module::ModuleCall;
use super::source::SourceFile;
use super::suggest::did_you_mean;

/// One thing to evaluate, by index into the slices given to [`order`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Local(usize),
    Module(usize),
}

/// A local or a module call, as the graph sees it.
struct Item<'x> {
    step: Step,
    namespace: Namespace,
    name: &'x str,
    location: &'x Location,
    src: &'x SourceFile,
    depends_on: &'x [Reference],
}

impl Item<'_> {
    fn address(&self) -> String {
        format!("{}.{}", self.namespace.prefix(), self.name)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    InProgress,
    Done,
}

/// Locals and module calls, dependencies first (otherwise in written
/// order, locals before modules).
pub(crate) fn order(locals: &[LocalDef<'_>], modules: &[ModuleCall<'_>]) -> Result<Vec<Step>> {
    let items: Vec<Item<'_>> = locals
        .iter()
        .enumerate()
        .map(|(i, def)| Item {
            step: Step::Local(i),
            namespace: Namespace::Local,
            name: &def.name,
            location: &def.location,
            src: def.src,
            depends_on: &def.depends_on,
        })
        .chain(modules.iter().enumerate().map(|(i, call)| Item {
            step: Step::Module(i),
            namespace: Namespace::Module,
            name: &call.name,
            location: &call.location,
            src: call.src,
            depends_on: &call.depends_on,
        }))
        .collect();
    let graph = Graph {
        index: items
            .iter()
            .enumerate()
            .map(|(i, item)| ((item.namespace.prefix(), item.name), i))
            .collect(),
        items,
    };
    let mut state = vec![Visit::New; graph.items.len()];
    let mut order = Vec::with_capacity(graph.items.len());
    for start in 0..graph.items.len() {
        let mut path = Vec::new();
        graph.visit(start, &mut state, &mut path, &mut order)?;
    }
    Ok(order.into_iter().map(|i| graph.items[i].step).collect())
}

struct Graph<'x> {
    items: Vec<Item<'x>>,
    /// By (namespace prefix, name).
    index: BTreeMap<(&'static str, &'x str), usize>,
}

impl Graph<'_> {
    /// Depth-first search that appends `i` to `order` after its dependencies.
    fn visit(
        &self,
        i: usize,
        state: &mut [Visit],
        path: &mut Vec<usize>,
        order: &mut Vec<usize>,
    ) -> Result<()> {
        match state[i] {
            Visit::Done => return Ok(()),
            Visit::InProgress => return Err(self.cycle(i, path)),
            Visit::New => {}
        }
        state[i] = Visit::InProgress;
        path.push(i);
        let item = &self.items[i];
        for reference in item.depends_on {
            let namespace = reference.namespace;
            if namespace == Namespace::Var {
                continue;
            }
            let key = (namespace.prefix(), reference.name.as_str());
            let Some(&dependency) = self.index.get(&key) else {
                return Err(self.undefined(item, reference));
            };
            self.visit(dependency, state, path, order)?;
        }
        path.pop();
        state[i] = Visit::Done;
        order.push(i);
        Ok(())
    }

    fn undefined(&self, item: &Item<'_>, reference: &Reference) -> ConfigError {
        let namespace = reference.namespace;
        let name = &reference.name;
        let known = self
            .items
            .iter()
            .filter(|other| other.namespace == namespace)
            .map(|other| other.name);
        let (kind, fallback) = match namespace {
            Namespace::Module => (
                "module",
                format!("call it: module \"{name}\" {{ source = \"DIR\" }}"),
            ),
            _ => (
                "local",
                format!("define it in a locals block: {name} = ..."),
            ),
        };
        let hint = did_you_mean(name, known).unwrap_or(fallback);
        ConfigError::at(
            item.src.locate_span(reference.span.clone()),
            format!("undefined {kind} \"{name}\""),
        )
        .with_hint(hint)
    }

    /// The error for the cycle that leads back to `i`, at `i`.
    fn cycle(&self, i: usize, path: &[usize]) -> ConfigError {
        let start = path.iter().position(|&p| p == i).unwrap_or(0);
        let mut chain: Vec<&Item<'_>> = path[start..].iter().map(|&p| &self.items[p]).collect();
        chain.push(&self.items[i]);
        let item = &self.items[i];
        let only_locals = chain.iter().all(|step| step.namespace == Namespace::Local);
        let message = if only_locals {
            let names: Vec<&str> = chain.iter().map(|step| step.name).collect();
            format!(
                "local \"{}\" refers to itself: {}",
                item.name,
                names.join(" -> ")
            )
        } else {
            let steps: Vec<String> = chain[..chain.len() - 1]
                .iter()
                .map(|step| format!("{} ({})", step.address(), step.location))
                .chain(std::iter::once(item.address()))
                .collect();
            format!(
                "{} \"{}\" depends on itself: {}",
                item.namespace.prefix(),
                item.name,
                steps.join(" -> ")
            )
        };
        ConfigError::at(item.location.clone(), message)
    }
}
