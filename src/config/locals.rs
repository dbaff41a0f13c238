//! `locals` blocks: named values that may refer to variables, module
//! outputs and each other in any order. They are evaluated in dependency
//! order (see [`super::order`]); a name defined twice is an error at the
//! second definition.

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Structure};

use super::error::{ConfigError, Location, Result};
use super::eval::refs::{self, Reference};
use super::source::SourceFile;

/// One `name = expression` line of a `locals` block.
pub(crate) struct LocalDef<'a> {
    pub name: String,
    pub location: Location,
    pub expr: &'a Expression,
    pub src: &'a SourceFile,
    /// The references of the expression.
    pub depends_on: Vec<Reference>,
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
        let depends_on = refs::collect(&attribute.value).references;
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
