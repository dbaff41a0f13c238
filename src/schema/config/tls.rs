//! Descriptions of the certificate blocks: certificate_authority,
//! server_certificate and client_certificate. Lifetimes are written as a
//! number of days, hours or minutes: "365d", "12h", "90m".

use schemars::JsonSchema;

use crate::schema::expressions::{allow_expressions, names};

/// A certificate authority. Its files are generated when they do not
/// exist, and used as they are when they do.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct CertificateAuthority {
    /// The certificate, relative to the configuration directory; default
    /// NAME.crt.
    pub cert_file: Option<String>,
    /// The private key, relative to the configuration directory; default
    /// NAME.key.
    pub key_file: Option<String>,
    /// Default: "NAME certificate authority".
    pub common_name: Option<String>,
    /// Default: "3650d".
    pub validity: Option<String>,
    /// Default: ecdsa-p256.
    #[schemars(with = "Option<names::KeyType>")]
    pub key_type: Option<String>,
}

/// The server's certificate and key, installed into the data directory and
/// renewed before they expire; sets ssl and the certificate settings.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct ServerCertificate {
    /// The certificate_authority that signs it.
    pub ca: String,
    /// The names clients connect with (dns_names and/or ip_addresses are
    /// needed).
    pub dns_names: Option<Vec<String>>,
    /// The addresses clients connect to.
    pub ip_addresses: Option<Vec<String>>,
    /// Default: the first DNS name, else the first address.
    pub common_name: Option<String>,
    /// Default: "365d".
    pub validity: Option<String>,
    /// Renewed when it expires within this; default "30d".
    pub renew_before: Option<String>,
    /// Default: ecdsa-p256.
    #[schemars(with = "Option<names::KeyType>")]
    pub key_type: Option<String>,
    /// ssl_min_protocol_version; default TLSv1.2.
    #[schemars(with = "Option<names::Protocol>")]
    pub min_protocol_version: Option<String>,
}

/// A client certificate for the role of the label (its common name),
/// written as ROLE.crt and ROLE.key for `cert` authentication.
#[derive(Debug, Clone, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = allow_expressions)]
pub struct ClientCertificate {
    /// The certificate_authority that signs it.
    pub ca: String,
    /// Where ROLE.crt and ROLE.key go, relative to the configuration
    /// directory; default the directory itself.
    pub out_dir: Option<String>,
    /// Default: "365d".
    pub validity: Option<String>,
    /// Renewed when it expires within this; default "30d".
    pub renew_before: Option<String>,
    /// Default: ecdsa-p256.
    #[schemars(with = "Option<names::KeyType>")]
    pub key_type: Option<String>,
}
