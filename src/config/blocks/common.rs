//! Checks shared by several blocks: identifier names.

use crate::config::error::{ConfigError, Location, Result};
use crate::config::value::Node;

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

/// One non-empty name, checked like a declared object's.
pub(crate) fn name(node: &Node, what: &str, kind: &str) -> Result<String> {
    let text = node.to_text(what)?;
    check_name(kind, &text, &node.location)?;
    Ok(text)
}
