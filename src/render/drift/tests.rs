//! Every format drawn from one fixed plan (no server), snapshotted.

use super::*;
use crate::plan::{AttributeChange, Change};

/// The render tests' plan (roles created, changed and pruned) plus a
/// setting and a pg_hba.conf rewrite, so several kinds appear.
fn drifted() -> DriftReport {
    let mut plan = crate::render::tests::sample_plan();
    let mut setting = Change::new("setting.work_mem", Action::Update);
    setting.attributes.push(AttributeChange::new(
        "value",
        Some("\"1GB\"".into()),
        Some("\"64MB\"".into()),
    ));
    plan.changes.push(setting);
    let mut hba = Change::new("hba.pg_hba.conf", Action::Update);
    hba.attributes.push(AttributeChange::new(
        "rule[2]",
        Some("host all all 0.0.0.0/0 trust".into()),
        Some("host all all 0.0.0.0/0 reject".into()),
    ));
    hba.touches_access = true;
    plan.changes.push(hba);
    plan.changes.sort_by(|a, b| a.address.cmp(&b.address));
    // Undeclared roles: one with superuser-level powers (drift), one not.
    plan.unmanaged_roles = vec!["intruder".into(), "legacy_reader".into()];
    plan.unmanaged_powers.insert(
        "intruder".into(),
        vec![
            "SUPERUSER".into(),
            "membership in pg_write_server_files".into(),
        ],
    );
    DriftReport::new(&plan, "postgres@db.example.com:5432/postgres")
}

fn clean() -> DriftReport {
    DriftReport::new(
        &Plan::new(Default::default(), String::new()),
        "postgres@db.example.com:5432/postgres",
    )
}

#[test]
fn an_undeclared_role_with_powers_alone_is_drift() {
    let mut plan = Plan::new(Default::default(), String::new());
    plan.unmanaged_roles = vec!["intruder".into(), "reader".into()];
    let quiet = DriftReport::new(&plan, "x");
    assert!(
        !quiet.drifted,
        "unmanaged roles without powers are no drift"
    );
    assert!(
        render_text(&quiet)
            .contains("Unmanaged roles (not declared, left alone): intruder, reader")
    );
    plan.unmanaged_powers
        .insert("intruder".into(), vec!["CREATEROLE".into()]);
    let report = DriftReport::new(&plan, "x");
    assert!(report.drifted);
    assert_eq!(report.total, 1);
    assert_eq!(report.kinds[0].objects[0].state, DriftState::Unmanaged);
    assert_eq!(report.unmanaged_roles, ["reader"]);
}

#[test]
fn groups_by_kind_and_keeps_secrets_out() {
    let report = drifted();
    let kinds: Vec<&str> = report.kinds.iter().map(|k| k.kind.as_str()).collect();
    assert_eq!(kinds, ["hba", "role", "setting"]);
    assert_eq!(report.total, 6);
    assert_eq!(report.unmanaged_roles, ["legacy_reader"]);
    for text in [
        render_text(&report),
        render_json(&report),
        render_markdown(&report),
    ] {
        assert!(!text.contains("do-not-print-me") && !text.contains("also-secret"));
        assert!(!text.contains("c2FsdA=="), "no stored verifier either");
    }
}

#[test]
fn text_snapshot() {
    insta::assert_snapshot!("drift_text", render_text(&drifted()));
    insta::assert_snapshot!("drift_text_clean", render_text(&clean()));
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!("drift_json", render_json(&drifted()));
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!("drift_markdown", render_markdown(&drifted()));
    insta::assert_snapshot!("drift_markdown_clean", render_markdown(&clean()));
}

#[test]
fn markdown_cells_escape_pipes() {
    let mut plan = Plan::new(Default::default(), String::new());
    let mut change = Change::new("policy.app.public.t.p", Action::Update);
    change.attributes.push(AttributeChange::new(
        "using",
        Some("a || b".into()),
        Some("a".into()),
    ));
    plan.changes.push(change);
    let markdown = render_markdown(&DriftReport::new(&plan, "x"));
    assert!(markdown.contains("a \\|\\| b"), "{markdown}");
}

#[test]
fn json_conforms_to_its_published_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../../schema/drift.schema.json"))
            .expect("schema is JSON");
    assert_eq!(
        schema["properties"]["format_version"]["const"], FORMAT_VERSION,
        "bump the schema with the format"
    );
    for report in [drifted(), clean()] {
        let document: serde_json::Value = serde_json::from_str(&render_json(&report)).unwrap();
        crate::audit::report::tests::conforms(&schema, &schema, &document, "$").unwrap();
    }
}
