use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{SET_BY_PLAN, quoted_name, redact_userlist_line};
use crate::diff::{DiffInput, DiffOptions, diff};
use crate::model::{
    AuthEntry, ManagePolicy, Password, PgBouncer, PgBouncerAuth, PgBouncerFiles, Role, Secret,
    ServerFacts, ServerState,
};

fn facts() -> ServerFacts {
    ServerFacts {
        version_num: 170000,
        session_user: "postgres".into(),
        bootstrap_superuser: "postgres".into(),
        can_read_passwords: true,
        is_superuser: true,
        current_database: "postgres".into(),
        ..Default::default()
    }
}

fn bouncer() -> PgBouncer {
    PgBouncer {
        name: "main".into(),
        config_dir: PathBuf::from("/etc/pgbouncer"),
        admin_url: None,
        auth: PgBouncerAuth::File,
        users: vec!["app".into()],
        settings: BTreeMap::from([("auth_type".into(), "scram-sha-256".into())]),
        databases: BTreeMap::new(),
        tls: None,
    }
}

fn login(password: Password) -> Role {
    let mut role = Role::new("app");
    role.attributes.login = true;
    role.password = password;
    role
}

fn run(desired: &ServerState, live: &ServerState) -> crate::diff::Diff {
    diff(DiffInput {
        desired,
        live,
        facts: &facts(),
        manage: &ManagePolicy::default(),
        options: DiffOptions::default(),
    })
    .unwrap()
}

/// A real verifier of `password`, as the server would store it.
fn stored(password: &str) -> Secret {
    Secret::new(crate::password::make_verifier(&Secret::new(password)))
}

#[test]
fn unchanged_password_uses_the_stored_verifier_and_converges() {
    let verifier = stored("pw");
    let mut desired = ServerState::default();
    desired
        .roles
        .insert("app".into(), login(Password::Clear(Secret::new("pw"))));
    desired.pgbouncers.insert("main".into(), bouncer());
    let mut live = ServerState::default();
    live.roles
        .insert("app".into(), login(Password::Stored(verifier.clone())));
    let first = run(&desired, &live);
    assert_eq!(first.changes.len(), 1, "{:?}", first.changes);
    let write = &first.pgbouncer[0];
    assert_eq!(
        write.users,
        [("app".to_owned(), AuthEntry::Stored(verifier.clone()))]
    );
    let shown = first.changes[0].file_diff.join("\n");
    assert!(shown.contains("\"app\" \"(sensitive)\""), "{shown}");
    assert!(!shown.contains(verifier.expose()), "{shown}");
    assert!(first.notes.iter().any(|n| n.contains("no admin_url")));

    let userlist = crate::pgbouncer::render_userlist(&[("app".into(), verifier)]).unwrap();
    live.pgbouncer_files.insert(
        "main".into(),
        PgBouncerFiles {
            ini: Some(write.ini.clone()),
            userlist: Some(Secret::new(userlist)),
            ..PgBouncerFiles::default()
        },
    );
    assert!(run(&desired, &live).changes.is_empty());
}

#[test]
fn a_password_the_plan_changes_is_taken_from_the_plan() {
    let mut desired = ServerState::default();
    desired
        .roles
        .insert("app".into(), login(Password::Clear(Secret::new("new"))));
    desired.pgbouncers.insert("main".into(), bouncer());
    let mut live = ServerState::default();
    live.roles
        .insert("app".into(), login(Password::Stored(stored("old"))));
    let out = run(&desired, &live);
    assert_eq!(
        out.pgbouncer[0].users,
        [("app".to_owned(), AuthEntry::SetByPlan)]
    );
    let shown = out
        .changes
        .iter()
        .flat_map(|c| &c.file_diff)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!shown.contains(SET_BY_PLAN), "{shown}");
}

#[test]
fn a_role_without_a_verifier_is_refused() {
    let mut desired = ServerState::default();
    desired.roles.insert("app".into(), login(Password::None));
    desired.pgbouncers.insert("main".into(), bouncer());
    let err = crate::diff::diff(DiffInput {
        desired: &desired,
        live: &ServerState::default(),
        facts: &facts(),
        manage: &ManagePolicy::default(),
        options: DiffOptions::default(),
    })
    .unwrap_err();
    assert!(err.message.contains("role \"app\""), "{}", err.message);
}

#[test]
fn auth_file_lines_show_the_role_only() {
    assert_eq!(
        redact_userlist_line("\"a\"\"b\" \"SCRAM-SHA-256$x\""),
        "\"a\"\"b\" \"(sensitive)\""
    );
    assert_eq!(redact_userlist_line("app clear"), "(sensitive)");
    assert_eq!(redact_userlist_line("; comment"), "; comment");
    assert_eq!(quoted_name("\"unterminated"), None);
}
