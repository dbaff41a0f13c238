use std::collections::BTreeSet;

use super::*;
use crate::plan::{Need, Plan};

fn change(address: &str, action: Action, needs: &[Need]) -> Change {
    let mut change = Change::new(address, action);
    change.needs = needs.to_vec();
    change
}

fn targets(raw: &[&str]) -> Targets {
    Targets::parse(&raw.iter().map(|t| t.to_string()).collect::<Vec<_>>()).unwrap()
}

fn addresses(changes: &[Change]) -> Vec<&str> {
    changes.iter().map(|c| c.address.as_str()).collect()
}

/// Roles a and b to create, database app (exists), a grant to a on a
/// new schema of app, and a pruned role.
fn plan_changes() -> Vec<Change> {
    vec![
        change("role.a", Action::Create, &[Need::names("role.group")]),
        change("role.b", Action::Create, &[]),
        change("role.group", Action::Create, &[]),
        change("role.owner", Action::Update, &[]),
        change("role.old", Action::Delete, &[Need::names("role.owner")]),
        change(
            "schema.app.s",
            Action::Create,
            &[Need::inside("database.app"), Need::names("role.owner")],
        ),
        change(
            "grant.a.app.s.tables",
            Action::Create,
            &[
                Need::inside("database.app"),
                Need::inside("schema.app.s"),
                Need::names("role.a"),
                Need::names("role.owner"),
            ],
        ),
        change(
            "grant.b.other",
            Action::Create,
            &[Need::inside("database.other"), Need::names("role.b")],
        ),
        change("setting.work_mem", Action::Update, &[]),
    ]
}

#[test]
fn without_targets_everything_is_selected() {
    let selection = select(plan_changes(), &Targets::default());
    assert_eq!(selection.selected.len(), plan_changes().len());
    assert!(selection.skipped.is_empty() && selection.unmatched.is_empty());
}

#[test]
fn a_role_brings_the_groups_it_joins_and_nothing_that_uses_it() {
    let selection = select(plan_changes(), &targets(&["role.a"]));
    assert_eq!(addresses(&selection.selected), ["role.a", "role.group"]);
    assert!(selection.unmatched.is_empty());
}

#[test]
fn a_grant_brings_its_grantee_and_schema_but_not_updates_of_existing_roles() {
    let selection = select(plan_changes(), &targets(&["grant.a.app.s.tables"]));
    assert_eq!(
        addresses(&selection.selected),
        [
            "role.a",
            "role.group",
            "schema.app.s",
            "grant.a.app.s.tables"
        ]
    );
    assert!(
        !addresses(&selection.selected).contains(&"role.owner"),
        "role.owner exists: its update is not needed"
    );
}

#[test]
fn a_target_selects_what_is_under_it() {
    let selection = select(plan_changes(), &targets(&["grant.a"]));
    assert_eq!(
        addresses(&selection.selected),
        [
            "role.a",
            "role.group",
            "schema.app.s",
            "grant.a.app.s.tables"
        ]
    );
    // A prefix of a name is not a component: grant.a does not select grant.ab….
    let changes = vec![change("grant.ab.app", Action::Create, &[])];
    let selection = select(changes, &targets(&["grant.a"]));
    assert!(selection.selected.is_empty());
    assert_eq!(selection.unmatched, ["grant.a"]);
}

#[test]
fn a_database_or_schema_target_selects_what_is_inside() {
    let selection = select(plan_changes(), &targets(&["database.app"]));
    assert_eq!(
        addresses(&selection.selected),
        [
            "role.a",
            "role.group",
            "schema.app.s",
            "grant.a.app.s.tables"
        ]
    );
    let selection = select(plan_changes(), &targets(&["schema.app.s"]));
    assert_eq!(
        addresses(&selection.selected),
        [
            "role.a",
            "role.group",
            "schema.app.s",
            "grant.a.app.s.tables"
        ]
    );
}

#[test]
fn globs_and_several_targets() {
    let selection = select(plan_changes(), &targets(&["role.?", "setting.*"]));
    assert_eq!(
        addresses(&selection.selected),
        ["role.a", "role.b", "role.group", "setting.work_mem"]
    );
}

#[test]
fn a_deleted_need_is_not_brought_in_but_a_unit_always_is() {
    let changes = vec![
        change("grant.x.app", Action::Create, &[Need::names("role.x")]),
        change("role.x", Action::Delete, &[]),
        change(
            "extension.app.a",
            Action::Delete,
            &[Need::together("extension.app.b")],
        ),
        change(
            "extension.app.b",
            Action::Delete,
            &[Need::together("extension.app.a")],
        ),
    ];
    let selection = select(changes.clone(), &targets(&["grant.x.app"]));
    assert_eq!(addresses(&selection.selected), ["grant.x.app"]);
    let selection = select(changes, &targets(&["extension.app.b"]));
    assert_eq!(
        addresses(&selection.selected),
        ["extension.app.a", "extension.app.b"]
    );
}

#[test]
fn targets_are_checked_before_planning() {
    let parse = |t: &str| Targets::parse(&[t.to_owned()]);
    let err = parse("rol.app").unwrap_err();
    assert_eq!(
        err.to_string(),
        "-target \"rol.app\": \"rol\" is not a kind of object"
    );
    assert_eq!(err.hint().as_deref(), Some("did you mean \"role\"?"));
    assert!(parse("role.").is_err());
    assert!(parse("server_certificate").is_ok());
    assert!(parse("hba.pg_hba.conf").is_ok());
    assert_eq!(
        targets(&["role.a", " role.a "]).addresses(),
        ["role.a"],
        "duplicates are one target"
    );
}

fn plan_of(changes: Vec<Change>) -> Plan {
    let diff = crate::diff::Diff {
        changes,
        ..Default::default()
    };
    Plan::new(diff, "fp".into())
}

#[test]
fn restrict_keeps_the_selection_and_says_it_is_partial() {
    let declared: BTreeSet<String> = ["role.a", "role.b"].map(String::from).into();
    let plan = restrict(plan_of(plan_changes()), &targets(&["role.b"]), || {
        declared.clone()
    })
    .unwrap();
    assert_eq!(addresses(&plan.changes), ["role.b"]);
    let warning = plan.warnings.last().unwrap();
    assert!(
        warning.starts_with("targeting is in effect (-target role.b)"),
        "{warning}"
    );
    assert!(
        warning.contains("8 other changes are left for a later plan"),
        "{warning}"
    );
}

#[test]
fn restrict_refuses_a_target_that_names_nothing() {
    let declared: BTreeSet<String> = ["role.a", "role.app_user", "grant.a.app", "setting.*"]
        .map(String::from)
        .into();
    let plan = || plan_of(vec![change("role.a", Action::Update, &[])]);
    let err = restrict(plan(), &targets(&["role.app_usr"]), || declared.clone()).unwrap_err();
    assert_eq!(
        err.hint().as_deref(),
        Some("did you mean \"role.app_user\"?")
    );
    assert!(matches!(err, TargetError::Unknown { .. }));
    // Declared, without changes: an empty, targeted plan.
    let plan = restrict(plan(), &targets(&["role.app_user"]), || declared.clone()).unwrap();
    assert!(plan.changes.is_empty());
    // Under a declared grant, a tuned setting.
    assert!(
        restrict(plan_of(vec![]), &targets(&["grant.a.app.s.tables"]), || {
            declared.clone()
        })
        .is_ok()
    );
    assert!(
        restrict(plan_of(vec![]), &targets(&["setting.work_mem"]), || {
            declared.clone()
        })
        .is_ok()
    );
}

#[test]
fn is_done_looks_only_at_the_targets() {
    let plan = plan_of(vec![change("role.b", Action::Create, &[])]);
    assert!(is_done(&plan, &targets(&["role.a"])));
    assert!(!is_done(&plan, &targets(&["role.b"])));
}
