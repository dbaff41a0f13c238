use std::collections::BTreeMap;

use super::*;
use crate::diff::{DiffInput, DiffOptions, diff};
use crate::model::{KeyType, Lifetime, ManagePolicy, ServedSsl, ServerFacts, ServerState};
use crate::tls::{first_certificate, generate_authority, issue_client, issue_server};

const NOW: i64 = 1_800_000_000;

struct Ca {
    authority: Authority,
    cert_pem: String,
    key_pem: crate::model::Secret,
}

fn ca(name: &str) -> Ca {
    let issued =
        generate_authority(name, KeyType::EcdsaP256, Lifetime::days(3650), NOW - DAY).unwrap();
    Ca {
        authority: Authority {
            name: "main".into(),
            cert_file: "ca.crt".into(),
            key_file: "ca.key".into(),
            common_name: name.into(),
            validity: Lifetime::days(3650),
            key_type: KeyType::EcdsaP256,
            existing: Some(first_certificate(&issued.cert_pem).unwrap()),
        },
        cert_pem: issued.cert_pem,
        key_pem: issued.key_pem,
    }
}

fn server_spec() -> ServerCertificate {
    ServerCertificate {
        ca: "main".into(),
        common_name: "db.example.com".into(),
        dns_names: vec!["db.example.com".into()],
        ip_addresses: vec!["127.0.0.1".parse().unwrap()],
        validity: Lifetime::days(365),
        renew_before: Lifetime::days(30),
        key_type: KeyType::EcdsaP256,
        min_protocol_version: "TLSv1.2".into(),
    }
}

/// A certificate of `days` validity issued by `by` for `names`.
fn installed(by: &Ca, names: &[&str], days: i64) -> InstalledSsl {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let cert = issue_server(
        "db.example.com",
        &names,
        &["127.0.0.1".parse().unwrap()],
        KeyType::EcdsaP256,
        Lifetime::days(days),
        &by.cert_pem,
        &by.key_pem,
        NOW,
    )
    .unwrap();
    InstalledSsl {
        ssl: true,
        cert_file: "server.crt".into(),
        key_file: "server.key".into(),
        ca_file: "root.crt".into(),
        data_directory: "/data".into(),
        files_accessible: true,
        private_session: true,
        certificate: Some(first_certificate(&cert.cert_pem).unwrap()),
        ca_pem: Some(by.cert_pem.clone()),
        served: ServedSsl::Unknown,
    }
}

fn desired(ca: &Ca) -> ServerState {
    let mut state = ServerState::default();
    state.tls.now = NOW;
    state
        .tls
        .authorities
        .insert("main".into(), ca.authority.clone());
    state.tls.server = Some(server_spec());
    state
}

fn run(desired: &ServerState, live: Option<InstalledSsl>) -> Result<super::super::Diff, DiffError> {
    let mut live_state = ServerState::default();
    live_state.tls.installed = live;
    diff(DiffInput {
        desired,
        live: &live_state,
        facts: &ServerFacts {
            version_num: 160000,
            databases: vec!["postgres".into()],
            current_database: "postgres".into(),
            is_superuser: true,
            role_dependencies: BTreeMap::new(),
            ..Default::default()
        },
        manage: &ManagePolicy::default(),
        options: DiffOptions::default(),
    })
}

fn reasons(diff: &super::super::Diff, address: &str) -> Vec<String> {
    diff.changes
        .iter()
        .find(|c| c.address == address)
        .map(|c| c.reasons.clone())
        .unwrap_or_default()
}

#[test]
fn a_good_certificate_is_kept() {
    let main = ca("Main");
    let d = run(
        &desired(&main),
        Some(installed(&main, &["db.example.com"], 365)),
    )
    .unwrap();
    assert!(
        reasons(&d, "server_certificate").is_empty(),
        "{:?}",
        d.changes
    );
    assert!(d.tls.server.is_none());
    // The live settings are empty here: turning SSL on is verified too.
    assert!(d.changes.iter().any(|c| c.address == "setting.ssl"));
    assert!(d.tls.verify.is_some());
}

#[test]
fn every_reason_to_reissue_is_named() {
    let main = ca("Main");
    let d = run(
        &desired(&main),
        Some(installed(&main, &["db.example.com"], 12)),
    )
    .unwrap();
    assert_eq!(
        reasons(&d, "server_certificate"),
        ["expires in 12 days (renew_before 30d)"]
    );
    assert!(d.tls.server.as_ref().is_some_and(|s| s.issue));
    assert!(d.tls.verify.is_some());
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);

    let mut exposed = installed(&main, &["db.example.com"], 12);
    exposed.private_session = false;
    let d = run(&desired(&main), Some(exposed)).unwrap();
    assert!(
        d.warnings
            .iter()
            .any(|w| w.starts_with("the new server key is sent over this connection")),
        "{:?}",
        d.warnings
    );

    let d = run(
        &desired(&main),
        Some(installed(&main, &["other.example.com"], 365)),
    )
    .unwrap();
    assert_eq!(
        reasons(&d, "server_certificate"),
        ["missing DNS name db.example.com"]
    );

    let other = ca("Other");
    let d = run(
        &desired(&main),
        Some(installed(&other, &["db.example.com"], 365)),
    )
    .unwrap();
    assert_eq!(
        reasons(&d, "server_certificate"),
        ["issued by another CA (not certificate_authority.main)"]
    );

    let mut none = installed(&main, &[], 365);
    none.certificate = None;
    let d = run(&desired(&main), Some(none)).unwrap();
    assert_eq!(
        reasons(&d, "server_certificate"),
        ["no certificate is installed"]
    );
}

#[test]
fn a_wrong_ca_file_is_rewritten_without_reissuing() {
    let main = ca("Main");
    let mut live = installed(&main, &["db.example.com"], 365);
    live.ca_pem = None;
    let d = run(&desired(&main), Some(live)).unwrap();
    let install = d.tls.server.as_ref().unwrap();
    assert!(!install.issue && install.write_ca);
    assert_eq!(
        reasons(&d, "server_certificate"),
        ["root.crt does not hold certificate_authority.main"]
    );
}

#[test]
fn a_new_authority_is_generated_and_everything_it_signs_reissued() {
    let main = ca("Main");
    let mut state = desired(&main);
    let authority = state.tls.authorities.get_mut("main").unwrap();
    authority.existing = None;
    let d = run(&state, Some(installed(&main, &["db.example.com"], 365))).unwrap();
    assert_eq!(d.tls.generate_authorities.len(), 1);
    assert!(
        d.changes
            .iter()
            .any(|c| c.address == "certificate_authority.main")
    );
    assert_eq!(
        reasons(&d, "server_certificate"),
        ["issued by another CA (certificate_authority.main is new)"]
    );
}

#[test]
fn an_authority_expiring_before_what_it_would_issue_is_a_warning() {
    let mut main = ca("Main");
    if let Some(existing) = main.authority.existing.as_mut() {
        existing.not_after = NOW + 100 * DAY;
    }
    let d = run(
        &desired(&main),
        Some(installed(&main, &["db.example.com"], 365)),
    )
    .unwrap();
    assert!(
        d.warnings
            .iter()
            .any(|w| w.starts_with("certificate_authority.main expires in 100 days, before a certificate it issues now (365d) would")),
        "{:?}",
        d.warnings
    );
    let main = ca("Main");
    let d = run(
        &desired(&main),
        Some(installed(&main, &["db.example.com"], 365)),
    )
    .unwrap();
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
}

#[test]
fn without_superuser_the_files_cannot_be_managed() {
    let main = ca("Main");
    let mut live = installed(&main, &["db.example.com"], 365);
    live.files_accessible = false;
    let err = run(&desired(&main), Some(live)).unwrap_err();
    assert!(err.message.contains("superuser"), "{err}");
}

#[test]
fn client_certificates_follow_the_same_rules() {
    let main = ca("Main");
    let mut state = desired(&main);
    state.tls.server = None;
    let cert = issue_client(
        "app",
        KeyType::EcdsaP256,
        Lifetime::days(10),
        &main.cert_pem,
        &main.key_pem,
        NOW,
    )
    .unwrap();
    let mut client = ClientCertificate {
        role: "app".into(),
        ca: "main".into(),
        out_dir: "/certs".into(),
        validity: Lifetime::days(365),
        renew_before: Lifetime::days(30),
        key_type: KeyType::EcdsaP256,
        existing: Some(first_certificate(&cert.cert_pem).unwrap()),
        key_matches: true,
        key_private: true,
    };
    state.tls.clients.insert("app".into(), client.clone());
    let d = run(&state, None).unwrap();
    assert_eq!(
        reasons(&d, "client_certificate.app"),
        ["expires in 10 days (renew_before 30d)"]
    );
    client.renew_before = Lifetime::days(5);
    client.key_matches = false;
    state.tls.clients.insert("app".into(), client.clone());
    let d = run(&state, None).unwrap();
    assert_eq!(
        reasons(&d, "client_certificate.app"),
        ["/certs/app.key is missing or is not the certificate's key"]
    );
    client.key_matches = true;
    client.key_private = false;
    state.tls.clients.insert("app".into(), client.clone());
    let d = run(&state, None).unwrap();
    assert_eq!(
        reasons(&d, "client_certificate.app"),
        ["/certs/app.key is readable by others than its owner"]
    );
    client.key_private = true;
    client.key_type = KeyType::Ed25519;
    state.tls.clients.insert("app".into(), client.clone());
    let d = run(&state, None).unwrap();
    assert_eq!(
        reasons(&d, "client_certificate.app"),
        ["key is ecdsa-p256, not ed25519"]
    );
    client.key_type = KeyType::EcdsaP256;
    state.tls.clients.insert("app".into(), client);
    assert!(run(&state, None).unwrap().changes.is_empty());
}

/// A live server whose SSL settings are already pgfort's.
fn ssl_configured(installed: InstalledSsl) -> ServerState {
    let mut live = ServerState::default();
    for (name, value) in [
        ("ssl", "on"),
        ("ssl_cert_file", "server.crt"),
        ("ssl_key_file", "server.key"),
        ("ssl_ca_file", "root.crt"),
        ("ssl_min_protocol_version", "TLSv1.2"),
    ] {
        live.settings.values.insert(name.into(), value.into());
    }
    live.tls.installed = Some(installed);
    live
}

fn run_live(desired: &ServerState, live: &ServerState) -> super::super::Diff {
    diff(DiffInput {
        desired,
        live,
        facts: &ServerFacts {
            version_num: 160000,
            databases: vec!["postgres".into()],
            current_database: "postgres".into(),
            is_superuser: true,
            ..Default::default()
        },
        manage: &ManagePolicy::default(),
        options: DiffOptions::default(),
    })
    .unwrap()
}

#[test]
fn a_certificate_installed_but_not_served_is_a_pending_reload() {
    let main = ca("Main");
    let mut installed = installed(&main, &["db.example.com"], 365);
    let on_disk = installed.certificate.clone().unwrap().sha256;
    installed.served = ServedSsl::Certificate(on_disk.clone());
    let d = run_live(&desired(&main), &ssl_configured(installed.clone()));
    assert!(d.changes.is_empty(), "{:?}", d.changes);
    assert!(d.tls.verify.is_none());

    installed.served = ServedSsl::Certificate("ab".repeat(32));
    let d = run_live(&desired(&main), &ssl_configured(installed.clone()));
    assert_eq!(d.changes.len(), 1, "{:?}", d.changes);
    let change = &d.changes[0];
    assert_eq!(change.address, "server_certificate");
    assert_eq!(change.action, Action::Update);
    assert_eq!(
        change.reasons,
        ["the server still serves the previous certificate: reload pending"]
    );
    assert_eq!(
        change.attributes[0].before.as_deref(),
        Some("\"sha256:abababababababab…\"")
    );
    assert_eq!(
        change.attributes[0].after,
        Some(format!("\"sha256:{}…\"", &on_disk[..16]))
    );
    assert_eq!(
        change.statements[0].redacted(),
        "SELECT pg_catalog.pg_reload_conf()"
    );
    // Apply reloads and proves the new certificate is served.
    assert!(d.tls.verify.is_some());
    assert!(d.tls.server.is_none());

    installed.served = ServedSsl::Plain;
    let d = run_live(&desired(&main), &ssl_configured(installed.clone()));
    assert!(d.changes[0].reasons[0].contains("does not serve SSL"));

    installed.served = ServedSsl::Unreachable("connection refused".into());
    let d = run_live(&desired(&main), &ssl_configured(installed));
    assert!(d.changes.is_empty(), "{:?}", d.changes);
    assert!(
        d.warnings[0].contains("cannot tell which certificate the server serves"),
        "{:?}",
        d.warnings
    );
}
