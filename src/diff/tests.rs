use std::collections::BTreeMap;

use super::*;
use crate::model::{Membership, Password, Role, Secret, ServerFacts};
use crate::plan::{Action, Phase, Plan, Target};

fn facts(version_num: u32) -> ServerFacts {
    ServerFacts {
        version_num,
        session_user: "postgres".into(),
        bootstrap_superuser: "postgres".into(),
        can_read_passwords: true,
        databases: vec!["postgres".into(), "app".into()],
        role_dependencies: BTreeMap::new(),
        is_superuser: true,
        current_database: "postgres".into(),
        in_recovery: false,
        session_roles: vec!["postgres".into()],
    }
}

fn state(roles: impl IntoIterator<Item = Role>) -> ServerState {
    ServerState {
        roles: roles.into_iter().map(|r| (r.name.clone(), r)).collect(),
        ..Default::default()
    }
}

fn run(desired: &ServerState, live: &ServerState, manage: &ManagePolicy, version: u32) -> Diff {
    diff(DiffInput {
        desired,
        live,
        facts: &facts(version),
        manage,
        options: DiffOptions::default(),
    })
    .unwrap()
}

fn sql(d: &Diff) -> Vec<String> {
    let plan = Plan::new(d.clone(), String::new());
    plan.statements().iter().map(|s| s.redacted()).collect()
}

/// A desired role and the live role the server would hold after applying it.
fn app_user() -> (Role, Role) {
    let mut desired = Role::new("app_user");
    desired.attributes.login = true;
    desired.attributes.connection_limit = 50;
    desired.attributes.valid_until = Some("2027-12-31T00:00:00Z".into());
    desired.password = Password::Clear(Secret::new("s3cret"));
    desired
        .member_of
        .insert("app_rw".into(), Membership::default());
    desired
        .settings
        .insert("statement_timeout".into(), "30s".into());
    desired.database_settings.insert(
        "app".into(),
        BTreeMap::from([("work_mem".into(), "64MB".into())]),
    );
    desired.comment = Some("application login".into());
    let mut live = desired.clone();
    live.password = Password::Stored(Secret::new(crate::password::make_verifier(&Secret::new(
        "s3cret",
    ))));
    (desired, live)
}

fn postgres_role() -> Role {
    let mut r = Role::new("postgres");
    r.attributes.superuser = true;
    r.attributes.login = true;
    r
}

#[test]
fn identical_states_give_no_changes() {
    let (desired, live) = app_user();
    let d = run(
        &state([desired, Role::new("app_rw")]),
        &state([live, Role::new("app_rw"), postgres_role()]),
        &ManagePolicy::default(),
        150000,
    );
    assert!(d.changes.is_empty(), "{:#?}", d.changes);
    assert!(d.unmanaged_roles.is_empty());
}

#[test]
fn creating_runs_groups_before_memberships() {
    let (desired, _) = app_user();
    let d = run(
        &state([desired, Role::new("app_rw")]),
        &state([postgres_role()]),
        &ManagePolicy::default(),
        150000,
    );
    assert_eq!(d.changes.len(), 2);
    assert!(d.changes.iter().all(|c| c.action == Action::Create));
    let statements = sql(&d);
    assert_eq!(
        statements,
        vec![
            "CREATE ROLE app_rw WITH NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT NOLOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT -1",
            "CREATE ROLE app_user WITH NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 50 VALID UNTIL '2027-12-31T00:00:00Z' PASSWORD '(sensitive)'",
            "ALTER ROLE app_user SET statement_timeout = '30s'",
            "ALTER ROLE app_user IN DATABASE app SET work_mem = '64MB'",
            "COMMENT ON ROLE app_user IS 'application login'",
            "GRANT app_rw TO app_user",
        ]
    );
    let user = d
        .changes
        .iter()
        .find(|c| c.address == "role.app_user")
        .unwrap();
    assert!(user.sensitive);
    assert!(!format!("{user:?}").contains("s3cret"));
}

#[test]
fn attribute_drift_alters_only_what_changed() {
    let (desired, mut live) = app_user();
    live.attributes.connection_limit = 5;
    live.attributes.createdb = true;
    let d = run(
        &state([desired, Role::new("app_rw")]),
        &state([live, Role::new("app_rw")]),
        &ManagePolicy::default(),
        150000,
    );
    assert_eq!(
        sql(&d),
        vec!["ALTER ROLE app_user WITH NOCREATEDB CONNECTION LIMIT 50"]
    );
    let change = &d.changes[0];
    assert_eq!(change.action, Action::Update);
    let names: Vec<&str> = change.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["createdb", "connection_limit"]);
    assert_eq!(change.attributes[1].before.as_deref(), Some("5"));
    assert_eq!(change.attributes[1].after.as_deref(), Some("50"));
}

#[test]
fn password_changed_behind_our_back_is_reset_and_md5_is_upgraded() {
    let (desired, mut live) = app_user();
    live.password = Password::Stored(Secret::new(crate::password::make_verifier(&Secret::new(
        "other",
    ))));
    let d = run(
        &state([desired.clone(), Role::new("app_rw")]),
        &state([live.clone(), Role::new("app_rw")]),
        &ManagePolicy::default(),
        150000,
    );
    assert_eq!(
        sql(&d),
        vec!["ALTER ROLE app_user WITH PASSWORD '(sensitive)'"]
    );
    assert!(d.changes[0].sensitive);
    assert!(d.changes[0].attributes[0].sensitive);

    live.password = Password::Stored(Secret::new("md5c4f6a2b3d7e8f9a0b1c2d3e4f5a6b7c8"));
    let d = run(
        &state([desired, Role::new("app_rw")]),
        &state([live, Role::new("app_rw")]),
        &ManagePolicy::default(),
        150000,
    );
    assert_eq!(d.changes.len(), 1);
    assert!(d.changes[0].reasons[0].contains("not a SCRAM-SHA-256"));
}

#[test]
fn kept_passwords_are_never_set_nor_removed() {
    let (mut desired, mut live) = app_user();
    desired.password = Password::Unmanaged;
    for stored in [
        Password::Stored(Secret::new("SCRAM-SHA-256$4096:c2FsdA==$eA==:eQ==")),
        Password::None,
        Password::Unreadable,
    ] {
        live.password = stored;
        let d = run(
            &state([desired.clone(), Role::new("app_rw")]),
            &state([live.clone(), Role::new("app_rw")]),
            &ManagePolicy::default(),
            150000,
        );
        assert!(d.changes.is_empty(), "{:?}", d.changes);
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    }
    let created = run(
        &state([desired, Role::new("app_rw")]),
        &state([Role::new("app_rw")]),
        &ManagePolicy::default(),
        150000,
    );
    assert!(created.changes.iter().all(|c| !c.sensitive));
    let statements = sql(&created);
    let create = statements
        .iter()
        .find(|s| s.starts_with("CREATE ROLE app_user"))
        .unwrap_or_else(|| panic!("{statements:?}"));
    assert!(!create.contains("PASSWORD"), "{create}");
}

#[test]
fn unreadable_passwords_warn_unless_rotating() {
    let (desired, mut live) = app_user();
    live.password = Password::Unreadable;
    let desired = state([desired, Role::new("app_rw")]);
    let live = state([live, Role::new("app_rw")]);
    let d = run(&desired, &live, &ManagePolicy::default(), 150000);
    assert!(d.changes.is_empty());
    assert_eq!(d.warnings.len(), 1);
    let rotated = diff(DiffInput {
        desired: &desired,
        live: &live,
        facts: &facts(150000),
        manage: &ManagePolicy::default(),
        options: DiffOptions {
            rotate_passwords: true,
        },
    })
    .unwrap();
    assert_eq!(
        sql(&rotated),
        vec!["ALTER ROLE app_user WITH PASSWORD '(sensitive)'"]
    );
}

#[test]
fn memberships_settings_and_comments_converge() {
    let (desired, mut live) = app_user();
    live.member_of.clear();
    live.member_of.insert(
        "pg_read_all_data".into(),
        Membership {
            admin: true,
            ..Default::default()
        },
    );
    live.settings.insert("statement_timeout".into(), "0".into());
    live.settings.insert("search_path".into(), "app".into());
    live.database_settings.clear();
    live.comment = None;
    let d = run(
        &state([desired, Role::new("app_rw")]),
        &state([live, Role::new("app_rw")]),
        &ManagePolicy::default(),
        150000,
    );
    assert_eq!(
        sql(&d),
        vec![
            "ALTER ROLE app_user SET statement_timeout = '30s'",
            "ALTER ROLE app_user RESET search_path",
            "ALTER ROLE app_user IN DATABASE app SET work_mem = '64MB'",
            "COMMENT ON ROLE app_user IS 'application login'",
            "GRANT app_rw TO app_user",
            "REVOKE pg_read_all_data FROM app_user CASCADE",
        ]
    );
}

#[test]
fn admin_option_changes_without_dropping_the_membership() {
    let (desired, mut live) = app_user();
    live.member_of.insert(
        "app_rw".into(),
        Membership {
            admin: true,
            ..Default::default()
        },
    );
    let d = run(
        &state([desired.clone(), Role::new("app_rw")]),
        &state([live, Role::new("app_rw")]),
        &ManagePolicy::default(),
        150000,
    );
    assert_eq!(
        sql(&d),
        vec!["REVOKE ADMIN OPTION FOR app_rw FROM app_user"]
    );

    let mut wants_admin = desired;
    wants_admin.member_of.insert(
        "app_rw".into(),
        Membership {
            admin: true,
            ..Default::default()
        },
    );
    let (_, live) = app_user();
    let d = run(
        &state([wants_admin, Role::new("app_rw")]),
        &state([live, Role::new("app_rw")]),
        &ManagePolicy::default(),
        150000,
    );
    assert_eq!(sql(&d), vec!["GRANT app_rw TO app_user WITH ADMIN OPTION"]);
}

#[test]
fn postgres_16_membership_options_default_like_the_server() {
    let (mut desired, mut live) = app_user();
    live.member_of.insert(
        "app_rw".into(),
        Membership {
            admin: false,
            inherit: Some(true),
            set: Some(true),
        },
    );
    let roles = |r: Role| state([r, Role::new("app_rw")]);
    let d = run(
        &roles(desired.clone()),
        &roles(live.clone()),
        &ManagePolicy::default(),
        160000,
    );
    assert!(d.changes.is_empty(), "{:#?}", d.changes);

    desired.member_of.insert(
        "app_rw".into(),
        Membership {
            admin: false,
            inherit: Some(false),
            set: None,
        },
    );
    let d = run(
        &roles(desired),
        &roles(live.clone()),
        &ManagePolicy::default(),
        160000,
    );
    assert_eq!(
        sql(&d),
        vec!["GRANT app_rw TO app_user WITH ADMIN FALSE, INHERIT FALSE, SET TRUE"]
    );
}

#[test]
fn postgres_16_implicit_createrole_admin_grants_are_kept_unless_declared_otherwise() {
    let (desired, mut live) = app_user();
    let admin_only = Membership {
        admin: true,
        inherit: Some(false),
        set: Some(false),
    };
    live.member_of.insert("svc".into(), admin_only.clone());
    live.implicit_admin_of.insert("svc".into());
    let roles = |r: Role| state([r, Role::new("app_rw"), Role::new("svc")]);
    let d = run(
        &roles(desired.clone()),
        &roles(live.clone()),
        &ManagePolicy::default(),
        160000,
    );
    assert!(d.changes.is_empty(), "{:#?}", d.changes);

    // Declared, it is compared like any other membership.
    let mut declared = desired;
    declared.member_of.insert(
        "svc".into(),
        Membership {
            admin: false,
            ..admin_only
        },
    );
    let d = run(
        &roles(declared),
        &roles(live),
        &ManagePolicy::default(),
        160000,
    );
    assert_eq!(sql(&d), vec!["REVOKE ADMIN OPTION FOR svc FROM app_user"]);
}

#[test]
fn undeclared_roles_are_listed_or_pruned_but_reserved_ones_never() {
    let (desired, live) = app_user();
    let live_state = state([
        live,
        Role::new("app_rw"),
        Role::new("legacy"),
        Role::new("pg_monitor"),
        postgres_role(),
        Role::new("keep_me"),
    ]);
    let desired_state = state([desired, Role::new("app_rw")]);
    let mut manage = ManagePolicy {
        ignore_roles: vec!["keep_*".into()],
        ..Default::default()
    };
    let d = run(&desired_state, &live_state, &manage, 150000);
    assert!(d.changes.is_empty());
    assert_eq!(d.unmanaged_roles, ["legacy"]);

    manage.prune_roles = true;
    manage.reassign_owned_to = Some("app_rw".into());
    let mut f = facts(150000);
    f.role_dependencies
        .insert("legacy".into(), vec!["app".into(), "postgres".into()]);
    let d = diff(DiffInput {
        desired: &desired_state,
        live: &live_state,
        facts: &f,
        manage: &manage,
        options: DiffOptions::default(),
    })
    .unwrap();
    assert_eq!(d.changes.len(), 1);
    assert_eq!(d.changes[0].action, Action::Delete);
    assert!(d.changes[0].destructive);
    let plan = Plan::new(d, String::new());
    let steps: Vec<(Phase, Target, String)> = plan
        .statements()
        .iter()
        .map(|s| (s.phase, s.target.clone(), s.redacted()))
        .collect();
    assert_eq!(steps.len(), 6);
    assert_eq!(steps[0].0, Phase::TerminateSessions);
    assert_eq!(
        steps[1],
        (
            Phase::ReleaseOwnership,
            Target::Database("app".into()),
            "REASSIGN OWNED BY legacy TO app_rw".into()
        )
    );
    assert_eq!(
        steps[5],
        (Phase::DropRoles, Target::Cluster, "DROP ROLE legacy".into())
    );
}

#[test]
fn the_bootstrap_superuser_keeps_superuser() {
    let mut postgres = Role::new("postgres");
    postgres.attributes.login = true;
    let err = diff(DiffInput {
        desired: &state([postgres]),
        live: &state([postgres_role()]),
        facts: &facts(150000),
        manage: &ManagePolicy::default(),
        options: DiffOptions::default(),
    })
    .unwrap_err();
    assert!(err.message.contains("bootstrap superuser"));
}

#[test]
fn infinity_and_no_expiry_are_the_same() {
    let mut desired = Role::new("r");
    desired.attributes.valid_until = Some("infinity".into());
    let live = Role::new("r");
    let d = run(
        &state([desired]),
        &state([live]),
        &ManagePolicy::default(),
        150000,
    );
    assert!(d.changes.is_empty());
}

#[test]
fn an_undeclared_database_comment_is_kept_and_an_empty_one_removes_it() {
    use crate::model::Database;
    let with_comment = |comment: Option<&str>| {
        let mut state = state([postgres_role()]);
        let mut database = Database::new("postgres");
        database.comment = comment.map(str::to_owned);
        state.databases.insert("postgres".into(), database);
        state
    };
    let live = with_comment(Some("default administrative connection database"));
    let manage = ManagePolicy::default();
    // Not declared: the stock comment stays.
    let d = run(&with_comment(None), &live, &manage, 150000);
    assert!(d.changes.is_empty(), "{:?}", d.changes);
    // Declared empty: removed, once.
    let d = run(&with_comment(Some("")), &live, &manage, 150000);
    assert_eq!(sql(&d), ["COMMENT ON DATABASE postgres IS NULL"]);
    let d = run(
        &with_comment(Some("")),
        &with_comment(None),
        &manage,
        150000,
    );
    assert!(d.changes.is_empty(), "{:?}", d.changes);
}
