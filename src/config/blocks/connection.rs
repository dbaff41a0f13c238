//! `connection { }`: where to connect when flags and libpq environment
//! variables do not say otherwise.

use super::{Decoded, Result};
use crate::config::error::ConfigError;
use crate::config::reader::BlockReader;
use crate::config::suggest::did_you_mean;
use crate::config::value::Node;

use crate::connect::SSLMODES;

pub(super) fn decode(reader: &mut BlockReader<'_>, out: &mut Decoded) -> Result<()> {
    if out.in_module() {
        return Err(ConfigError::at(
            reader.location(),
            "a connection block is only allowed in the root configuration, not in a module",
        )
        .with_hint("where to connect is the caller's choice: move it to the root configuration"));
    }
    out.claim_per_directory("connection", reader.location())?;
    let connection = &mut out.config.connection;
    connection.host = reader.string("host")?;
    connection.port = reader
        .integer("port", 1, i64::from(u16::MAX))?
        .and_then(|port| u16::try_from(port).ok());
    connection.user = reader.string("user")?;
    connection.password = reader.secret("password")?;
    connection.dbname = reader.string("dbname")?;
    if let Some(node) = reader.node("sslmode")? {
        connection.sslmode = Some(check_sslmode(&node)?);
    }
    connection.sslrootcert = reader.string("sslrootcert")?.map(|path| out.dir.join(path));
    connection.sslcert = reader.string("sslcert")?.map(|path| out.dir.join(path));
    connection.sslkey = reader.string("sslkey")?.map(|path| out.dir.join(path));
    Ok(())
}

/// The libpq sslmode `node` holds, or a located error listing the modes.
pub(crate) fn check_sslmode(node: &Node) -> Result<String> {
    let mode = node.to_text("sslmode")?;
    if !SSLMODES.contains(&mode.as_str()) {
        return Err(ConfigError::at(
            node.location.clone(),
            format!(
                "invalid sslmode \"{mode}\", expected one of: {}",
                SSLMODES.join(", ")
            ),
        )
        .with_optional_hint(did_you_mean(&mode, SSLMODES.iter().copied())));
    }
    Ok(mode)
}
