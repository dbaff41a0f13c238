use std::collections::BTreeMap;

use super::*;
use crate::diff::{DiffInput, DiffOptions, diff};
use crate::model::{ManagePolicy, Membership, Password, Role, Secret, ServerFacts, ServerState};
use crate::plan::{Action, AttributeChange, Change, Plan};

pub(super) fn sample_plan() -> Plan {
    let facts = ServerFacts {
        version_num: 150000,
        session_user: "postgres".into(),
        bootstrap_superuser: "postgres".into(),
        can_read_passwords: true,
        databases: vec!["postgres".into()],
        role_dependencies: BTreeMap::new(),
        is_superuser: true,
        current_database: "postgres".into(),
        in_recovery: false,
        session_roles: vec!["postgres".into()],
    };
    let mut new_user = Role::new("app_user");
    new_user.attributes.login = true;
    new_user.password = Password::Clear(Secret::new("do-not-print-me"));
    new_user
        .member_of
        .insert("app_rw".into(), Membership::default());
    new_user
        .settings
        .insert("statement_timeout".into(), "30s".into());

    let mut drifted = Role::new("reporting");
    drifted.attributes.login = true;
    drifted.attributes.connection_limit = 10;
    drifted.password = Password::Clear(Secret::new("also-secret"));
    let mut drifted_live = drifted.clone();
    drifted_live.attributes.connection_limit = 99;
    drifted_live.password = Password::Stored(Secret::new("SCRAM-SHA-256$4096:c2FsdA==$eA==:eQ=="));
    drifted_live
        .settings
        .insert("work_mem".into(), "1GB".into());

    let mut pruned = Role::new("legacy");
    pruned.attributes.login = true;

    let desired = ServerState {
        roles: [new_user, drifted, Role::new("app_rw")]
            .into_iter()
            .map(|r| (r.name.clone(), r))
            .collect(),
        ..Default::default()
    };
    let live = ServerState {
        roles: [drifted_live, pruned, Role::new("app_rw")]
            .into_iter()
            .map(|r| (r.name.clone(), r))
            .collect(),
        ..Default::default()
    };
    let manage = ManagePolicy {
        prune_roles: true,
        reassign_owned_to: Some("app_rw".into()),
        ..Default::default()
    };
    let d = diff(DiffInput {
        desired: &desired,
        live: &live,
        facts: &facts,
        manage: &manage,
        options: DiffOptions::default(),
    })
    .unwrap();
    Plan::new(d, "0123abcd".into())
}

#[test]
fn plan_text() {
    let plan = sample_plan();
    let text = render_text(
        &PlanDoc::new(&plan),
        TextOptions {
            color: false,
            show_sql: false,
            verbose: false,
        },
    );
    assert!(!text.contains("do-not-print-me") && !text.contains("also-secret"));
    insta::assert_snapshot!(text);
}

#[test]
fn plan_text_with_sql() {
    let plan = sample_plan();
    let text = render_text(
        &PlanDoc::new(&plan),
        TextOptions {
            color: false,
            show_sql: true,
            verbose: false,
        },
    );
    assert!(!text.contains("do-not-print-me"));
    insta::assert_snapshot!(text);
}

#[test]
fn plan_json() {
    let plan = sample_plan();
    let json = render_json(&plan);
    assert!(!json.contains("do-not-print-me") && !json.contains("also-secret"));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["format_version"], FORMAT_VERSION);
    assert_eq!(value["summary"]["add"], 1);
    assert_eq!(value["summary"]["change"], 1);
    assert_eq!(value["summary"]["destroy"], 1);
    insta::assert_snapshot!(json.replace(env!("CARGO_PKG_VERSION"), "[version]"));
}

#[test]
fn empty_plan_says_so() {
    let plan = Plan::new(Default::default(), String::new());
    let text = render_text(&PlanDoc::new(&plan), TextOptions::default());
    assert_eq!(text, "No changes. The server matches the configuration.\n");
}

#[test]
fn notes_are_listed_after_warnings() {
    let mut plan = Plan::new(Default::default(), String::new());
    plan.warnings.push("a warning".into());
    plan.notes.push("a note".into());
    let text = render_text(&PlanDoc::new(&plan), TextOptions::default());
    assert_eq!(
        text,
        "Warning: a warning\n\nNote: a note\n\nNo changes. The server matches the configuration.\n"
    );
    let json: serde_json::Value = serde_json::from_str(&render_json(&plan)).unwrap();
    assert_eq!(json["notes"][0], "a note");
}

#[test]
fn long_lists_of_unmanaged_roles_are_capped_unless_verbose() {
    let mut plan = Plan::new(Default::default(), String::new());
    plan.unmanaged_roles = (1..=5000).map(|i| format!("u{i:05}")).collect();
    let text = render_text(&PlanDoc::new(&plan), TextOptions::default());
    assert!(text.starts_with(
        "Unmanaged roles (not declared, left alone): u00001, u00002, u00003, u00004, u00005, \
         u00006, u00007, u00008, u00009, u00010 … and 4,990 more\n"
    ));
    let verbose = render_text(
        &PlanDoc::new(&plan),
        TextOptions {
            verbose: true,
            ..Default::default()
        },
    );
    assert!(verbose.contains("u04999, u05000\n"));
    let json: serde_json::Value = serde_json::from_str(&render_json(&plan)).unwrap();
    assert_eq!(json["unmanaged_roles"].as_array().map(Vec::len), Some(5000));
}

/// 500 roles whose connection limit goes from 5 to 7, one changed
/// otherwise in their midst, and 3 alike settings (too few to group).
fn alike_plan() -> Plan {
    let mut plan = Plan::new(Default::default(), String::new());
    for i in 1..=500 {
        let mut change = Change::new(format!("role.u{i:03}"), Action::Update);
        let limit = if i == 250 { "9" } else { "7" };
        change.attributes.push(AttributeChange::new(
            "connection_limit",
            Some("5".into()),
            Some(limit.into()),
        ));
        plan.changes.push(change);
    }
    for name in ["a", "b", "c"] {
        let mut change = Change::new(format!("setting.{name}"), Action::Update);
        change.attributes.push(AttributeChange::new(
            "value",
            Some("1".into()),
            Some("2".into()),
        ));
        plan.changes.push(change);
    }
    plan
}

#[test]
fn alike_changes_are_drawn_once() {
    let text = render_text(&PlanDoc::new(&alike_plan()), TextOptions::default());
    insta::assert_snapshot!("plan_text_alike", text);
    assert_eq!(text.matches("connection_limit = 5 -> 7").count(), 2);
    assert!(text.lines().count() < 60, "{text}");
    let verbose = render_text(
        &PlanDoc::new(&alike_plan()),
        TextOptions {
            verbose: true,
            ..Default::default()
        },
    );
    assert!(verbose.contains("u247, u248, u249\n"), "{verbose}");
    assert!(!verbose.contains("-v lists them"));
}

#[test]
fn plan_json_conforms_to_its_published_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../schema/plan.schema.json"))
            .expect("schema is JSON");
    assert_eq!(
        schema["properties"]["format_version"]["const"], FORMAT_VERSION,
        "bump the schema with the format"
    );
    let document: serde_json::Value = serde_json::from_str(&render_json(&sample_plan())).unwrap();
    crate::audit::report::tests::conforms(&schema, &schema, &document, "$").unwrap();
    // An empty plan too, and a schema that would reject a stray field.
    let empty = Plan::new(Default::default(), String::new());
    let document: serde_json::Value = serde_json::from_str(&render_json(&empty)).unwrap();
    crate::audit::report::tests::conforms(&schema, &schema, &document, "$").unwrap();
    let mut stray = document.clone();
    stray["unexpected"] = serde_json::Value::Bool(true);
    assert!(crate::audit::report::tests::conforms(&schema, &schema, &stray, "$").is_err());
    // With its origin, as `plan --json` and `show --json` print it.
    let plan = sample_plan();
    let doc = PlanDoc::new(&plan).with_origin(PlanOrigin {
        target: crate::plan::saved::SavedTarget {
            host: "/run/postgresql".into(),
            port: 5432,
            user: "postgres".into(),
            dbname: "postgres".into(),
            sslmode: "prefer".into(),
            sslrootcert: None,
            sslcert: None,
            sslkey: None,
        },
        configuration: crate::plan::saved::SavedConfiguration {
            directory: ".".into(),
            digest: "ab".repeat(32),
        },
    });
    let document: serde_json::Value = serde_json::from_str(&render_doc_json(&doc)).unwrap();
    assert_eq!(document["origin"]["target"]["user"], "postgres");
    crate::audit::report::tests::conforms(&schema, &schema, &document, "$").unwrap();
}
