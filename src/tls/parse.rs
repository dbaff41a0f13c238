//! Reading certificates: what they say (names, addresses, validity), who
//! signed them, and whether a key belongs to them.

use std::io::BufReader;

use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use super::TlsError;
use crate::model::{CertFacts, KeyType};

/// The DER of every certificate in PEM text.
pub fn pem_to_der(pem: &str) -> Result<Vec<Vec<u8>>, TlsError> {
    rustls_pemfile::certs(&mut BufReader::new(pem.as_bytes()))
        .map(|cert| cert.map(|der| der.to_vec()))
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::InvalidCertificate(format!("not PEM: {e}")))
}

/// The first certificate of PEM text (a server's file may hold a chain).
pub fn first_certificate(pem: &str) -> Result<CertFacts, TlsError> {
    let der = pem_to_der(pem)?
        .into_iter()
        .next()
        .ok_or_else(|| TlsError::InvalidCertificate("no PEM certificate found".to_owned()))?;
    facts(der)
}

fn parsed(der: &[u8]) -> Result<X509Certificate<'_>, TlsError> {
    X509Certificate::from_der(der)
        .map(|(_, cert)| cert)
        .map_err(|e| TlsError::InvalidCertificate(format!("not an X.509 certificate: {e}")))
}

fn facts(der: Vec<u8>) -> Result<CertFacts, TlsError> {
    let cert = parsed(&der)?;
    let common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned);
    let mut dns_names = Vec::new();
    let mut ip_addresses = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(dns) => dns_names.push((*dns).to_owned()),
                GeneralName::IPAddress(bytes) => {
                    if let Ok(octets) = <[u8; 4]>::try_from(*bytes) {
                        ip_addresses.push(octets.into());
                    } else if let Ok(octets) = <[u8; 16]>::try_from(*bytes) {
                        ip_addresses.push(octets.into());
                    }
                }
                _ => {}
            }
        }
    }
    let key_type = key_type(&cert);
    let validity = cert.validity();
    let digest = ring::digest::digest(&ring::digest::SHA256, &der);
    let facts = CertFacts {
        sha256: digest.as_ref().iter().map(|b| format!("{b:02x}")).collect(),
        common_name,
        dns_names,
        ip_addresses,
        not_before: validity.not_before.timestamp(),
        not_after: validity.not_after.timestamp(),
        is_ca: cert.is_ca(),
        key_type,
        der: Vec::new(),
    };
    Ok(CertFacts { der, ..facts })
}

/// The key algorithm, for the kinds pgfort generates.
fn key_type(cert: &X509Certificate<'_>) -> Option<KeyType> {
    let spki = cert.public_key();
    if spki.algorithm.algorithm.to_id_string() == ED25519_OID {
        return Some(KeyType::Ed25519);
    }
    match spki.parsed().ok()? {
        PublicKey::RSA(rsa) => match rsa.key_size() {
            2048 => Some(KeyType::Rsa2048),
            3072 => Some(KeyType::Rsa3072),
            4096 => Some(KeyType::Rsa4096),
            _ => None,
        },
        PublicKey::EC(point) if point.key_size() == 256 => Some(KeyType::EcdsaP256),
        _ => None,
    }
}

/// id-Ed25519 (RFC 8410).
const ED25519_OID: &str = "1.3.101.112";

/// Whether `authority` signed `cert`: the issuer name is the authority's
/// subject and the signature verifies with its key.
pub fn issued_by(cert: &CertFacts, authority: &CertFacts) -> bool {
    let (Ok(cert), Ok(authority)) = (parsed(&cert.der), parsed(&authority.der)) else {
        return false;
    };
    cert.issuer().as_raw() == authority.subject().as_raw()
        && cert.verify_signature(Some(authority.public_key())).is_ok()
}

/// Whether `key` is the private half of the certificate's public key.
pub fn key_matches(cert: &CertFacts, key: &rcgen::KeyPair) -> bool {
    parsed(&cert.der).is_ok_and(|cert| {
        cert.public_key().subject_public_key.data.as_ref() == key.public_key_raw()
    })
}
