//! Every format drawn from fixed facts (no server), snapshotted; the JSON
//! checked against the hand-written schema's required fields and types.

use serde_json::Value;

use super::*;
use crate::audit::fixtures::{hardened, unprivileged, weak_with_hostssl};
use crate::audit::{Selection, run};

fn report(facts: &AuditFacts) -> Report {
    Report::new(
        facts,
        run(facts, &Selection::default()),
        "db.example.com:5432".to_owned(),
    )
}

#[test]
fn text_snapshot() {
    insta::assert_snapshot!(
        "text_weak",
        render_text(&report(&weak_with_hostssl()), false)
    );
    insta::assert_snapshot!(
        "text_unprivileged",
        render_text(&report(&unprivileged()), false)
    );
}

#[test]
fn text_colour_only_when_asked() {
    let report = report(&weak_with_hostssl());
    assert!(!render_text(&report, false).contains('\x1b'));
    assert!(render_text(&report, true).contains("\x1b[31mFAIL"));
}

#[test]
fn json_snapshot() -> Result<(), serde_json::Error> {
    insta::assert_snapshot!("json_weak", render_json(&report(&weak_with_hostssl()))?);
    Ok(())
}

#[test]
fn sarif_snapshot() -> Result<(), serde_json::Error> {
    let text = render_sarif(&report(&weak_with_hostssl()), ".")?;
    let sarif: Value = serde_json::from_str(&text)?;
    assert_eq!(sarif["version"], "2.1.0");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .map(Vec::len);
    assert_eq!(rules, Some(crate::audit::controls::all().count()));
    insta::assert_snapshot!("sarif_weak", text);
    Ok(())
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(
        "markdown_weak",
        render_markdown(&report(&weak_with_hostssl()))
    );
    insta::assert_snapshot!("markdown_hardened", render_markdown(&report(&hardened())));
}

#[test]
fn score_counts_every_control() {
    let report = report(&hardened());
    assert_eq!(report.summary.score, 100);
    assert_eq!(report.summary.total.failed, 0);
    assert_eq!(
        report.summary.total.passed + report.summary.health.passed,
        crate::audit::controls::all().count()
    );
    assert_eq!(report.summary.health.passed, 6, "the ops-* controls");
}

#[test]
fn health_stays_out_of_the_score_and_fail_on_unless_asked() {
    use crate::audit::{Area, Severity, Status, fails_at};
    let mut facts = hardened();
    // Traffic alone: long queries and lagging replicas.
    facts.cache_blocks = Some((1, 1_000));
    let report = report(&facts);
    assert_eq!(report.summary.score, 100, "health does not lower the score");
    assert_eq!(report.summary.health.failed, 1);
    let failed: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].area, Area::Health);
    assert!(!fails_at(&report.findings, Severity::Low, false));
    assert!(fails_at(&report.findings, Severity::Low, true));
}

pub use crate::schema_check::conforms;

#[test]
fn json_validates_against_the_schema() -> Result<(), Box<dyn std::error::Error>> {
    let schema: Value = serde_json::from_str(include_str!("../../../schema/audit.schema.json"))?;
    assert_eq!(
        schema["properties"]["format_version"]["const"],
        Value::from(FORMAT_VERSION),
        "bump the schema with FORMAT_VERSION"
    );
    for facts in [hardened(), weak_with_hostssl(), unprivileged()] {
        let document: Value = serde_json::from_str(&render_json(&report(&facts))?)?;
        conforms(&schema, &schema, &document, "$")?;
    }
    let broken = serde_json::json!({ "format_version": 1 });
    assert!(conforms(&schema, &schema, &broken, "$").is_err());
    Ok(())
}

/// `facts` as a role without privileges sees them: no passwords, no
/// pg_hba rules, no other sessions.
fn blind(mut facts: AuditFacts) -> AuditFacts {
    let seen = unprivileged();
    facts.session_user = seen.session_user;
    facts.read_passwords = false;
    for role in &mut facts.roles {
        role.password = None;
    }
    facts.hba_rules = None;
    facts.activity = seen.activity;
    facts.replicas = None;
    facts.hba_file_mode = None;
    facts.settings.remove("data_directory_mode");
    facts
}

#[test]
fn skips_never_raise_the_score() {
    for facts in [weak_with_hostssl(), hardened()] {
        let full = report(&facts);
        let partial = report(&blind(facts));
        assert!(
            partial.summary.score <= full.summary.score,
            "unprivileged {} > superuser {}",
            partial.summary.score,
            full.summary.score
        );
        assert!(partial.summary.total.skipped > full.summary.total.skipped);
        assert!(partial.summary.unknown > 0);
        assert_eq!(full.summary.unknown, 0);
    }
}

#[test]
fn the_score_weighs_severities() {
    let mut facts = hardened();
    // One low control fails: the score stays high.
    facts.settings.insert(
        "log_hostname".to_owned(),
        crate::audit::facts::SettingFact {
            value: "on".to_owned(),
            unit: None,
        },
    );
    let low = report(&facts).summary.score;
    // One high control fails: it costs more.
    let mut facts = hardened();
    facts.settings.insert(
        "fsync".to_owned(),
        crate::audit::facts::SettingFact {
            value: "off".to_owned(),
            unit: None,
        },
    );
    let high = report(&facts).summary.score;
    assert!(high < low && low < 100, "high {high}, low {low}");
}

#[test]
fn html_snapshot() {
    insta::assert_snapshot!("html_weak", render_html(&report(&weak_with_hostssl())));
}

#[test]
fn html_escape_covers_markup_and_control_characters() {
    assert_eq!(
        html::escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
        "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
    );
    assert_eq!(html::escape("plain text"), "plain text");
    // XML forbids these even as references: shown, as in the text report.
    assert_eq!(
        html::escape("a\x1b[2Jb\u{202e}\u{ffff}"),
        "a\\x1b[2Jb\\u{202e}\\u{ffff}"
    );
    assert_eq!(html::escape("two\nlines"), "two\nlines");
}

/// The page without its doctype line, parsed as XML: every element closed,
/// every attribute quoted, every reference known.
fn parse_html(page: &str) -> Result<roxmltree::Document<'_>, String> {
    let body = page
        .strip_prefix("<!DOCTYPE html>\n")
        .ok_or("the page does not start with <!DOCTYPE html>")?;
    roxmltree::Document::parse(body).map_err(|e| format!("not well-formed: {e}"))
}

#[test]
fn html_is_well_formed_and_names_every_failure() -> Result<(), String> {
    for facts in [weak_with_hostssl(), hardened(), unprivileged()] {
        let report = report(&facts);
        let page = render_html(&report);
        let document = parse_html(&page)?;
        let root = document.root_element();
        assert_eq!(root.tag_name().name(), "html");
        assert_eq!(root.attribute("lang"), Some("en"));
        let text: String = document
            .descendants()
            .filter_map(|node| node.text())
            .collect();
        assert!(text.contains(&format!("Score: {}%", report.summary.score)));
        let mut failed = 0;
        for finding in report.findings.iter().filter(|f| f.status == Status::Fail) {
            failed += 1;
            let id = format!("control-{}", finding.id);
            assert!(
                document
                    .descendants()
                    .any(|n| n.attribute("id") == Some(&id)),
                "no element for {}",
                finding.id
            );
        }
        let articles = document
            .descendants()
            .filter(|n| n.has_tag_name(("http://www.w3.org/1999/xhtml", "article")))
            .count();
        assert_eq!(articles, failed);
        let chart = document
            .descendants()
            .find(|n| n.tag_name().name() == "svg")
            .ok_or("no chart")?;
        assert_eq!(chart.attribute("role"), Some("img"));
        assert!(chart.children().any(|n| n.tag_name().name() == "title"));
    }
    Ok(())
}

#[test]
fn html_escapes_what_the_server_returns() -> Result<(), String> {
    let hostile = "<script>alert(1)</script>";
    let mut facts = weak_with_hostssl();
    facts.session_user = format!("{hostile}\"'&");
    let mut report = report(&facts);
    let failure = report
        .findings
        .iter_mut()
        .find(|f| f.status == Status::Fail)
        .ok_or("no failure in the weak fixture")?;
    failure.evidence.push(hostile.to_owned());
    let page = render_html(&report);
    assert!(!page.contains("<script"), "unescaped markup in the page");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let document = parse_html(&page)?;
    let evidence = document
        .descendants()
        .filter_map(|n| n.text())
        .filter(|text| *text == hostile)
        .count();
    assert!(evidence >= 1, "the evidence reads as written once parsed");
    Ok(())
}

#[test]
fn area_scores_follow_the_failures() {
    let hardened = report(&hardened()).area_scores();
    assert!(!hardened.is_empty());
    assert!(hardened.iter().all(|(area, _)| area.is_hardening()));
    assert!(
        hardened
            .iter()
            .all(|(_, scored)| scored.is_none_or(|s| s == (100, 0)))
    );
    let weak = report(&weak_with_hostssl());
    for (area, scored) in weak.area_scores() {
        let failed = weak
            .findings
            .iter()
            .any(|f| f.area == area && f.status == Status::Fail && f.severity != Severity::Info);
        let score = scored.map_or(100, |(score, _)| score);
        assert_eq!(score < 100, failed, "{area:?} scores {score}");
    }
}
