use std::os::unix::fs::PermissionsExt as _;

use super::file::parse;
use super::*;
use crate::diff::Diff;
use crate::model::{Role, Secret, ServerState};
use crate::plan::{Action, AttributeChange, Phase, Target};

const PASSWORD: &str = "correct horse battery staple";

fn live() -> ServerState {
    let mut state = ServerState::default();
    state.roles.insert("postgres".into(), Role::new("postgres"));
    state
}

fn plan() -> Plan {
    let mut change = Change::new("role.app", Action::Create);
    change.attributes.push(AttributeChange {
        sensitive: true,
        ..AttributeChange::new("password", None, Some("(sensitive)".into()))
    });
    change.sensitive = true;
    change.statements.push(
        Statement::new(
            Phase::CreateRoles,
            Target::Cluster,
            "CREATE ROLE app LOGIN PASSWORD ",
        )
        .push_password(&Secret::new(PASSWORD)),
    );
    let diff = Diff {
        changes: vec![change],
        ..Default::default()
    };
    Plan::from_live(diff, LiveDigests::of(&live()))
}

fn saved() -> SavedPlan {
    SavedPlan::new(
        &plan(),
        SavedTarget {
            host: "127.0.0.1".into(),
            port: 5432,
            user: "postgres".into(),
            dbname: "postgres".into(),
            sslmode: "prefer".into(),
            sslrootcert: None,
            sslcert: None,
            sslkey: None,
        },
        SavedConfiguration {
            directory: ".".into(),
            digest: "abc".into(),
        },
        InspectScope::default(),
    )
}

#[test]
fn round_trips_through_a_0600_file_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.pgfort");
    std::fs::write(&path, "old contents").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let saved = saved();
    write(&path, &saved).unwrap();

    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(HEADER), "{text}");
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(text.contains("SCRAM-SHA-256$4096:"), "{text}");
    assert!(is_saved_plan(&path));
    assert!(!is_saved_plan(dir.path()), "a directory is not a plan");

    let back = read(&path).unwrap();
    assert_eq!(back, saved);
    let plan = back.to_plan();
    let sql = plan.statements()[0].for_execution();
    let verifier = sql
        .strip_prefix("CREATE ROLE app LOGIN PASSWORD '")
        .and_then(|rest| rest.strip_suffix('\''))
        .unwrap();
    assert!(crate::password::matches(verifier, &Secret::new(PASSWORD)));
    assert_eq!(
        plan.statements()[0].redacted(),
        "CREATE ROLE app LOGIN PASSWORD '(sensitive)'"
    );
    assert_eq!(plan.fingerprint, back.live.fingerprint);
}

#[test]
fn other_files_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.hcl");
    std::fs::write(&path, "role \"a\" {}\n").unwrap();
    assert!(!is_saved_plan(&path));
    assert!(matches!(read(&path), Err(SavedPlanError::NotAPlan { .. })));

    let text = format!("{HEADER}\n{{\"format_version\": 99}}\n");
    assert!(matches!(
        parse(&text, &path),
        Err(SavedPlanError::Version { found: 99, .. })
    ));
    let text = format!("{HEADER}\n{{\"format_version\": 1, \"changes\": 3}}\n");
    assert!(matches!(
        parse(&text, &path),
        Err(SavedPlanError::Malformed { .. })
    ));
    let mut older = saved();
    older.pgfort_version = "0.0.1".into();
    let text = format!("{HEADER}\n{}\n", serde_json::to_string(&older).unwrap());
    let err = parse(&text, &path).unwrap_err();
    assert!(err.to_string().contains("made by pgfort 0.0.1"), "{err}");
}

#[test]
fn a_stale_plan_names_what_changed() {
    let saved = saved();
    assert!(saved.check_fresh(&LiveDigests::of(&live())).is_ok());
    let mut now = live();
    now.roles.insert("intruder".into(), Role::new("intruder"));
    now.roles.get_mut("postgres").unwrap().attributes.createdb = true;
    let err = saved.check_fresh(&LiveDigests::of(&now)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the server changed since this plan was made: role.intruder appeared, role.postgres changed"
    );
    assert!(err.hint().unwrap().contains("nothing was applied"));
}

#[test]
fn long_lists_of_changes_are_cut() {
    let saved = saved();
    let mut now = live();
    for i in 0..15 {
        now.roles
            .insert(format!("r{i:02}"), Role::new(format!("r{i:02}")));
    }
    let SavedPlanError::Stale { changes } = saved.check_fresh(&LiveDigests::of(&now)).unwrap_err()
    else {
        panic!("not stale");
    };
    assert_eq!(changes.len(), NAMED_DIFFERENCES + 1);
    assert_eq!(changes.last().unwrap(), "and 5 more");
}

#[test]
fn a_connection_elsewhere_is_refused() {
    let saved = saved();
    let settings =
        crate::connect::ConnectionSettings::resolve(None, &|_| None, &saved.target.as_block())
            .unwrap();
    assert!(saved.target.check(&settings).is_ok());
    let elsewhere = settings.with_dbname("other");
    let err = saved.target.check(&elsewhere).unwrap_err();
    assert_eq!(
        err.to_string(),
        "this plan was made for postgres@127.0.0.1:5432/postgres, but the connection now leads to postgres@127.0.0.1:5432/other"
    );
}
