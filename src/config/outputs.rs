//! `output "name" { value = …, description = "…", sensitive = bool }`: what
//! a module hands back to its caller, read there as `module.NAME.OUTPUT`.
//! Outputs of the root configuration are evaluated and checked the same
//! way, and otherwise unused.

use std::collections::BTreeMap;

use hcl_edit::expr::Expression;
use hcl_edit::structure::Block;

use super::error::{ConfigError, Location, Result};
use super::eval::{Bound, Evaluator};
use super::reader::BlockReader;
use super::source::SourceFile;

/// An `output` block, read but not evaluated yet.
pub(crate) struct OutputDecl<'a> {
    pub name: String,
    pub location: Location,
    pub sensitive: bool,
    value: &'a Expression,
    src: &'a SourceFile,
}

/// Reads an output block; `constant` evaluates its description and
/// sensitivity, which may not refer to anything.
pub(crate) fn collect<'a>(
    block: &'a Block,
    src: &'a SourceFile,
    constant: &Evaluator,
    outputs: &[OutputDecl<'a>],
) -> Result<OutputDecl<'a>> {
    let (name, location) = match block.labels.first() {
        Some(label) => (label.as_str().to_string(), src.locate(label)),
        None => (String::new(), src.locate(&block.ident)),
    };
    if let Some(first) = outputs.iter().find(|output| output.name == name) {
        return Err(ConfigError::at(
            location,
            format!(
                "output \"{name}\" is already declared at {}",
                first.location
            ),
        ));
    }
    // Read from the block itself: the reader's borrows end with `constant`.
    let value = block
        .body
        .get_attribute("value")
        .map(|attribute| &attribute.value);
    let mut reader = BlockReader::new(block, src, constant, format!("output \"{name}\""));
    reader.attribute("value");
    // Documentation for the module's readers: checked, not used.
    reader.string("description")?;
    let sensitive = reader.bool("sensitive")?.unwrap_or(false);
    let Some(value) = value else {
        return Err(reader.missing("value", "var.NAME"));
    };
    reader.finish()?;
    Ok(OutputDecl {
        name,
        location,
        sensitive,
        value,
        src,
    })
}

/// Evaluates every output. `module` is the name the caller gave the
/// module (`None` for the root), to name sensitive outputs in messages.
pub(crate) fn evaluate(
    outputs: &[OutputDecl<'_>],
    evaluator: &Evaluator,
    module: Option<&str>,
) -> Result<BTreeMap<String, Bound>> {
    let mut values = BTreeMap::new();
    for output in outputs {
        let node = evaluator.eval(output.value, output.src)?;
        if let Some(origin) = &node.sensitive
            && !output.sensitive
        {
            // As in Terraform: a secret may leave a module only when the
            // module says so, so that the caller knows what it gets.
            return Err(ConfigError::at(
                node.location.clone(),
                format!(
                    "output \"{}\" derives from the sensitive {origin}",
                    output.name
                ),
            )
            .with_hint("mark the output sensitive = true"));
        }
        let sensitive = output.sensitive.then(|| match module {
            Some(module) => format!("output \"{}\" of module \"{module}\"", output.name),
            None => format!("output \"{}\"", output.name),
        });
        values.insert(
            output.name.clone(),
            Bound {
                value: node.to_value(),
                sensitive,
                unknown: node.unknown,
            },
        );
    }
    Ok(values)
}
