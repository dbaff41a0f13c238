//! `connection.hcl`: where the export was read from, so `pgfort plan` in
//! the directory targets the same server. Never the password.

use super::hcl::{Block, Body};
use crate::connect::{ConnectionSettings, SslMode};

/// Where to connect, without the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionHint {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub dbname: String,
    pub sslmode: SslMode,
    pub sslrootcert: Option<String>,
}

impl ConnectionHint {
    pub fn of(settings: &ConnectionSettings) -> Self {
        ConnectionHint {
            host: settings.host.clone(),
            port: settings.port,
            user: settings.user.clone(),
            dbname: settings.dbname.clone(),
            sslmode: settings.sslmode,
            sslrootcert: settings
                .sslrootcert
                .as_ref()
                .map(|path| path.display().to_string()),
        }
    }
}

/// The connection block, with a comment on where the password comes from.
pub(super) fn body(hint: &ConnectionHint) -> Body {
    let mut body = Body::new();
    body.comment(
        "Where this configuration was exported from. Flags (--database-url) and PG*\n\
         variables take precedence. The password is not written: give it with\n\
         PGPASSWORD, ~/.pgpass or --password-prompt.",
    );
    let mut block = Block::new("connection");
    block
        .body
        .attr("host", hint.host.as_str())
        .attr("port", i64::from(hint.port))
        .attr("user", hint.user.as_str())
        .attr("dbname", hint.dbname.as_str());
    if hint.sslmode != SslMode::default() {
        block.body.attr("sslmode", hint.sslmode.as_str());
    }
    block
        .body
        .attr_opt("sslrootcert", hint.sslrootcert.as_deref());
    body.block(block);
    body
}
