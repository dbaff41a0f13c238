//! Readers that hand a decoder one named attribute at a time and, at the
//! end, report whatever the decoder did not ask for as unknown, with the
//! names it did ask for as the expected ones. A decoder therefore cannot
//! silently ignore a misspelt attribute.

use hcl_edit::structure::{Attribute, Block, Structure};

use super::error::{ConfigError, Location, Result};
use super::eval::Evaluator;
use super::source::SourceFile;
use super::suggest::{closest, did_you_mean};
use super::value::{MapEntry, Node};
use crate::model::Secret;

/// The error for a name that is not one of `expected`.
pub(crate) fn unknown_name(
    location: Location,
    kind: &str,
    name: &str,
    within: &str,
    expected: &[&str],
) -> ConfigError {
    let expected_text = if expected.is_empty() {
        "it takes none".to_string()
    } else {
        format!("expected one of: {}", expected.join(", "))
    };
    ConfigError::at(
        location,
        format!("unknown {kind} \"{name}\" in {within}, {expected_text}"),
    )
    .with_optional_hint(did_you_mean(name, expected.iter().copied()))
}

/// Reads the attributes (and nested blocks) of one block.
pub(crate) struct BlockReader<'a> {
    block: &'a Block,
    src: &'a SourceFile,
    eval: &'a Evaluator,
    /// How messages name this block, e.g. `role "app"`.
    what: String,
    attributes: Vec<(&'a Attribute, bool)>,
    /// Nested blocks not taken by [`BlockReader::nested`] yet.
    blocks: Vec<&'a Block>,
    asked_attributes: Vec<&'static str>,
}

impl<'a> BlockReader<'a> {
    pub fn new(block: &'a Block, src: &'a SourceFile, eval: &'a Evaluator, what: String) -> Self {
        let mut attributes = Vec::new();
        let mut blocks = Vec::new();
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(attribute) => attributes.push((attribute, false)),
                Structure::Block(nested) => blocks.push(nested),
            }
        }
        BlockReader {
            block,
            src,
            eval,
            what,
            attributes,
            blocks,
            // Room for what a block usually asks: growing it one name at
            // a time showed in profiles at thousands of blocks.
            asked_attributes: Vec::with_capacity(16),
        }
    }

    /// Label `index` and its location; the dispatcher has checked the count.
    pub fn label(&self, index: usize) -> (String, Location) {
        match self.block.labels.get(index) {
            Some(label) => (label.as_str().to_string(), self.src.locate(label)),
            None => (String::new(), self.location()),
        }
    }

    /// How many labels the block has (nested blocks are not checked by the
    /// dispatcher).
    pub fn label_count(&self) -> usize {
        self.block.labels.len()
    }

    /// Whether `name` is written with a value that is not known yet
    /// (derived from a variable without a value, `pgfort validate`).
    pub fn is_unknown(&self, name: &str) -> bool {
        self.attributes
            .iter()
            .find(|(a, _)| a.key.as_str() == name)
            .is_some_and(|(attribute, _)| {
                self.eval.is_unknown_at(&self.src.locate(&attribute.value))
            })
    }

    /// Where the block starts (its type name).
    pub fn location(&self) -> Location {
        self.src.locate(&self.block.ident)
    }

    /// The attribute `name`, if written; marks it as known.
    pub fn attribute(&mut self, name: &'static str) -> Option<&'a Attribute> {
        self.asked_attributes.push(name);
        let (attribute, used) = self
            .attributes
            .iter_mut()
            .find(|(a, _)| a.key.as_str() == name)?;
        *used = true;
        Some(*attribute)
    }

    /// Readers for the nested blocks named `name`, in written order; they
    /// no longer count as unexpected. Each must be finished by the caller.
    pub fn nested(&mut self, name: &'static str) -> Vec<BlockReader<'a>> {
        let (taken, rest): (Vec<&'a Block>, Vec<&'a Block>) = self
            .blocks
            .iter()
            .partition(|block| block.ident.as_str() == name);
        self.blocks = rest;
        taken
            .into_iter()
            .map(|block| {
                let what = format!("{name} block of {}", self.what);
                BlockReader::new(block, self.src, self.eval, what)
            })
            .collect()
    }

    /// The evaluated value of `name`; `null` counts as not written, and so
    /// does an unknown value (validation without variable values): the
    /// block is then read with the attribute's default, so that what refers
    /// to it is still checked.
    pub fn node(&mut self, name: &'static str) -> Result<Option<Node>> {
        let Some(attribute) = self.attribute(name) else {
            return Ok(None);
        };
        let node = self.eval.eval(&attribute.value, self.src)?;
        Ok((!node.is_null() && !node.unknown).then_some(node))
    }

    /// Every attribute, evaluated, in written order, for blocks whose
    /// attribute names are free (`settings`); all count as known. `null`
    /// values count as not written.
    pub fn all_attributes(&mut self) -> Result<Vec<(String, Location, Node)>> {
        let mut out = Vec::new();
        for (attribute, used) in self.attributes.iter_mut() {
            *used = true;
            let node = self.eval.eval(&attribute.value, self.src)?;
            if !node.is_null() && !node.unknown {
                let key = attribute.key.as_str().to_owned();
                out.push((key, self.src.locate(&attribute.key), node));
            }
        }
        Ok(out)
    }

    pub fn bool(&mut self, name: &'static str) -> Result<Option<bool>> {
        self.node(name)?.map(|node| node.to_bool(name)).transpose()
    }

    pub fn string(&mut self, name: &'static str) -> Result<Option<String>> {
        self.node(name)?.map(|node| node.to_text(name)).transpose()
    }

    /// Where `name` is written as a literal string (no variable, local or
    /// function in it), if it is: a secret there is in the file in clear.
    pub fn literal(&mut self, name: &'static str) -> Option<Location> {
        let attribute = self.attribute(name)?;
        let literal = match &attribute.value {
            hcl_edit::expr::Expression::String(_) => true,
            hcl_edit::expr::Expression::StringTemplate(template) => template
                .iter()
                .all(|element| matches!(element, hcl_edit::template::Element::Literal(_))),
            _ => false,
        };
        literal.then(|| self.src.locate(&attribute.key))
    }

    pub fn secret(&mut self, name: &'static str) -> Result<Option<Secret>> {
        self.node(name)?
            .map(|node| node.to_secret(name))
            .transpose()
    }

    pub fn integer(&mut self, name: &'static str, min: i64, max: i64) -> Result<Option<i64>> {
        self.node(name)?
            .map(|node| node.to_integer(name, min, max))
            .transpose()
    }

    /// The error for required attribute `name`, not written (or `null`).
    /// Call it after asking for every attribute: a misspelling of `name` is
    /// then reported as the unknown attribute it is, with the full list.
    pub fn missing(&self, name: &str, example: &str) -> ConfigError {
        // Written, but unknown: located at the value, which the loader
        // knows not to report.
        if let Some((attribute, _)) = self.attributes.iter().find(|(a, _)| a.key.as_str() == name) {
            let at = self.src.locate(&attribute.value);
            if self.eval.is_unknown_at(&at) {
                return ConfigError::at(at, format!("the value of {name} is not known"));
            }
        }
        let misspelt = self
            .attributes
            .iter()
            .find(|(a, used)| !used && closest(a.key.as_str(), [name]).is_some());
        if let Some((attribute, _)) = misspelt {
            return unknown_name(
                self.src.locate(&attribute.key),
                "attribute",
                attribute.key.as_str(),
                &self.what,
                &self.asked_attributes,
            );
        }
        ConfigError::at(
            self.location(),
            format!("missing attribute \"{name}\" in {}", self.what),
        )
        .with_hint(format!("write {name} = {example}"))
    }

    /// Fails on the first attribute or nested block nobody asked for.
    pub fn finish(self) -> Result<()> {
        if let Some((attribute, _)) = self.attributes.iter().find(|(_, used)| !used) {
            return Err(unknown_name(
                self.src.locate(&attribute.key),
                "attribute",
                attribute.key.as_str(),
                &self.what,
                &self.asked_attributes,
            ));
        }
        if let Some(block) = self.blocks.first() {
            let name = block.ident.as_str();
            let mut err = ConfigError::at(
                self.src.locate(&block.ident),
                format!("unexpected block \"{name}\" in {}", self.what),
            );
            if self.asked_attributes.contains(&name) {
                err = err.with_hint(format!("{name} is an attribute: write {name} = ..."));
            } else if name == "lifecycle" {
                err = err.with_hint(format!(
                    "lifecycle {{ prevent_destroy = true }} is accepted in {} blocks; \
                     to protect other addresses, use manage {{ prevent_destroy = [...] }}",
                    super::blocks::LIFECYCLE_BLOCKS
                ));
            }
            return Err(err);
        }
        Ok(())
    }
}

/// Reads the entries of a map value the way [`BlockReader`] reads a block.
pub(crate) struct MapReader<'a> {
    entries: Vec<(&'a MapEntry, bool)>,
    what: String,
    asked: Vec<&'static str>,
}

impl<'a> MapReader<'a> {
    pub fn new(entries: &'a [MapEntry], what: String) -> Self {
        MapReader {
            entries: entries.iter().map(|entry| (entry, false)).collect(),
            what,
            asked: Vec::new(),
        }
    }

    /// The value of key `name`; `null` counts as not written.
    pub fn take(&mut self, name: &'static str) -> Option<&'a Node> {
        self.asked.push(name);
        let (entry, used) = self
            .entries
            .iter_mut()
            .find(|(entry, _)| entry.key == name)?;
        *used = true;
        (!entry.value.is_null()).then_some(&entry.value)
    }

    /// How messages name key `name` of this map.
    pub fn path(&self, name: &str) -> String {
        format!("{}.{name}", self.what)
    }

    pub fn finish(self) -> Result<()> {
        match self.entries.iter().find(|(_, used)| !used) {
            Some((entry, _)) => Err(unknown_name(
                entry.key_location.clone(),
                "key",
                &entry.key,
                &self.what,
                &self.asked,
            )),
            None => Ok(()),
        }
    }
}
