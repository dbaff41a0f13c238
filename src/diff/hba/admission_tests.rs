use std::collections::BTreeMap;

use super::*;
use crate::diff::hba::simulate::tests::rule;
use crate::diff::{DiffOptions, diff};
use crate::model::{
    ConnType, Database, Hba, HbaSession, ManagePolicy, Membership, ServerFacts, ServerState,
};

const NOW: i64 = 1_800_000_000; // 2027-01-15

fn role(name: &str, groups: &[&str]) -> Role {
    let mut role = Role::new(name);
    role.attributes.login = name == "pgfort";
    role.member_of = groups
        .iter()
        .map(|g| ((*g).to_owned(), Membership::default()))
        .collect();
    role
}

fn roles(list: &[Role]) -> BTreeMap<String, Role> {
    list.iter().map(|r| (r.name.clone(), r.clone())).collect()
}

fn live(rules: Vec<HbaRule>) -> ServerState {
    ServerState {
        roles: roles(&[
            role("pgfort", &["admins"]),
            role("admins", &[]),
            role("mid", &["admins"]),
        ]),
        hba: Some(Hba {
            rules,
            readable: true,
            session: Some(HbaSession {
                probe: HbaProbe {
                    user: "pgfort".into(),
                    database: "postgres".into(),
                    address: Some("127.0.0.1".parse().unwrap()),
                    ssl: false,
                },
                server_address: None,
                member_of: vec!["admins".into(), "pgfort".into()],
                auth_method: Some("scram-sha-256".into()),
                tls_allowed: false,
            }),
            ..Hba::default()
        }),
        ..ServerState::default()
    }
}

fn facts() -> ServerFacts {
    ServerFacts {
        session_user: "pgfort".into(),
        current_database: "postgres".into(),
        databases: vec!["postgres".into(), "app".into()],
        ..ServerFacts::default()
    }
}

fn run(desired: &ServerState, live: &ServerState) -> Result<Vec<String>, InputProblem> {
    let facts = facts();
    let manage = ManagePolicy::default();
    let input = DiffInput {
        desired,
        live,
        facts: &facts,
        manage: &manage,
        options: DiffOptions::default(),
    };
    let out = diff(input).expect("diff");
    check(&input, &out)
}

fn desired(list: &[Role]) -> ServerState {
    let mut state = ServerState {
        roles: roles(list),
        ..ServerState::default()
    };
    state.tls.now = NOW;
    state
}

fn group_rule() -> Vec<HbaRule> {
    vec![rule(
        ConnType::Host,
        "all",
        "+admins",
        "127.0.0.1/32",
        "scram-sha-256",
    )]
}

#[test]
fn dropping_the_membership_a_group_rule_needs_is_refused() {
    let live = live(group_rule());
    assert_eq!(
        run(&desired(&[role("pgfort", &["admins"])]), &live),
        Ok(vec![])
    );
    let err = run(&desired(&[role("pgfort", &[])]), &live).unwrap_err();
    assert_eq!(err.key, "role.pgfort");
    assert!(err.message.contains("would lock out"), "{}", err.message);
    assert!(
        err.message.contains("no pg_hba rule matches"),
        "{}",
        err.message
    );
}

#[test]
fn memberships_are_followed_through_groups() {
    let live = live(group_rule());
    // pgfort -> mid -> admins (mid unmanaged: its live memberships count).
    assert_eq!(
        run(&desired(&[role("pgfort", &["mid"])]), &live),
        Ok(vec![])
    );
    // mid managed and leaving admins: pgfort is out.
    let err = run(
        &desired(&[role("pgfort", &["mid"]), role("mid", &[])]),
        &live,
    )
    .unwrap_err();
    assert!(
        err.message.contains("no pg_hba rule matches"),
        "{}",
        err.message
    );
}

#[test]
fn an_expired_password_is_refused() {
    let rules = vec![rule(
        ConnType::Host,
        "all",
        "all",
        "127.0.0.1/32",
        "scram-sha-256",
    )];
    let live = live(rules.clone());
    let mut pgfort = role("pgfort", &["admins"]);
    pgfort.attributes.valid_until = Some("2001-01-01T00:00:00Z".into());
    let err = run(&desired(&[pgfort.clone()]), &live).unwrap_err();
    assert_eq!(err.key, "role.pgfort");
    assert!(err.message.contains("will have expired"), "{}", err.message);
    pgfort.attributes.valid_until = Some("2099-01-01T00:00:00Z".into());
    assert_eq!(run(&desired(&[pgfort.clone()]), &live), Ok(vec![]));
    // Expiry does not matter to methods without a password.
    pgfort.attributes.valid_until = Some("2001-01-01T00:00:00Z".into());
    let mut trusted = live.clone();
    let hba = trusted.hba.as_mut().unwrap();
    hba.rules = vec![rule(ConnType::Host, "all", "all", "127.0.0.1/32", "trust")];
    hba.session.as_mut().unwrap().auth_method = Some("trust".into());
    assert_eq!(run(&desired(&[pgfort]), &trusted), Ok(vec![]));
}

#[test]
fn every_database_pgfort_connects_to_must_admit_it() {
    let rules = vec![rule(
        ConnType::Host,
        "postgres",
        "all",
        "127.0.0.1/32",
        "scram-sha-256",
    )];
    let live = live(rules);
    let mut state = desired(&[]);
    assert_eq!(run(&state, &live), Ok(vec![]));
    state.databases.insert("app".into(), Database::default());
    let err = run(&state, &live).unwrap_err();
    assert_eq!(err.key, "database.app");
    assert!(
        err.message.contains("database app") && err.message.contains("no pg_hba rule matches"),
        "{}",
        err.message
    );
}

#[test]
fn valid_until_is_read_as_utc() {
    assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(unix_seconds("2001-09-09T01:46:40Z"), Some(1_000_000_000));
    assert_eq!(unix_seconds("2000-03-01T00:00:01Z"), Some(951_868_801));
    assert_eq!(unix_seconds("soon"), None);
}

#[test]
fn removing_pgfort_s_own_password_is_refused() {
    let mut live = live(vec![rule(
        ConnType::Host,
        "all",
        "all",
        "127.0.0.1/32",
        "scram-sha-256",
    )]);
    live.roles.get_mut("pgfort").unwrap().password =
        Password::Stored(crate::model::Secret::new("SCRAM-SHA-256$4096:x"));
    let err = run(&desired(&[role("pgfort", &["admins"])]), &live).unwrap_err();
    assert!(
        err.message.contains("will have no password"),
        "{}",
        err.message
    );
    let mut kept = role("pgfort", &["admins"]);
    kept.password = Password::Unmanaged;
    assert_eq!(run(&desired(&[kept]), &live), Ok(vec![]));
}
