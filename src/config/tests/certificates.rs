//! Certificate blocks: defaults, and every refusal with its location.

use super::{dir_with, error_of, load_in};
use crate::config::VariableInputs;
use crate::model::{KeyType, Lifetime};
use crate::tls::{generate_authority, issue_server};

const AUTHORITY: &str = "certificate_authority \"main\" {}\n";

#[test]
fn defaults() {
    let text = format!(
        "{AUTHORITY}server_certificate {{\n  ca = \"main\"\n  dns_names = [\"DB.example.com\"]\n}}\nclient_certificate \"app\" {{\n  ca = \"main\"\n  out_dir = \"certs\"\n  key_type = \"ED25519\"\n}}\n"
    );
    let dir = dir_with(&[("main.hcl", &text)]);
    let config = load_in(dir.path(), &VariableInputs::default(), Default::default()).unwrap();
    let tls = &config.desired.tls;
    let ca = &tls.authorities["main"];
    assert_eq!(ca.cert_file, dir.path().join("main.crt"));
    assert_eq!(ca.key_file, dir.path().join("main.key"));
    assert_eq!(ca.validity, Lifetime::days(3650));
    assert!(ca.existing.is_none());
    let server = tls.server.as_ref().unwrap();
    assert_eq!(server.common_name, "db.example.com");
    assert_eq!(server.validity, Lifetime::days(365));
    assert_eq!(server.renew_before, Lifetime::days(30));
    assert_eq!(server.min_protocol_version, "TLSv1.2");
    assert_eq!(server.key_type, KeyType::EcdsaP256);
    let client = &tls.clients["app"];
    assert_eq!(client.key_type, KeyType::Ed25519);
    assert_eq!(client.cert_path(), dir.path().join("certs/app.crt"));
}

fn refused(text: &str, expected: &str) {
    let (error, _) = error_of(text);
    assert_eq!(error, expected);
}

#[test]
fn unknown_authority() {
    let (error, hint) = error_of(&format!(
        "{AUTHORITY}server_certificate {{\n  ca = \"mian\"\n  dns_names = [\"a\"]\n}}\n"
    ));
    assert_eq!(error, "3:8: certificate_authority \"mian\" is not declared");
    assert_eq!(hint.as_deref(), Some("did you mean \"main\"?"));
}

#[test]
fn validity_shorter_than_renew_before() {
    refused(
        &format!(
            "{AUTHORITY}client_certificate \"app\" {{\n  ca = \"main\"\n  validity = \"20d\"\n  renew_before = \"30d\"\n}}\n"
        ),
        "5:18: renew_before (30d) must be shorter than validity (20d): the certificate would be renewed on every apply",
    );
}

#[test]
fn bad_values() {
    refused(
        &format!(
            "{AUTHORITY}server_certificate {{\n  ca = \"main\"\n  dns_names = [\"ok.example.com\", \"bad_name.example.com\"]\n}}\n"
        ),
        "4:34: \"bad_name.example.com\" is not a valid DNS name",
    );
    refused(
        &format!(
            "{AUTHORITY}server_certificate {{\n  ca = \"main\"\n  ip_addresses = [\"10.0.0.300\"]\n}}\n"
        ),
        "4:19: \"10.0.0.300\" is not an IP address",
    );
    refused(
        &format!(
            "{AUTHORITY}server_certificate {{\n  ca = \"main\"\n  dns_names = [\"a\"]\n  validity = \"1y\"\n}}\n"
        ),
        "5:14: invalid validity \"1y\": expected a number of days, hours or minutes",
    );
    refused(
        "certificate_authority \"main\" {\n  key_type = \"rsa-1024\"\n}\n",
        "2:14: invalid key_type \"rsa-1024\", expected one of: ecdsa-p256, rsa-2048, rsa-3072, rsa-4096, ed25519",
    );
    refused(
        &format!(
            "{AUTHORITY}server_certificate {{\n  ca = \"main\"\n  dns_names = [\"a\"]\n  min_protocol_version = \"SSLv3\"\n}}\n"
        ),
        "5:26: invalid min_protocol_version \"SSLv3\", expected one of: TLSv1, TLSv1.1, TLSv1.2, TLSv1.3",
    );
    refused(
        &format!("{AUTHORITY}server_certificate {{\n  ca = \"main\"\n}}\n"),
        "2:1: missing attribute \"dns_names\" in server_certificate block",
    );
    refused(
        &format!(
            "{AUTHORITY}server_certificate {{\n  ca = \"main\"\n  dns_names = [\"a\"]\n}}\nsettings {{\n  ssl = \"off\"\n}}\n"
        ),
        "7:3: ssl is set by server_certificate and cannot also be written in settings",
    );
}

/// Writes an authority's files into `dir`, optionally with another key.
fn authority_files(dir: &std::path::Path, mismatched_key: bool, days: i64) {
    let now = crate::tls::unix_now();
    let ca = generate_authority(
        "CA",
        KeyType::EcdsaP256,
        Lifetime::days(days),
        now - 2 * 86_400,
    )
    .unwrap();
    let key = if mismatched_key {
        generate_authority("Other", KeyType::EcdsaP256, Lifetime::days(10), now)
            .unwrap()
            .key_pem
    } else {
        ca.key_pem
    };
    std::fs::write(dir.join("ca.crt"), ca.cert_pem).unwrap();
    std::fs::write(dir.join("ca.key"), key.expose()).unwrap();
}

const FILES: &str =
    "certificate_authority \"main\" {\n  cert_file = \"ca.crt\"\n  key_file  = \"ca.key\"\n}\n";

fn load_error(dir: &tempfile::TempDir) -> String {
    let err = load_in(dir.path(), &VariableInputs::default(), Default::default()).unwrap_err();
    let at = err.location.unwrap();
    format!(
        "{}:{}: {}",
        at.line,
        at.column,
        err.message
            .replace(&format!("{}/", dir.path().display()), "")
    )
}

#[test]
fn existing_authority_pairs_are_checked() {
    let dir = dir_with(&[("main.hcl", FILES)]);
    authority_files(dir.path(), false, 100);
    let config = load_in(dir.path(), &VariableInputs::default(), Default::default()).unwrap();
    assert!(config.desired.tls.authorities["main"].existing.is_some());

    let dir = dir_with(&[("main.hcl", FILES)]);
    authority_files(dir.path(), true, 100);
    assert_eq!(load_error(&dir), "3:15: ca.key is not the key of ca.crt");

    let dir = dir_with(&[("main.hcl", FILES)]);
    authority_files(dir.path(), false, 1);
    assert_eq!(
        load_error(&dir),
        "2:15: the authority in ca.crt has expired"
    );

    let dir = dir_with(&[("main.hcl", FILES)]);
    authority_files(dir.path(), false, 100);
    std::fs::remove_file(dir.path().join("ca.key")).unwrap();
    assert_eq!(
        load_error(&dir),
        "3:15: ca.crt exists but the key file ca.key does not"
    );

    // A leaf certificate is not an authority.
    let dir = dir_with(&[("main.hcl", FILES)]);
    authority_files(dir.path(), false, 100);
    let ca_pem = std::fs::read_to_string(dir.path().join("ca.crt")).unwrap();
    let ca_key =
        crate::model::Secret::new(std::fs::read_to_string(dir.path().join("ca.key")).unwrap());
    let leaf = issue_server(
        "x",
        &["x".into()],
        &[],
        KeyType::EcdsaP256,
        Lifetime::days(5),
        &ca_pem,
        &ca_key,
        crate::tls::unix_now(),
    )
    .unwrap();
    std::fs::write(dir.path().join("ca.crt"), leaf.cert_pem).unwrap();
    std::fs::write(dir.path().join("ca.key"), leaf.key_pem.expose()).unwrap();
    assert_eq!(
        load_error(&dir),
        "2:15: ca.crt is not a certificate authority (no CA basic constraint)"
    );
}

#[test]
fn key_text_never_appears_in_errors() {
    let dir = dir_with(&[("main.hcl", FILES)]);
    std::fs::write(dir.path().join("ca.crt"), "not a certificate").unwrap();
    std::fs::write(
        dir.path().join("ca.key"),
        "-----BEGIN PRIVATE KEY-----\nSECRETSECRET\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let err = load_in(dir.path(), &VariableInputs::default(), Default::default()).unwrap_err();
    assert!(!format!("{err} {:?}", err.hint).contains("SECRETSECRET"));
}

#[test]
fn a_minimum_protocol_in_settings_must_agree() {
    let server = "server_certificate {\n  ca = \"main\"\n  dns_names = [\"a\"]\n}\n";
    let same =
        format!("{AUTHORITY}{server}settings {{\n  ssl_min_protocol_version = \"TLSv1.2\"\n}}\n");
    let dir = dir_with(&[("main.hcl", &same)]);
    assert!(load_in(dir.path(), &VariableInputs::default(), Default::default()).is_ok());
    refused(
        &format!("{AUTHORITY}{server}settings {{\n  ssl_min_protocol_version = \"TLSv1.3\"\n}}\n"),
        "7:3: ssl_min_protocol_version is set by server_certificate and cannot also be written in settings",
    );
}
