use super::simulate::tests::rule;
use crate::diff::{DiffInput, DiffOptions, diff};
use crate::model::{
    ConnType, Hba, HbaAddress, HbaProbe, HbaSession, ManagePolicy, ServerFacts, ServerState,
};

fn session() -> HbaSession {
    HbaSession {
        probe: HbaProbe {
            user: "postgres".into(),
            database: "postgres".into(),
            address: Some("127.0.0.1".parse().unwrap()),
            ssl: false,
        },
        server_address: None,
        member_of: vec![],
        auth_method: None,
        tls_allowed: true,
    }
}

fn states(
    desired_rules: Vec<crate::model::HbaRule>,
    live_rules: Vec<crate::model::HbaRule>,
) -> (ServerState, ServerState) {
    let desired = ServerState {
        hba: Some(Hba {
            rules: desired_rules,
            ..Hba::default()
        }),
        ..ServerState::default()
    };
    let text = crate::model::render_hba_file(&live_rules).unwrap();
    let live = ServerState {
        hba: Some(Hba {
            rules: live_rules,
            file: "/data/pg_hba.conf".into(),
            text: Some(text),
            readable: true,
            session: Some(session()),
            ..Hba::default()
        }),
        ..ServerState::default()
    };
    (desired, live)
}

fn run(
    desired: &ServerState,
    live: &ServerState,
) -> Result<crate::diff::Diff, crate::diff::DiffError> {
    diff(DiffInput {
        desired,
        live,
        facts: &ServerFacts::default(),
        manage: &ManagePolicy::default(),
        options: DiffOptions::default(),
    })
}

fn own() -> crate::model::HbaRule {
    rule(
        ConnType::Host,
        "all",
        "postgres",
        "127.0.0.1/32",
        "scram-sha-256",
    )
}

#[test]
fn the_same_rules_in_other_words_are_no_change() {
    let mut spelled = rule(
        ConnType::Host,
        "all",
        "postgres",
        "127.0.0.1/32",
        "scram-sha-256",
    );
    spelled.address = HbaAddress::parse("127.0.0.1", Some("255.255.255.255")).unwrap();
    spelled.comment = Some("pgfort itself".into());
    let (desired, live) = states(vec![spelled], vec![own()]);
    let diff = run(&desired, &live).unwrap();
    assert!(diff.changes.is_empty(), "{:?}", diff.changes);
    assert!(diff.hba.is_none());
}

#[test]
fn a_new_rule_plans_a_rewrite_with_a_summary_and_a_file_diff() {
    let app = rule(
        ConnType::HostSsl,
        "app",
        "app",
        "10.1.0.0/16",
        "scram-sha-256",
    );
    let (desired, live) = states(vec![own(), app], vec![own()]);
    let diff = run(&desired, &live).unwrap();
    let change = &diff.changes[0];
    assert_eq!(change.address, "hba.pg_hba.conf");
    assert_eq!(change.attributes[0].name, "rule 2");
    assert_eq!(
        change.attributes[0].after.as_deref(),
        Some("hostssl app app 10.1.0.0/16 scram-sha-256")
    );
    let file_diff = change.file_diff.join("\n");
    assert!(
        file_diff.contains("   3 + hostssl app app 10.1.0.0/16 scram-sha-256"),
        "{file_diff}"
    );
    assert!(
        diff.hba
            .unwrap()
            .after
            .ends_with("hostssl app app 10.1.0.0/16 scram-sha-256\n")
    );
}

#[test]
fn a_lockout_is_refused() {
    let (desired, live) = states(
        vec![rule(ConnType::Host, "all", "all", "all", "reject")],
        vec![own()],
    );
    let err = run(&desired, &live).unwrap_err();
    assert!(err.message.contains("lock out"), "{}", err.message);
}

#[test]
fn an_unreadable_file_is_left_alone_with_a_warning() {
    let (desired, mut live) = states(vec![own()], vec![]);
    if let Some(hba) = live.hba.as_mut() {
        hba.readable = false;
    }
    let diff = run(&desired, &live).unwrap();
    assert!(diff.changes.is_empty());
    assert!(
        diff.warnings.iter().any(|w| w.contains("unmanaged")),
        "{:?}",
        diff.warnings
    );
}
