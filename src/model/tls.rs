//! Certificates: the authorities pgfort signs with, the server's
//! certificate and client certificates (desired), what those files hold on
//! this machine, and what the server has installed (live).

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A key algorithm for a generated key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyType {
    #[default]
    EcdsaP256,
    Rsa2048,
    Rsa3072,
    Rsa4096,
    Ed25519,
}

impl KeyType {
    /// The spellings the configuration accepts, in the order of [`Self::ALL`].
    pub const NAMES: &'static [&'static str] =
        &["ecdsa-p256", "rsa-2048", "rsa-3072", "rsa-4096", "ed25519"];
    const ALL: [KeyType; 5] = [
        KeyType::EcdsaP256,
        KeyType::Rsa2048,
        KeyType::Rsa3072,
        KeyType::Rsa4096,
        KeyType::Ed25519,
    ];

    pub fn parse(text: &str) -> Option<KeyType> {
        let wanted = text.to_ascii_lowercase();
        Self::NAMES
            .iter()
            .position(|name| *name == wanted)
            .map(|i| Self::ALL[i])
    }

    pub fn name(self) -> &'static str {
        let index = Self::ALL.iter().position(|k| *k == self).unwrap_or(0);
        Self::NAMES[index]
    }
}

/// A length of time written as `365d` or `12h`, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Lifetime(pub i64);

impl Lifetime {
    pub const fn days(days: i64) -> Lifetime {
        Lifetime(days * 86_400)
    }

    /// `30d`, `12h`, `90m`: a positive whole number and a unit.
    pub fn parse(text: &str) -> Option<Lifetime> {
        let text = text.trim();
        let unit_at = text.find(|c: char| !c.is_ascii_digit())?;
        let (number, unit) = text.split_at(unit_at);
        let number: i64 = number.parse().ok().filter(|n| *n > 0)?;
        let scale = match unit {
            "d" => 86_400,
            "h" => 3_600,
            "m" => 60,
            _ => return None,
        };
        number.checked_mul(scale).map(Lifetime)
    }
}

impl fmt::Display for Lifetime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.0;
        if seconds % 86_400 == 0 {
            write!(f, "{}d", seconds / 86_400)
        } else if seconds % 3_600 == 0 {
            write!(f, "{}h", seconds / 3_600)
        } else {
            write!(f, "{}m", seconds / 60)
        }
    }
}

/// What a certificate says, as far as pgfort compares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertFacts {
    /// SHA-256 of the DER encoding, lowercase hex.
    pub sha256: String,
    pub common_name: Option<String>,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<IpAddr>,
    /// Seconds since the epoch.
    pub not_before: i64,
    pub not_after: i64,
    pub is_ca: bool,
    /// The key's algorithm, when it is one pgfort generates.
    #[serde(default)]
    pub key_type: Option<KeyType>,
    /// The DER encoding, to check who signed it.
    #[serde(skip)]
    pub der: Vec<u8>,
}

/// `certificate_authority "name"`: local files; generated when both are
/// missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authority {
    pub name: String,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    pub common_name: String,
    pub validity: Lifetime,
    pub key_type: KeyType,
    /// The certificate in `cert_file` when the pair exists (checked at load).
    pub existing: Option<CertFacts>,
}

/// `server_certificate`: issued by an authority, installed in the data
/// directory, and switched on with the `ssl*` settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerCertificate {
    pub ca: String,
    pub common_name: String,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<IpAddr>,
    pub validity: Lifetime,
    pub renew_before: Lifetime,
    pub key_type: KeyType,
    pub min_protocol_version: String,
}

/// `client_certificate "role"`: local files for `cert` authentication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientCertificate {
    pub role: String,
    pub ca: String,
    pub out_dir: PathBuf,
    pub validity: Lifetime,
    pub renew_before: Lifetime,
    pub key_type: KeyType,
    /// `role.crt` as it is now, when it exists and parses.
    pub existing: Option<CertFacts>,
    /// Whether `role.key` exists and belongs to `role.crt`.
    pub key_matches: bool,
    /// Whether `role.key` is readable by its owner only (libpq refuses
    /// others).
    #[serde(default)]
    pub key_private: bool,
}

impl ClientCertificate {
    pub fn cert_path(&self) -> PathBuf {
        self.out_dir.join(format!("{}.crt", self.role))
    }

    pub fn key_path(&self) -> PathBuf {
        self.out_dir.join(format!("{}.key", self.role))
    }
}

/// The server's SSL files and settings as it runs now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledSsl {
    pub ssl: bool,
    pub cert_file: String,
    pub key_file: String,
    pub ca_file: String,
    pub data_directory: String,
    /// Whether the role may read (and write) server files.
    pub files_accessible: bool,
    /// Whether pgfort's own session is encrypted or never leaves the host
    /// (Unix socket, loopback): a key written over SQL crosses it.
    #[serde(default)]
    pub private_session: bool,
    /// The first certificate of `ssl_cert_file`.
    pub certificate: Option<CertFacts>,
    /// The text of `ssl_ca_file`.
    pub ca_pem: Option<String>,
    /// What the server serves a client asking for SSL: until a reload
    /// succeeds it keeps serving the certificate it loaded before.
    #[serde(default)]
    pub served: ServedSsl,
}

/// What a TLS handshake with the server at pgfort's address showed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServedSsl {
    /// Not looked at.
    #[default]
    Unknown,
    /// The handshake could not be made (why): nothing to compare.
    Unreachable(String),
    /// The server refuses SSL.
    Plain,
    /// SHA-256 of the certificate presented, lowercase hex (as
    /// [`CertFacts::sha256`]).
    Certificate(String),
}

/// Certificates. Desired: `authorities`, `server`, `clients` and `now`;
/// live: `installed` (read only when a server certificate is declared).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tls {
    pub authorities: BTreeMap<String, Authority>,
    pub server: Option<ServerCertificate>,
    pub clients: BTreeMap<String, ClientCertificate>,
    /// When the local files were read (seconds since the epoch): what
    /// "expires in N days" is measured from.
    #[serde(skip)]
    pub now: i64,
    pub installed: Option<InstalledSsl>,
}

/// The files pgfort installs in the data directory.
pub const SERVER_CERT_FILE: &str = "server.crt";
pub const SERVER_KEY_FILE: &str = "server.key";
pub const SERVER_CA_FILE: &str = "root.crt";

/// Certificate work apply does beyond SQL: generating locally, installing
/// on the server, then proving a verified connection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsWork {
    /// Authorities to generate (both files missing).
    pub generate_authorities: Vec<Authority>,
    /// The server certificate to issue and install, with its authority.
    pub server: Option<ServerInstall>,
    /// Client certificates to issue, with their authorities.
    pub clients: Vec<(ClientCertificate, Authority)>,
    /// After the settings are reloaded, connect with verify-full.
    pub verify: Option<(ServerCertificate, Authority)>,
}

impl TlsWork {
    pub fn is_empty(&self) -> bool {
        self.generate_authorities.is_empty()
            && self.server.is_none()
            && self.clients.is_empty()
            && self.verify.is_none()
    }
}

/// Installing the server certificate (and the authority's certificate as
/// `ssl_ca_file`) in the data directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInstall {
    pub spec: ServerCertificate,
    pub authority: Authority,
    pub data_directory: String,
    /// Issue a new certificate and key (else only the CA file is written).
    pub issue: bool,
    /// Write the authority's certificate as `root.crt`.
    pub write_ca: bool,
}
