//! The fix file of the weak fixture: snapshotted, read back by pgfort's
//! own configuration loader, and checked for what it must and must not do.

use super::*;
use crate::audit::facts::HbaRuleFact;
use crate::audit::fixtures::{hardened, weak_with_hostssl};
use crate::audit::{Selection, run};
use crate::model::{ConnType, HbaAddress, HbaRule};

/// The fixture's pg_hba rules as the inspector reads them.
fn live_hba(rules: &[HbaRuleFact]) -> Hba {
    let rules = rules
        .iter()
        .map(|fact| HbaRule {
            conn_type: ConnType::parse(&fact.kind).expect("type"),
            databases: fact.databases.clone(),
            users: fact.users.clone(),
            address: match &fact.address {
                Some(address) => {
                    HbaAddress::parse(address, fact.netmask.as_deref()).expect("address")
                }
                None => HbaAddress::None,
            },
            method: fact.method.clone(),
            options: Vec::new(),
            comment: None,
        })
        .collect();
    Hba {
        rules,
        readable: true,
        file: "/etc/postgresql/pg_hba.conf".to_owned(),
        ..Hba::default()
    }
}

fn weak_fix() -> FixFile {
    let facts = weak_with_hostssl();
    let hba = live_hba(facts.hba_rules.as_deref().unwrap_or_default());
    let findings = run(&facts, &Selection::default());
    fix_file(
        &findings,
        &FixContext {
            facts: &facts,
            hba: Some(&hba),
            host: "db.example.com",
        },
    )
}

#[test]
fn weak_server_fix_file() {
    insta::assert_snapshot!("fix_weak", weak_fix().text);
}

#[test]
fn the_fix_file_is_a_configuration_pgfort_reads() {
    let fix = weak_fix();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("fix.hcl"), &fix.text).expect("write");
    let config = crate::config::load_for_validation(dir.path(), &Default::default())
        .unwrap_or_else(|e| panic!("{e}\n{}", fix.text));
    let desired = &config.desired;
    assert!(desired.settings.values.contains_key("log_connections"));
    assert!(desired.hba.is_some());
    assert!(desired.tls.server.is_some());
    assert!(config.manage.public_privileges);
}

#[test]
fn what_is_fixed_and_what_is_left() {
    let fix = weak_fix();
    for id in [
        "3.1.20",
        "6.8-ssl",
        "5.4-trust",
        "5.4-md5",
        "5.3",
        "5.11-ext",
        "4.10-ext",
    ] {
        assert!(fix.fixed.contains(&id), "{id} not fixed: {:?}", fix.left);
    }
    let left: Vec<&str> = fix.left.iter().map(|(id, _)| *id).collect();
    // Roles, networks and backup tools are the user's to name.
    for id in ["4.2", "5.9-ext", "5.10-ext", "7.4", "5.2"] {
        assert!(left.contains(&id), "{id} should be left: {left:?}");
    }
    assert!(!fix.text.contains("method = \"trust\""), "{}", fix.text);
    assert!(fix.text.contains("was method trust"), "{}", fix.text);
}

#[test]
fn nothing_to_fix_on_a_hardened_server() {
    let facts = hardened();
    let findings = run(&facts, &Selection::default());
    let fix = fix_file(
        &findings,
        &FixContext {
            facts: &facts,
            hba: None,
            host: "10.0.0.5",
        },
    );
    assert!(fix.fixed.is_empty() && fix.left.is_empty(), "{fix:?}");
    assert!(!fix.text.contains('{'), "{}", fix.text);
}

#[test]
fn superusers_are_rejected_before_the_first_remote_rule() {
    let fix = weak_fix();
    let reject = fix
        .text
        .find("superusers only from this host")
        .expect("reject rule");
    let first_remote = fix
        .text
        .find("0.0.0.0/0\"\n    method   = \"scram")
        .unwrap_or(usize::MAX);
    assert!(reject < first_remote, "{}", fix.text);
}
