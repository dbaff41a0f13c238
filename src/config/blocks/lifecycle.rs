//! `lifecycle { prevent_destroy = true }` inside a block that declares an
//! object: a plan that would destroy or replace that object is refused
//! (see [`crate::plan::guard`]). Accepted on role, database, schema,
//! extension, table and policy blocks; grants are not objects (revoking a
//! privilege is how least privilege works), and settings, hba and
//! certificates are never destroyed as a whole.

use super::Decoded;
use crate::config::error::{ConfigError, Result};
use crate::config::reader::BlockReader;

/// The blocks that take a lifecycle block, for messages.
pub(crate) const BLOCKS: &str = "role, database, schema, extension, table and policy";

/// Reads the block's `lifecycle` block, if any, and records the
/// protection of the object at `address` (as the diff addresses it).
///
/// `address` is only called when the block has a lifecycle block, so that
/// thousands of blocks without one do not each format their address.
pub(super) fn read(
    reader: &mut BlockReader<'_>,
    out: &mut Decoded,
    address: impl FnOnce() -> String,
) -> Result<()> {
    let mut blocks = reader.nested("lifecycle").into_iter();
    let Some(mut lifecycle) = blocks.next() else {
        return Ok(());
    };
    if let Some(second) = blocks.next() {
        return Err(ConfigError::at(
            second.location(),
            format!(
                "only one lifecycle block is allowed; the first is at {}",
                lifecycle.location()
            ),
        ));
    }
    if let Some(node) = lifecycle.node("prevent_destroy")?
        && node.to_bool("prevent_destroy")?
    {
        out.config.guards.protected.insert(address(), node.location);
    }
    lifecycle.finish()
}
