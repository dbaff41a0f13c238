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
    write(&path, &saved, None).unwrap();

    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(HEADER), "{text}");
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(text.contains("SCRAM-SHA-256$4096:"), "{text}");
    assert!(is_saved_plan(&path));
    assert!(!is_saved_plan(dir.path()), "a directory is not a plan");

    let back = read(&path, None).unwrap();
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
    assert!(matches!(
        read(&path, None),
        Err(SavedPlanError::NotAPlan { .. })
    ));

    let text = format!("{HEADER}\n{{\"format_version\": 99}}\n");
    assert!(matches!(
        parse(&text, &path, None),
        Err(SavedPlanError::Version { found: 99, .. })
    ));
    let text = format!("{HEADER}\n{{\"format_version\": 3, \"changes\": 3}}\n");
    assert!(matches!(
        parse(&text, &path, None),
        Err(SavedPlanError::Malformed { .. })
    ));
    let mut older = saved();
    older.pgfort_version = "0.0.1".into();
    let text = file_text(&older, None);
    let err = parse(&text, &path, None).unwrap_err();
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

/// The file `write` makes of `plan`.
fn file_text(plan: &SavedPlan, key: Option<&PlanKey>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.pgfort");
    write(&path, plan, key).unwrap();
    std::fs::read_to_string(&path).unwrap()
}

#[test]
fn any_byte_changed_in_a_statement_is_refused() {
    let path = std::path::PathBuf::from("plan.pgfort");
    let text = file_text(&saved(), None);
    assert!(parse(&text, &path, None).is_ok());
    let statement = "CREATE ROLE app LOGIN PASSWORD ";
    let start = text.find(statement).expect("the statement is in the file");
    for at in start..start + statement.len() {
        for replacement in [b'X', b' ', b'7'] {
            let mut bytes = text.clone().into_bytes();
            if bytes[at] == replacement {
                continue;
            }
            bytes[at] = replacement;
            let edited = String::from_utf8(bytes).unwrap();
            let err = parse(&edited, &path, None).unwrap_err();
            assert!(
                matches!(err, SavedPlanError::Edited { .. }),
                "byte {at} -> {replacement}: {err}"
            );
        }
    }
    // Everything else apply uses is covered too: the phase, the verifier,
    // the target, the live fingerprint.
    for (from, to) in [
        ("\"create_roles\"", "\"alter_roles\""),
        ("SCRAM-SHA-256$4096:", "SCRAM-SHA-256$4097:"),
        ("\"port\": 5432", "\"port\": 5433"),
        ("\"pgfort_version\"", "\"pgfort_version\" : "),
    ] {
        assert!(text.contains(from), "{from} in {text}");
        let edited = text.replacen(from, to, 1);
        let err = parse(&edited, &path, None).unwrap_err();
        assert!(
            matches!(
                err,
                SavedPlanError::Edited { .. } | SavedPlanError::Malformed { .. }
            ),
            "{from}: {err}"
        );
    }
    let err = parse(
        &text.replacen("\"digest\": \"sha256:", "\"digest\": \"sha256:0", 1),
        &path,
        None,
    )
    .unwrap_err();
    assert!(matches!(err, SavedPlanError::Edited { .. }), "{err}");
    assert!(err.to_string().contains("nothing was applied"), "{err}");
}

#[test]
fn a_keyed_digest_needs_the_key_and_cannot_be_replaced_by_a_plain_one() {
    let path = std::path::PathBuf::from("plan.pgfort");
    let key = PlanKey::new(b"ci secret");
    let plan = saved();
    let keyed = file_text(&plan, Some(&key));
    assert!(keyed.contains("\"digest\": \"hmac-sha256:"), "{keyed}");
    assert_eq!(parse(&keyed, &path, Some(&key)).unwrap(), plan);
    assert!(matches!(
        parse(&keyed, &path, None),
        Err(SavedPlanError::KeyRequired { .. })
    ));
    assert!(matches!(
        parse(&keyed, &path, Some(&PlanKey::new(b"other"))),
        Err(SavedPlanError::Edited { .. })
    ));
    // Someone who edits a plan can recompute a plain digest: accepted
    // without a key (which is why the key exists), refused with one.
    let mut forged = saved();
    forged.changes[0].statements[0].fragments[0] =
        crate::plan::SealedFragment::Sql("ALTER ROLE app SUPERUSER".into());
    let forged = file_text(&forged, None);
    assert!(parse(&forged, &path, None).is_ok());
    assert!(matches!(
        parse(&forged, &path, Some(&key)),
        Err(SavedPlanError::KeyExpected { .. })
    ));
    assert!(!format!("{key:?}").contains("ci secret"));
    let env = |name: &str| (name == PLAN_KEY_ENV).then(|| "ci secret".to_owned());
    let from_env = PlanKey::from_env(&env).unwrap();
    assert!(parse(&keyed, &path, Some(&from_env)).is_ok());
    assert!(PlanKey::from_env(&|_| Some(String::new())).is_none());
}

#[test]
fn a_plan_without_a_digest_is_refused() {
    let path = std::path::PathBuf::from("plan.pgfort");
    let text = format!("{HEADER}\n{}\n", serde_json::to_string(&saved()).unwrap());
    let err = parse(&text, &path, None).unwrap_err();
    assert!(matches!(err, SavedPlanError::Malformed { .. }), "{err}");
    let older = text.replacen("\"format_version\":3", "\"format_version\":2", 1);
    assert!(matches!(
        parse(&older, &path, None),
        Err(SavedPlanError::Version { found: 2, .. })
    ));
}

#[test]
fn an_applied_plan_is_recorded_and_a_new_plan_at_its_path_clears_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.pgfort");
    let plan = saved();
    write(&path, &plan, None).unwrap();
    assert!(check_not_applied(&path, &plan).is_ok());
    record_applied(&path, &plan, "postgres@db:5432/postgres").unwrap();
    let err = check_not_applied(&path, &plan).unwrap_err();
    let SavedPlanError::Applied { record, .. } = &err else {
        panic!("{err}");
    };
    assert!(record.starts_with("applied 20"), "{record}");
    assert!(
        record.ends_with(" UTC to postgres@db:5432/postgres"),
        "{record}"
    );
    // Another plan (another state) at the same path is not the one applied.
    let mut other = saved();
    other.live.fingerprint = "0".repeat(64);
    assert!(check_not_applied(&path, &other).is_ok());
    // Writing a plan there clears the record.
    write(&path, &plan, None).unwrap();
    assert!(check_not_applied(&path, &plan).is_ok());
}
