//! Issuing certificates: a self-signed authority, and server and client
//! certificates signed by it. Validity starts an hour in the past so a
//! client whose clock is slightly behind still accepts a new certificate.

use std::net::IpAddr;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use time::OffsetDateTime;

use super::TlsError;
use crate::model::{KeyType, Lifetime, Secret};

/// Clock skew tolerated by backdating `not_before`.
const BACKDATE_SECONDS: i64 = 3_600;

/// A certificate and its private key, both PEM. The key is a secret.
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: Secret,
}

fn params(
    common_name: &str,
    now: i64,
    validity: Lifetime,
    sans: Vec<SanType>,
) -> Result<CertificateParams, TlsError> {
    let at = |seconds: i64| {
        OffsetDateTime::from_unix_timestamp(seconds)
            .map_err(|e| TlsError::Issue(format!("invalid validity period: {e}")))
    };
    let mut params = CertificateParams::default();
    params.not_before = at(now - BACKDATE_SECONDS)?;
    params.not_after = at(now.saturating_add(validity.0))?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    params.distinguished_name = name;
    params.subject_alt_names = sans;
    params.serial_number = Some(random_serial()?);
    params.use_authority_key_identifier_extension = true;
    Ok(params)
}

/// 16 random bytes, first bit clear so the serial stays positive.
fn random_serial() -> Result<SerialNumber, TlsError> {
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| TlsError::Issue("no random numbers for a serial".to_owned()))?;
    bytes[0] &= 0x7f;
    Ok(SerialNumber::from_slice(&bytes))
}

fn issued(cert: rcgen::Certificate, key: &KeyPair) -> Issued {
    Issued {
        cert_pem: cert.pem(),
        key_pem: Secret::new(key.serialize_pem()),
    }
}

/// A new self-signed authority.
pub fn generate_authority(
    common_name: &str,
    key_type: KeyType,
    validity: Lifetime,
    now: i64,
) -> Result<Issued, TlsError> {
    let key = super::generate_key(key_type)?;
    let mut params = params(common_name, now, validity, Vec::new())?;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params
        .self_signed(&key)
        .map_err(|e| TlsError::Issue(e.to_string()))?;
    Ok(issued(cert, &key))
}

/// The authority that signs, from its PEM files.
fn issuer(ca_cert_pem: &str, ca_key_pem: &Secret) -> Result<Issuer<'static, KeyPair>, TlsError> {
    let key = super::load_key(ca_key_pem.expose())?;
    Issuer::from_ca_cert_pem(ca_cert_pem, key)
        .map_err(|e| TlsError::InvalidCertificate(format!("the authority's certificate: {e}")))
}

/// What a leaf certificate is for.
struct Leaf<'a> {
    common_name: &'a str,
    sans: Vec<SanType>,
    usage: ExtendedKeyUsagePurpose,
    key_type: KeyType,
    validity: Lifetime,
}

fn issue_leaf(
    leaf: Leaf<'_>,
    ca_cert_pem: &str,
    ca_key_pem: &Secret,
    now: i64,
) -> Result<Issued, TlsError> {
    let issuer = issuer(ca_cert_pem, ca_key_pem)?;
    let key = super::generate_key(leaf.key_type)?;
    let mut params = params(leaf.common_name, now, leaf.validity, leaf.sans)?;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    if matches!(
        leaf.key_type,
        KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096
    ) {
        params.key_usages.push(KeyUsagePurpose::KeyEncipherment);
    }
    params.extended_key_usages = vec![leaf.usage];
    let cert = params
        .signed_by(&key, &issuer)
        .map_err(|e| TlsError::Issue(e.to_string()))?;
    Ok(issued(cert, &key))
}

/// A server certificate for these names and addresses.
#[allow(clippy::too_many_arguments)]
pub fn issue_server(
    common_name: &str,
    dns_names: &[String],
    ip_addresses: &[IpAddr],
    key_type: KeyType,
    validity: Lifetime,
    ca_cert_pem: &str,
    ca_key_pem: &Secret,
    now: i64,
) -> Result<Issued, TlsError> {
    let mut sans = Vec::new();
    for name in dns_names {
        let name = name
            .as_str()
            .try_into()
            .map_err(|_| TlsError::Issue(format!("\"{name}\" is not a valid DNS name")))?;
        sans.push(SanType::DnsName(name));
    }
    sans.extend(ip_addresses.iter().map(|ip| SanType::IpAddress(*ip)));
    let leaf = Leaf {
        common_name,
        sans,
        usage: ExtendedKeyUsagePurpose::ServerAuth,
        key_type,
        validity,
    };
    issue_leaf(leaf, ca_cert_pem, ca_key_pem, now)
}

/// A client certificate whose common name is the role (what PostgreSQL's
/// `cert` authentication compares with the user name).
pub fn issue_client(
    role: &str,
    key_type: KeyType,
    validity: Lifetime,
    ca_cert_pem: &str,
    ca_key_pem: &Secret,
    now: i64,
) -> Result<Issued, TlsError> {
    let leaf = Leaf {
        common_name: role,
        sans: Vec::new(),
        usage: ExtendedKeyUsagePurpose::ClientAuth,
        key_type,
        validity,
    };
    issue_leaf(leaf, ca_cert_pem, ca_key_pem, now)
}

#[cfg(test)]
mod tests {
    use super::super::{first_certificate, issued_by, key_matches, load_key};
    use super::*;

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn server_certificate_carries_names_and_chains_to_its_authority() {
        let ca =
            generate_authority("Test CA", KeyType::EcdsaP256, Lifetime::days(3650), NOW).unwrap();
        let server = issue_server(
            "db.example.com",
            &["db.example.com".to_owned(), "localhost".to_owned()],
            &["127.0.0.1".parse().unwrap()],
            KeyType::Ed25519,
            Lifetime::days(365),
            &ca.cert_pem,
            &ca.key_pem,
            NOW,
        )
        .unwrap();
        let facts = first_certificate(&server.cert_pem).unwrap();
        let ca_facts = first_certificate(&ca.cert_pem).unwrap();
        assert_eq!(facts.common_name.as_deref(), Some("db.example.com"));
        assert_eq!(facts.dns_names, ["db.example.com", "localhost"]);
        assert_eq!(facts.ip_addresses, ["127.0.0.1".parse::<IpAddr>().unwrap()]);
        assert_eq!(facts.not_after, NOW + 365 * 86_400);
        assert!(ca_facts.is_ca && !facts.is_ca);
        assert_eq!(facts.key_type, Some(KeyType::Ed25519));
        assert_eq!(ca_facts.key_type, Some(KeyType::EcdsaP256));
        assert!(issued_by(&facts, &ca_facts));
        let key = load_key(server.key_pem.expose()).unwrap();
        assert!(key_matches(&facts, &key));

        let other =
            generate_authority("Other", KeyType::EcdsaP256, Lifetime::days(10), NOW).unwrap();
        let other_facts = first_certificate(&other.cert_pem).unwrap();
        assert!(!issued_by(&facts, &other_facts));
        let other_key = load_key(other.key_pem.expose()).unwrap();
        assert!(!key_matches(&facts, &other_key));
    }

    #[test]
    fn client_certificate_names_the_role() {
        let ca = generate_authority("CA", KeyType::Rsa2048, Lifetime::days(30), NOW).unwrap();
        let client = issue_client(
            "app_user",
            KeyType::EcdsaP256,
            Lifetime::days(30),
            &ca.cert_pem,
            &ca.key_pem,
            NOW,
        )
        .unwrap();
        let facts = first_certificate(&client.cert_pem).unwrap();
        assert_eq!(facts.common_name.as_deref(), Some("app_user"));
        let ca_facts = first_certificate(&ca.cert_pem).unwrap();
        assert_eq!(ca_facts.key_type, Some(KeyType::Rsa2048));
        assert!(issued_by(&facts, &first_certificate(&ca.cert_pem).unwrap()));
        assert!(!format!("{:?}", client.key_pem.expose().len()).is_empty());
        assert_eq!(format!("{}", client.key_pem), crate::model::REDACTED);
    }
}
