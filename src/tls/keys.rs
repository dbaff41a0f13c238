//! Private keys: generated (ECDSA and Ed25519 by ring, RSA by the `rsa`
//! crate because ring only signs with RSA keys) or read from PKCS#8 PEM.

use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_ED25519, PKCS_RSA_SHA256};
use rsa::pkcs8::EncodePrivateKey as _;
use rustls::pki_types::PrivatePkcs8KeyDer;

use super::TlsError;
use crate::model::KeyType;

/// A fresh key of `key_type`.
pub fn generate_key(key_type: KeyType) -> Result<KeyPair, TlsError> {
    let failed = |message: String| TlsError::KeyGeneration {
        key_type: key_type.name().to_owned(),
        message,
    };
    let bits = match key_type {
        KeyType::EcdsaP256 => {
            return KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
                .map_err(|e| failed(e.to_string()));
        }
        KeyType::Ed25519 => {
            let key = KeyPair::generate_for(&PKCS_ED25519).map_err(|e| failed(e.to_string()))?;
            let v1 = ed25519_pkcs8_v1(key.serialized_der())
                .ok_or_else(|| failed("unexpected key encoding".to_owned()))?;
            return KeyPair::from_pkcs8_der_and_sign_algo(
                &PrivatePkcs8KeyDer::from(v1.as_slice()),
                &PKCS_ED25519,
            )
            .map_err(|e| failed(e.to_string()));
        }
        KeyType::Rsa2048 => 2048,
        KeyType::Rsa3072 => 3072,
        KeyType::Rsa4096 => 4096,
    };
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, bits)
        .map_err(|e| failed(e.to_string()))?;
    let der = key.to_pkcs8_der().map_err(|e| failed(e.to_string()))?;
    KeyPair::from_pkcs8_der_and_sign_algo(
        &PrivatePkcs8KeyDer::from(der.as_bytes()),
        &PKCS_RSA_SHA256,
    )
    .map_err(|e| failed(e.to_string()))
}

/// ring writes Ed25519 keys as PKCS#8 v2 (RFC 5958, with the public key),
/// which OpenSSL 3 refuses as a server key ("unsupported"); RFC 8410's v1
/// form holds only the 32-byte seed and is read everywhere.
fn ed25519_pkcs8_v1(v2: &[u8]) -> Option<Vec<u8>> {
    const V2_PREFIX: [u8; 16] = [
        0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    const V1_PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let seed = v2.strip_prefix(&V2_PREFIX)?.get(..32)?;
    let mut v1 = V1_PREFIX.to_vec();
    v1.extend_from_slice(seed);
    Some(v1)
}

/// A key from PEM text. Only PKCS#8 (`BEGIN PRIVATE KEY`) is read; the
/// error says how to convert the older forms.
pub fn load_key(pem: &str) -> Result<KeyPair, TlsError> {
    if pem.contains("BEGIN RSA PRIVATE KEY") || pem.contains("BEGIN EC PRIVATE KEY") {
        return Err(TlsError::InvalidKey(
            "the key is in PKCS#1/SEC1 form; convert it to PKCS#8 with `openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8`".to_owned(),
        ));
    }
    if pem.contains("ENCRYPTED PRIVATE KEY") {
        return Err(TlsError::InvalidKey(
            "the key is encrypted; pgfort needs an unencrypted PKCS#8 key".to_owned(),
        ));
    }
    KeyPair::from_pem(pem)
        .map_err(|e| TlsError::InvalidKey(format!("not a usable private key: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_type_generates_and_reloads() {
        for key_type in [KeyType::EcdsaP256, KeyType::Ed25519, KeyType::Rsa2048] {
            let key = generate_key(key_type).unwrap();
            let again = load_key(&key.serialize_pem()).unwrap();
            assert_eq!(key.public_key_raw(), again.public_key_raw(), "{key_type:?}");
        }
    }

    #[test]
    fn ed25519_keys_are_written_in_the_form_openssl_reads() {
        let key = generate_key(KeyType::Ed25519).unwrap();
        let der = key.serialized_der();
        assert_eq!(der.len(), 48, "PKCS#8 v1: prefix and seed only");
        assert_eq!(&der[..5], &[0x30, 0x2e, 0x02, 0x01, 0x00]);
    }

    #[test]
    fn old_key_forms_are_refused_with_a_remedy() {
        let err = load_key("-----BEGIN EC PRIVATE KEY-----\nAA==\n-----END EC PRIVATE KEY-----\n")
            .unwrap_err();
        assert!(err.to_string().contains("openssl pkcs8 -topk8"), "{err}");
        assert!(load_key("not a key").is_err());
    }
}
