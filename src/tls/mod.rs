//! Certificates without a server: generating keys, issuing certificates
//! from an authority, and reading what a certificate says. Pure
//! computation on bytes; the files are read and written by the callers.

mod issue;
mod keys;
mod parse;

pub use issue::{Issued, generate_authority, issue_client, issue_server};
pub use keys::{generate_key, load_key};
pub use parse::{first_certificate, issued_by, key_matches, pem_to_der};

/// Why a certificate or key could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("generating a {key_type} key: {message}")]
    KeyGeneration { key_type: String, message: String },
    #[error("{0}")]
    InvalidKey(String),
    #[error("{0}")]
    InvalidCertificate(String),
    #[error("issuing the certificate: {0}")]
    Issue(String),
}

/// Seconds since the epoch, now.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
