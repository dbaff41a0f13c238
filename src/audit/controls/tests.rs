//! Every control against the fixtures: passes on the hardened server, fails
//! on a weak one, skips (never passes) without the privilege it needs, and
//! has a snapshot of its evidence per fixture.

use std::collections::BTreeSet;

use super::all;
use crate::audit::fixtures::{hardened, unprivileged, weak, weak_with_hostssl};
use crate::audit::{Check, Control};

fn render(check: &Check) -> String {
    match check {
        Check::Pass(evidence) => format!("pass\n  {}", evidence.join("\n  ")),
        Check::Fail(evidence) => format!("fail\n  {}", evidence.join("\n  ")),
        Check::Skip(reason) => format!("skip: {reason}"),
    }
}

#[test]
fn ids_are_unique_and_there_are_enough() {
    let ids: Vec<&str> = all().map(|c| c.id).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "duplicate control ids");
    assert!(ids.len() >= 50, "only {} controls", ids.len());
}

#[test]
fn every_control_passes_on_a_hardened_server() {
    let facts = hardened();
    for control in all() {
        let check = (control.check)(&facts);
        assert!(
            matches!(check, Check::Pass(_)),
            "{}: {}",
            control.id,
            render(&check)
        );
    }
}

#[test]
fn every_control_fails_on_a_weak_server() {
    let fixtures = [weak(), weak_with_hostssl()];
    for control in all() {
        let failed = fixtures
            .iter()
            .any(|facts| matches!((control.check)(facts), Check::Fail(_)));
        assert!(failed, "{} never fails", control.id);
    }
}

#[test]
fn unreadable_facts_skip_and_never_pass() {
    let facts = unprivileged();
    let needs_privilege = [
        "ext-password-verifiers",
        "5.3",
        "5.4-trust",
        "5.4-password",
        "5.4-ident",
        "5.4-md5",
        "5.8-ext",
        "5.9-ext",
        "5.9-ext-wide",
        "5.10-ext",
        "5.11-ext",
        "6.8-hostssl",
        "2.5-ext",
        "2.7",
        "ops-long-queries",
        "ops-replication-lag",
        "ops-stat-statements",
        "3.1.4",
        "4.3-replication",
        "3.2",
        "7.1",
        "7.5",
        "ext-logs-outside-data",
        "ext-auth-delay",
        "ext-password-check",
    ];
    for id in needs_privilege {
        let control = find(id);
        let check = (control.check)(&facts);
        match &check {
            Check::Skip(reason) => assert!(reason.starts_with("needs "), "{id}: {reason}"),
            other => panic!("{id} should skip, got {}", render(other)),
        }
    }
}

#[test]
fn evidence_never_holds_a_verifier() {
    for facts in [hardened(), weak(), weak_with_hostssl(), unprivileged()] {
        for control in all() {
            let text = render(&(control.check)(&facts));
            assert!(!text.contains("SCRAM-SHA-256$"), "{}", control.id);
        }
    }
}

/// One snapshot per control, ruff style: its verdict on every fixture.
#[test]
fn control_snapshots() {
    let fixtures = [
        ("hardened", hardened()),
        ("weak", weak()),
        ("weak_with_hostssl", weak_with_hostssl()),
        ("unprivileged", unprivileged()),
    ];
    for control in all() {
        let mut text = format!(
            "{} [{}] {}\n",
            control.id,
            control.severity.as_str(),
            control.title
        );
        for (name, facts) in &fixtures {
            text.push_str(&format!("\n{name}: {}\n", render(&(control.check)(facts))));
        }
        insta::assert_snapshot!(format!("control_{}", control.id), text);
    }
}

fn find(id: &str) -> &'static Control {
    all()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no control {id}"))
}

/// HCL remedies are valid HCL, so they can be pasted as they are.
#[test]
fn hcl_remedies_parse() {
    for control in all() {
        if crate::audit::remedy_kind(control.remedy) == crate::audit::RemedyKind::Hcl
            && let Err(error) = hcl::parse(control.remedy)
        {
            panic!("{}: {error}\n{}", control.id, control.remedy);
        }
    }
}

/// The hardened server with `name` set to `value`.
fn hardened_with(name: &str, value: &str) -> crate::audit::facts::AuditFacts {
    let mut facts = hardened();
    facts.settings.insert(
        name.to_owned(),
        crate::audit::facts::SettingFact {
            value: value.to_owned(),
            unit: None,
        },
    );
    facts
}

#[test]
fn nothing_logged_above_error_is_no_pass() {
    // log_min_messages = fatal or panic: no error, connection, statement
    // or replication command reaches the log.
    for level in ["fatal", "panic", "PANIC"] {
        let facts = hardened_with("log_min_messages", level);
        for id in ["3.1.14", "3.1.20", "3.1.21", "3.1.25", "7.2"] {
            let check = (find(id).check)(&facts);
            assert!(
                matches!(check, Check::Fail(_)),
                "{id} at {level}: {}",
                render(&check)
            );
        }
    }
    // log: LOG messages are still written, errors are not.
    let facts = hardened_with("log_min_messages", "log");
    assert!(matches!((find("3.1.14").check)(&facts), Check::Fail(_)));
    assert!(matches!((find("3.1.20").check)(&facts), Check::Pass(_)));
    // log_min_error_statement above error: no failing statement is logged.
    for level in ["log", "fatal", "panic"] {
        let facts = hardened_with("log_min_error_statement", level);
        let check = (find("3.1.15").check)(&facts);
        assert!(
            matches!(check, Check::Fail(_)),
            "{level}: {}",
            render(&check)
        );
    }
    let facts = hardened_with("log_min_error_statement", "warning");
    assert!(matches!((find("3.1.15").check)(&facts), Check::Pass(_)));
}

#[test]
fn ssl_on_that_serves_no_tls_fails() {
    use crate::audit::facts::TlsProbe;
    let mut facts = hardened();
    facts.tls_probe = Some(TlsProbe::Refused {
        address: "127.0.0.1:5432".to_owned(),
    });
    let check = (find("6.8-ssl").check)(&facts);
    let Check::Fail(evidence) = &check else {
        panic!("{}", render(&check));
    };
    assert!(
        evidence
            .iter()
            .any(|e| e.contains("refuses TLS on 127.0.0.1:5432"))
    );
    assert!(
        evidence
            .iter()
            .any(|e| e.contains("next restart will fail"))
    );
    // Unknown (nothing answered): judged by the setting, and said so.
    facts.tls_probe = Some(TlsProbe::Failed {
        address: "127.0.0.1:5432".to_owned(),
        error: "connection refused".to_owned(),
    });
    let check = (find("6.8-ssl").check)(&facts);
    assert!(matches!(&check, Check::Pass(e) if e.iter().any(|l| l.contains("TLS not confirmed"))));
}

#[test]
fn a_passwordless_login_admitted_by_peer_passes_and_otherwise_fails() {
    use crate::audit::facts::PasswordKind;
    let mut facts = hardened();
    // postgres has no password, and `local all postgres peer` admits it.
    for role in &mut facts.roles {
        if role.name == "postgres" {
            role.password = Some(PasswordKind::None);
        }
    }
    let check = (find("ext-login-without-password").check)(&facts);
    assert!(matches!(check, Check::Pass(_)), "{}", render(&check));
    // Without that rule, nothing but trust could let it in.
    if let Some(rules) = &mut facts.hba_rules {
        rules.retain(|rule| rule.method != "peer");
    }
    let check = (find("ext-login-without-password").check)(&facts);
    assert!(
        matches!(&check, Check::Fail(e) if e[0].starts_with("postgres: ")),
        "{}",
        render(&check)
    );
}

/// Database-local controls look at every database read: a problem in a
/// second database fails them, naming it; a database that could not be
/// read turns a pass into a skip, never a pass.
#[test]
fn database_controls_cover_every_database() {
    use crate::audit::facts::{DatabaseFacts, UnreadableDatabase};
    let database_controls = [
        "4.5",
        "4.10-ext",
        "ext-untrusted-languages",
        "ext-public-definers",
        "ext-public-create-schemas",
        "ext-unused-extensions",
    ];
    let run = |facts: &crate::audit::facts::AuditFacts, id: &str| {
        let control = all().find(|c| c.id == id).expect(id);
        (control.check)(facts)
    };
    let mut facts = hardened();
    let mut other = weak().databases[0].clone();
    other.name = "reports".to_owned();
    facts.databases.push(other);
    for id in database_controls {
        let Check::Fail(evidence) = run(&facts, id) else {
            panic!("{id} passes with a weak second database");
        };
        assert!(
            evidence.iter().all(|e| e.starts_with("database reports: ")),
            "{id}: {evidence:?}"
        );
    }

    let mut facts = hardened();
    facts.databases.push(DatabaseFacts {
        name: "reports".to_owned(),
        ..hardened().databases[0].clone()
    });
    let Check::Pass(evidence) = run(&facts, "4.5") else {
        panic!("two hardened databases pass");
    };
    assert!(
        evidence[0].ends_with("(in databases app, reports)"),
        "{evidence:?}"
    );
    facts.unreadable_databases.push(UnreadableDatabase {
        name: "secret".to_owned(),
        why: "permission denied for database secret".to_owned(),
    });
    for id in database_controls {
        let Check::Skip(reason) = run(&facts, id) else {
            panic!("{id} passes without reading database secret");
        };
        assert!(
            reason.contains("database secret could not be read"),
            "{reason}"
        );
    }
}
