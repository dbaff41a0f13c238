//! Network exposure and TLS (CIS 5.2, 6.8, 6.10).

use super::{bool_setting, setting, setting_check, shown, verdict};
use crate::audit::facts::{AuditFacts, TlsProbe};
use crate::audit::{Area, Check, Control, Severity};

fn listen_addresses(facts: &AuditFacts) -> Check {
    setting_check(facts, "listen_addresses", |value| {
        !value
            .split(',')
            .any(|a| matches!(a.trim(), "*" | "0.0.0.0" | "::"))
    })
}

fn min_protocol(facts: &AuditFacts) -> Check {
    setting_check(facts, "ssl_min_protocol_version", |value| {
        matches!(value, "TLSv1.2" | "TLSv1.3")
    })
}

fn hostssl_rules(facts: &AuditFacts) -> Check {
    let Some(rules) = facts.hba_rules.as_deref() else {
        return Check::Skip("needs superuser (pg_hba_file_rules is not readable)".to_owned());
    };
    let ssl: Vec<String> = rules
        .iter()
        .filter(|r| r.kind == "hostssl")
        .map(super::hba::describe)
        .collect();
    if ssl.is_empty() {
        Check::Fail(vec!["no hostssl rule in pg_hba.conf".to_owned()])
    } else {
        Check::Pass(ssl)
    }
}

/// Forward secrecy: static RSA key exchange must be excluded, or only
/// (EC)DHE suites listed. TLS 1.3 suites are always forward-secret.
/// What `ssl_ciphers` admits (see [`super::ciphers`]): no anonymous,
/// unencrypted, export, DES, 3DES, RC4 or MD5 suite, nor static RSA.
fn ciphers(facts: &AuditFacts) -> Check {
    let value = match setting(facts, "ssl_ciphers") {
        Ok(value) => value,
        Err(skip) => return skip,
    };
    let weak = super::ciphers::weak_classes(&value.value);
    let mut evidence = vec![shown("ssl_ciphers", value)];
    evidence.extend(weak.iter().map(|class| format!("admits {class}")));
    verdict(weak.is_empty(), evidence)
}

/// `ssl = on`, and the server really serves TLS when asked (a certificate
/// that did not load leaves it off, and makes the next restart fail).
fn ssl_served(facts: &AuditFacts) -> Check {
    let check = bool_setting(facts, "ssl", true);
    let Check::Pass(mut evidence) = check else {
        return check;
    };
    match &facts.tls_probe {
        Some(TlsProbe::Served { address }) => {
            evidence.push(format!("a TLS handshake on {address} succeeded"));
            Check::Pass(evidence)
        }
        Some(TlsProbe::Refused { address }) => {
            evidence.push(format!(
                "but the server refuses TLS on {address}: its SSL configuration did not load (the server log says why), and the next restart will fail"
            ));
            Check::Fail(evidence)
        }
        Some(TlsProbe::Failed { address, error }) => {
            evidence.push(format!("TLS not confirmed on {address}: {error}"));
            Check::Pass(evidence)
        }
        None => Check::Pass(evidence),
    }
}

/// pgfort issues, installs and serves the certificate, then turns ssl on.
const SSL_REMEDY: &str = "certificate_authority \"internal\" {
  cert_file = \"pki/ca.crt\" # created by pgfort; keep its key safe
  key_file  = \"pki/ca.key\"
}

server_certificate {
  ca        = \"internal\"
  dns_names = [\"db.example.com\"] # the names clients connect to
}";

pub const CONTROLS: &[Control] = &[
    Control {
        id: "5.2",
        area: Area::Network,
        title: "listen_addresses is not every interface",
        severity: Severity::Medium,
        rationale: "Listen only where clients are; every interface widens the attack surface.",
        remedy: "settings { listen_addresses = \"10.0.0.5\" } # requires restart",
        check: listen_addresses,
    },
    Control {
        id: "6.8-ssl",
        area: Area::Network,
        title: "ssl is on",
        severity: Severity::High,
        rationale: "Without TLS, password exchanges and data cross the network readable.",
        remedy: SSL_REMEDY,
        check: ssl_served,
    },
    Control {
        id: "6.8-tls",
        area: Area::Network,
        title: "ssl_min_protocol_version is TLSv1.2 or newer",
        severity: Severity::Medium,
        rationale: "TLS 1.0 and 1.1 are deprecated and have known weaknesses.",
        remedy: "settings { ssl_min_protocol_version = \"TLSv1.2\" }",
        check: min_protocol,
    },
    Control {
        id: "6.8-hostssl",
        area: Area::Network,
        title: "pg_hba.conf has hostssl rules",
        severity: Severity::Medium,
        rationale: "ssl = on only offers TLS; hostssl rules require it.",
        remedy: super::hba::HBA_REMEDY,
        check: hostssl_rules,
    },
    Control {
        id: "6.10-ext",
        area: Area::Network,
        title: "ssl_ciphers admits only strong, forward-secret suites",
        severity: Severity::Low,
        rationale: "Anonymous suites let a man in the middle in; null, export, DES, 3DES, RC4 and MD5 suites are broken; static RSA key exchange lets a stolen key decrypt recorded traffic.",
        remedy: "settings { ssl_ciphers = \"ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!kRSA\" }",
        check: ciphers,
    },
];
