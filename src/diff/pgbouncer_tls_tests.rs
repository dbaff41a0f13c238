//! PgBouncer's certificate kept or reissued by the server certificate's
//! rules, each reason named, and the CA file checked on its own.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::tls_work;
use crate::model::{
    Authority, KeyType, Lifetime, PgBouncer, PgBouncerAuth, PgBouncerTls, PgBouncerTlsFiles, Tls,
};
use crate::tls::{first_certificate, generate_authority, issue_server};

const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

fn authority(cert_pem: &str) -> Authority {
    Authority {
        name: "main".into(),
        cert_file: "ca.crt".into(),
        key_file: "ca.key".into(),
        common_name: "CA".into(),
        validity: Lifetime::days(3650),
        key_type: KeyType::EcdsaP256,
        existing: Some(first_certificate(cert_pem).unwrap()),
    }
}

fn bouncer() -> PgBouncer {
    PgBouncer {
        name: "main".into(),
        config_dir: PathBuf::from("/etc/pgbouncer"),
        admin_url: None,
        auth: PgBouncerAuth::File,
        users: vec!["app".into()],
        settings: BTreeMap::new(),
        databases: BTreeMap::new(),
        tls: Some(PgBouncerTls {
            ca: "main".into(),
            common_name: "pgb.internal".into(),
            dns_names: vec!["pgb.internal".into()],
            ip_addresses: vec!["127.0.0.1".parse().unwrap()],
            validity: Lifetime::days(365),
            renew_before: Lifetime::days(30),
            key_type: KeyType::EcdsaP256,
            client_sslmode: "require".into(),
            server_sslmode: None,
        }),
    }
}

fn reasons(pgbouncer: &PgBouncer, files: &PgBouncerTlsFiles, tls: &Tls) -> Vec<String> {
    tls_work(pgbouncer, files, tls)
        .map(|(_, reasons, _)| reasons)
        .unwrap_or_default()
}

#[test]
fn a_certificate_is_kept_while_it_matches_and_reissued_with_the_reason() {
    let ca = generate_authority("CA", KeyType::EcdsaP256, Lifetime::days(3650), NOW - DAY).unwrap();
    let mut tls = Tls {
        now: NOW,
        ..Tls::default()
    };
    tls.authorities
        .insert("main".into(), authority(&ca.cert_pem));
    let pgbouncer = bouncer();

    // Nothing on disk: issue, and write the CA file.
    let (write, reasons_now, attributes) =
        tls_work(&pgbouncer, &PgBouncerTlsFiles::default(), &tls).unwrap();
    assert!(write.issue && write.write_ca);
    assert_eq!(
        reasons_now,
        ["certificate: /etc/pgbouncer/pgbouncer.crt does not exist"]
    );
    assert!(
        attributes
            .iter()
            .all(|a| !a.after.as_deref().unwrap_or("").contains("PRIVATE"))
    );

    let issue = |names: &[&str], days: i64| {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let issued = issue_server(
            &names[0],
            &names,
            &["127.0.0.1".parse().unwrap()],
            KeyType::EcdsaP256,
            Lifetime::days(days),
            &ca.cert_pem,
            &ca.key_pem,
            NOW,
        )
        .unwrap();
        first_certificate(&issued.cert_pem).unwrap()
    };
    let good = PgBouncerTlsFiles {
        certificate: Some(issue(&["pgb.internal"], 365)),
        key_matches: true,
        key_private: true,
        ca: tls.authorities["main"].existing.clone(),
    };
    assert!(tls_work(&pgbouncer, &good, &tls).is_none(), "kept");

    let expiring = PgBouncerTlsFiles {
        certificate: Some(issue(&["pgb.internal"], 10)),
        ..good.clone()
    };
    assert_eq!(
        reasons(&pgbouncer, &expiring, &tls),
        ["certificate: expires in 10 days (renew_before 30d)"]
    );
    let renamed = PgBouncerTlsFiles {
        certificate: Some(issue(&["other.internal"], 365)),
        ..good.clone()
    };
    assert_eq!(
        reasons(&pgbouncer, &renamed, &tls),
        [
            "certificate: common name is other.internal, not pgb.internal",
            "certificate: missing DNS name pgb.internal"
        ]
    );
    let open_key = PgBouncerTlsFiles {
        key_private: false,
        ..good.clone()
    };
    assert_eq!(
        reasons(&pgbouncer, &open_key, &tls),
        ["certificate: /etc/pgbouncer/pgbouncer.key is readable by others than its owner"]
    );
    let foreign_key = PgBouncerTlsFiles {
        key_matches: false,
        ..good.clone()
    };
    assert_eq!(
        reasons(&pgbouncer, &foreign_key, &tls),
        ["certificate: /etc/pgbouncer/pgbouncer.key is missing or is not the certificate's key"]
    );

    // Only the CA file differs: it is written, the certificate kept.
    let other = generate_authority("Other", KeyType::EcdsaP256, Lifetime::days(10), NOW).unwrap();
    let stale_ca = PgBouncerTlsFiles {
        ca: Some(first_certificate(&other.cert_pem).unwrap()),
        ..good.clone()
    };
    let (write, reasons_now, _) = tls_work(&pgbouncer, &stale_ca, &tls).unwrap();
    assert!(!write.issue && write.write_ca);
    assert_eq!(
        reasons_now,
        ["certificate: root.crt does not hold certificate_authority.main"]
    );

    // Another authority now: everything it issued is reissued.
    tls.authorities
        .insert("main".into(), authority(&other.cert_pem));
    assert_eq!(
        reasons(&pgbouncer, &good, &tls),
        ["certificate: issued by another CA (not certificate_authority.main)"]
    );
}
