//! Checks shared by several blocks: identifier names and lists of names.

use crate::config::error::{ConfigError, Location, Result};
use crate::config::reader::BlockReader;
use crate::config::value::{Node, NodeKind};

/// PostgreSQL truncates longer identifiers (NAMEDATALEN - 1).
const MAX_NAME_BYTES: usize = 63;

/// Refuses a name PostgreSQL would refuse or silently truncate; `kind`
/// names the object in messages ("role", "database").
pub(crate) fn check_name(kind: &str, name: &str, location: &Location) -> Result<()> {
    if name.is_empty() {
        return Err(ConfigError::at(
            location.clone(),
            format!("a {kind} name cannot be empty"),
        ));
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(ConfigError::at(
            location.clone(),
            format!(
                "{kind} name \"{name}\" is {} bytes long, the limit is {MAX_NAME_BYTES}",
                name.len()
            ),
        ));
    }
    Ok(())
}

/// The name of the object a labelled block declares: its `name` attribute
/// when written, else its label. HCL labels are literal strings (a
/// `"${var.x}"` label does not parse), so `name = var.x` is how a module
/// names what it declares after its inputs; the label then only names the
/// block in messages. The location returned is the label's, where the
/// object is declared; a bad name is reported where it was written.
pub(crate) fn declared_name(
    reader: &mut BlockReader<'_>,
    kind: &str,
) -> Result<(String, Location)> {
    let (label, location) = reader.label(0);
    match reader.node("name")? {
        Some(node) => {
            let text = node.to_text("name")?;
            check_name(kind, &text, &node.location)?;
            Ok((text, location))
        }
        None => {
            check_name(kind, &label, &location)?;
            Ok((label, location))
        }
    }
}

/// One non-empty name, checked like a declared object's.
pub(crate) fn name(node: &Node, what: &str, kind: &str) -> Result<String> {
    let text = node.to_text(what)?;
    check_name(kind, &text, &node.location)?;
    Ok(text)
}

/// A non-empty list of names, each with its location (the element's when
/// the list is written literally).
pub(crate) fn name_list(node: &Node, what: &str, kind: &str) -> Result<Vec<(String, Location)>> {
    let names = text_list(node, what, kind)?;
    for (name, location) in &names {
        check_name(kind, name, location)?;
    }
    Ok(names)
}

/// [`name_list`] without the length limit, for texts that hold more than
/// a name (function signatures).
pub(crate) fn text_list(node: &Node, what: &str, kind: &str) -> Result<Vec<(String, Location)>> {
    node.require_plain(what)?;
    let NodeKind::List(items) = &node.kind else {
        return Err(node.type_error(what, &format!("a list of {kind} names")));
    };
    if items.is_empty() {
        return Err(ConfigError::at(
            node.location.clone(),
            format!("{what} cannot be empty"),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let text = item.to_text(&format!("{what}[{i}]"))?;
            if text.trim().is_empty() {
                return Err(ConfigError::at(
                    item.location.clone(),
                    format!("a {kind} name cannot be empty"),
                ));
            }
            Ok((text, item.location.clone()))
        })
        .collect()
}

/// Fails at the second occurrence of a name in `names`.
pub(crate) fn check_unique(names: &[(String, Location)], what: &str) -> Result<()> {
    for (i, (name, location)) in names.iter().enumerate() {
        if names[..i].iter().any(|(earlier, _)| earlier == name) {
            return Err(ConfigError::at(
                location.clone(),
                format!("\"{name}\" appears twice in {what}"),
            ));
        }
    }
    Ok(())
}
