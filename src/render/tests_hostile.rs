//! Names and values that try to rewrite the terminal: every text output
//! shows them escaped, and holds no control character of its own.

use super::drift::{self, DriftReport};
use super::*;
use crate::diff::{DiffInput, DiffOptions, diff};
use crate::model::{ManagePolicy, PendingRestart, Role, ServerFacts, ServerState};
use crate::plan::{Action, AttributeChange, Change, Plan};

/// Erases the line above: would hide `superuser = true` from a reviewer.
const ERASE: &str = "\x1b[2K\x1b[1A";

/// A new superuser whose name, comment and settings hold escape sequences,
/// a newline and a bidi override.
fn hostile_plan() -> Plan {
    let facts = ServerFacts {
        version_num: 150000,
        session_user: "postgres".into(),
        bootstrap_superuser: "postgres".into(),
        current_database: "postgres".into(),
        is_superuser: true,
        ..Default::default()
    };
    let mut role = Role::new(format!("evil{ERASE}"));
    role.attributes.superuser = true;
    role.comment = Some(format!("harmless{ERASE}\u{202e}txet"));
    role.settings.insert(
        "search_path".into(),
        format!("public\n  + login = false{ERASE}"),
    );
    let desired = ServerState {
        roles: [(role.name.clone(), role)].into_iter().collect(),
        ..Default::default()
    };
    let d = diff(DiffInput {
        desired: &desired,
        live: &ServerState::default(),
        facts: &facts,
        manage: &ManagePolicy::default(),
        options: DiffOptions::default(),
    })
    .unwrap();
    let mut plan = Plan::new(d, "0123abcd".into());
    plan.warnings.push(format!("warned about {ERASE}"));
    plan.notes.push("noted \u{9b}2K".to_owned());
    plan.unmanaged_roles.push(format!("other{ERASE}"));
    plan.pending_restart.push(PendingRestart {
        setting: format!("shared_buffers{ERASE}"),
        running: "128MB".into(),
        configured: format!("1GB{ERASE}"),
    });
    let mut hba = Change::new("hba.pg_hba.conf", Action::Update);
    hba.attributes.push(AttributeChange::new(
        "rule[1]",
        None,
        Some(format!("host all all 0.0.0.0/0 trust # {ERASE}")),
    ));
    hba.file_diff.push(format!("+ # comment {ERASE}"));
    plan.changes.push(hba);
    plan
}

fn assert_clean(text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| c != '\n' && escape::is_hostile(c))
        .collect();
    assert!(bad.is_empty(), "{bad:?} in:\n{text}");
    assert!(text.contains("\\x1b[2K\\x1b[1A"), "{text}");
}

#[test]
fn plan_text_escapes_hostile_names_and_values() {
    let plan = hostile_plan();
    let options = TextOptions {
        color: false,
        show_sql: true,
        verbose: true,
    };
    let text = render_text(&PlanDoc::new(&plan), options);
    assert_clean(&text);
    assert!(text.contains("superuser"), "{text}");
    assert!(text.contains("\\u{202e}txet"), "{text}");
    assert!(text.contains("\\x9b2K"), "{text}");
    // A newline in a value cannot start a line of its own.
    assert!(!text.contains("\n  + login = false"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn colour_codes_are_only_pgfort_own() {
    let plan = hostile_plan();
    let options = TextOptions {
        color: true,
        show_sql: true,
        verbose: true,
    };
    let text = render_text(&PlanDoc::new(&plan), options);
    assert!(!text.contains("\x1b[2K") && !text.contains("\x1b[1A"));
    assert!(!text.contains('\u{202e}'));
}

#[test]
fn executed_sql_keeps_the_value() {
    let plan = hostile_plan();
    let statements: String = plan
        .changes
        .iter()
        .flat_map(|c| &c.statements)
        .map(|s| s.redacted())
        .collect();
    assert!(statements.contains(ERASE), "{statements}");
}

#[test]
fn restart_and_drift_reports_escape_hostile_text() {
    let plan = hostile_plan();
    let text = render_pending_restart(&PlanDoc::new(&plan), TextOptions::default());
    assert_clean(&text);
    let report = DriftReport::new(&plan, format!("postgres@db{ERASE}:5432/postgres"));
    assert_clean(&drift::render_text(&report));
    assert_clean(&drift::render_markdown(&report));
}
