//! Certificate work around the SQL of an apply. Before anything reaches
//! the server, authorities and client certificates are written on this
//! machine and the server certificate is issued in memory ([`prepare`]);
//! the server's files are installed just before the settings that point
//! at them ([`server::install`]); after the reload a fresh `verify-full`
//! connection must be served the new certificate ([`server::verify`]),
//! otherwise files and settings are put back.

mod local;
pub(super) mod server;

use super::ApplyError;
use crate::model::Secret;

pub(super) use local::{prepare, read_authority};

/// The server's new files, ready to install. The key never leaves this
/// value but to be written.
pub(super) struct ServerMaterial {
    /// `None` when only the authority's certificate is rewritten.
    pub cert_pem: Option<String>,
    pub key_pem: Option<Secret>,
    pub ca_pem: String,
    pub data_directory: String,
}

/// What [`prepare`] made.
#[derive(Default)]
pub(super) struct Prepared {
    pub server: Option<ServerMaterial>,
}

fn failure(message: String, hint: &str) -> ApplyError {
    ApplyError {
        message,
        hint: Some(hint.to_owned()),
        ..Default::default()
    }
}
