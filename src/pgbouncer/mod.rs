//! PgBouncer: the parameters pgfort knows and the files it writes
//! (pgbouncer.ini and the auth file), as pure functions of the model. No
//! file or network I/O here.

pub mod params;
pub mod render;

pub use render::{
    AUTH_FILE_NAME, AUTH_QUERY, INI_FILE_NAME, TLS_CA_FILE_NAME, TLS_CERT_FILE_NAME,
    TLS_CLIENT_SETTINGS, TLS_CLIENT_SSLMODES, TLS_KEY_FILE_NAME, TLS_SERVER_SETTINGS,
    TLS_SERVER_SSLMODES, render_ini, render_userlist, tls_settings,
};

/// A value that a PgBouncer file cannot hold safely (a line break, a
/// character outside the file's grammar, a password that is not a SCRAM
/// verifier). The configuration decoder refuses these where they are
/// written; this is the renderer's own guard for models built otherwise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnsafeValue(pub String);
