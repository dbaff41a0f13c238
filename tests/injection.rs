//! Attack tests: configuration text that tries to run SQL of its own as
//! the superuser pgfort connects as. Each attempt must be refused or be
//! inert; either way nothing it smuggles may happen: no marker file from
//! `COPY … TO PROGRAM`, and the canary role survives.

mod common;

use common::{PgfortOutput, TestCluster, workdir, write_files};
use std::collections::BTreeSet;
use std::path::Path;

use pgfort::inspect::pipeline::Step;
use pgfort::inspect::{Db, InspectScope, canonicalize_policies};
use pgfort::model::{Expression, Policy, PolicyCommand, ServerState, TableName};

/// An HCL string literal holding exactly `text`.
fn hcl_string(text: &str) -> String {
    let mut out = String::from("\"");
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Expressions built to end `USING (…)` and run `payload` after it, each
/// against a different way the text could be misread: Unicode neighbours
/// of dollar quotes, backslashes when `standard_conforming_strings` is
/// off, `E''` strings, nested comments, line comments, quoted identifiers
/// holding semicolons.
fn corpus(payload: &str) -> Vec<String> {
    vec![
        format!("true) ; {payload} ; SELECT (1"),
        format!("(SELECT true AS →$q$)) ; {payload} ; SELECT (1 /* →$q$ ) */"),
        format!("(SELECT true AS \u{a0}$q$)) ; {payload} ; SELECT (1 /* \u{a0}$q$ ) */"),
        format!("(SELECT true AS é$q$)) ; {payload} ; SELECT (1 /* é$q$ ) */"),
        format!("'\\' = ') ; {payload} ; SELECT (' OR (true)"),
        format!("'\\' = '' OR true) ; {payload} ; SELECT ('\\' = ''"),
        format!("E'\\'' = '' OR true) ; {payload} ; SELECT (E'\\''"),
        format!("E'\\\\' = ') ; {payload} ; SELECT (' OR (true)"),
        format!("/* /* */ true) ; {payload} ; SELECT (1 /* */ */ true"),
        format!("true /* */ ) ; {payload} ; SELECT ( /* */ 1"),
        format!("true --\n) ; {payload} ; SELECT (1"),
        format!("\"a;b\" IS NULL OR \"x\"\";{payload};--\" = 1"),
        format!("$$ ) ; {payload} ; SELECT ( $$ = 'x'"),
        format!("$a$ $b$ ) ; {payload} ; SELECT ( $a$ = $b$x$b$"),
        format!("U&'\\0027' = '' OR true) ; {payload} ; SELECT (1"),
    ]
}

fn config(using: &str, with_check: Option<&str>) -> String {
    let check = with_check
        .map(|c| format!("  with_check = {}\n", hcl_string(c)))
        .unwrap_or_default();
    format!(
        r#"
role "app_user" {{}}
table "documents" {{
  database           = "docs"
  schema             = "public"
  row_level_security = true
}}
policy "attempt" {{
  database = "docs"
  table    = "public.documents"
  command  = "ALL"
  to       = ["app_user"]
  using    = {}
{check}}}
"#,
        hcl_string(using)
    )
}

fn run(cluster: &TestCluster, dir: &Path, args: &[&str]) -> PgfortOutput {
    cluster.pgfort_in(dir, args)
}

fn assert_no_side_effect(cluster: &TestCluster, marker: &Path, what: &str) {
    assert!(
        !marker.exists(),
        "{what}: the smuggled COPY TO PROGRAM ran (marker {} exists)",
        marker.display()
    );
    assert_eq!(
        cluster.query_value("SELECT count(*) FROM pg_roles WHERE rolname = 'canary'"),
        Some("1".to_owned()),
        "{what}: the canary role was dropped"
    );
}

fn setup(cluster: &TestCluster) -> (std::path::PathBuf, String) {
    cluster.exec("CREATE ROLE canary");
    cluster.exec("CREATE DATABASE docs");
    cluster.exec_in(
        "docs",
        "CREATE TABLE documents (id serial PRIMARY KEY, owner_id integer, body text)",
    );
    let marker = cluster.dir().join("injected-marker");
    let payload = format!(
        "COPY (SELECT 1) TO PROGRAM 'touch {}' ; DROP ROLE canary",
        marker.display()
    );
    (marker, payload)
}

/// Through the command line: every attempt, as USING and as WITH CHECK,
/// with the database reading backslashes both ways. The ones the
/// configuration check refuses get a located error; the others reach the
/// server (drift, and apply's plan, parse them there) and must be inert.
#[test]
fn policy_expressions_cannot_run_sql_of_their_own() {
    let cluster = TestCluster::start();
    let (marker, payload) = setup(&cluster);
    let mut reached_the_server = 0;
    for (n, attempt) in corpus(&payload).iter().enumerate() {
        for (using, check) in [(attempt.as_str(), None), ("true", Some(attempt.as_str()))] {
            let dir = workdir();
            write_files(dir.path(), &[("main.hcl", &config(using, check))]);
            let what = format!("attempt {n} {attempt:?}");
            let validated = run(&cluster, dir.path(), &["validate", "."]);
            if !validated.success() {
                assert!(
                    validated.stderr.contains("main.hcl:"),
                    "{what}: a refusal names its location: {validated:?}"
                );
                continue;
            }
            reached_the_server += 1;
            for scs in ["off", "on"] {
                cluster.exec(&format!(
                    "ALTER DATABASE docs SET standard_conforming_strings = {scs}"
                ));
                let commands: &[&[&str]] = if scs == "off" {
                    &[&["drift", "--no-color", "."]]
                } else {
                    &[&["apply", "--auto-approve", "--no-color", "."]]
                };
                for args in commands {
                    let out = run(&cluster, dir.path(), args);
                    assert_ne!(out.code, None, "{what}: pgfort {args:?} crashed: {out:?}");
                    assert_no_side_effect(&cluster, &marker, &format!("{what}, pgfort {args:?}"));
                }
            }
        }
    }
    assert!(
        reached_the_server >= 6,
        "the corpus must also test the server's side"
    );
}

/// Below the configuration check: the same attempts handed straight to
/// planning's canonicalisation, as if the check had been fooled. The
/// server sees each statement alone, so each attempt fails to parse or is
/// one expression.
#[test]
fn canonicalisation_is_safe_without_the_configuration_check() {
    let cluster = TestCluster::start();
    let (marker, payload) = setup(&cluster);
    cluster.exec("ALTER DATABASE docs SET standard_conforming_strings = off");
    let table = TableName {
        schema: "public".into(),
        name: "documents".into(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let settings = cluster.connection_settings().with_dbname("docs");
        let db = Db::new(pgfort::connect::connect(&settings).await.expect("connect"));
        let scope = InspectScope {
            databases: vec!["docs".into()],
            tables: [("docs".to_owned(), vec![table.clone()])].into(),
            ..Default::default()
        };
        let live = pgfort::inspect::inspect(&db, &settings, &scope)
            .await
            .expect("inspect");
        for (n, attempt) in corpus(&payload).iter().enumerate() {
            for (using, check) in [(attempt.as_str(), None), ("true", Some(attempt.as_str()))] {
                let mut desired = ServerState::default();
                let catalog = desired.catalogs.entry("docs".into()).or_default();
                let policy = Policy {
                    database: "docs".into(),
                    table: table.clone(),
                    name: "attempt".into(),
                    command: PolicyCommand::All,
                    permissive: true,
                    roles: BTreeSet::from(["public".to_owned()]),
                    using: Some(Expression::written(using)),
                    with_check: check.map(Expression::written),
                    comment: None,
                    origin: None,
                };
                catalog
                    .policies
                    .insert((table.clone(), "attempt".into()), policy);
                let outcome = canonicalize_policies(&db, &settings, &desired, &live).await;
                assert_no_side_effect(
                    &cluster,
                    &marker,
                    &format!("attempt {n} {attempt:?}: {outcome:?}"),
                );
            }
        }
    });
}

/// The guarantee underneath: a statement pgfort sends is one protocol
/// message, and the server refuses more than one statement in it.
#[test]
fn a_pipelined_statement_can_never_hold_two() {
    let cluster = TestCluster::start();
    cluster.exec("CREATE ROLE canary");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let settings = cluster.connection_settings();
        let client = pgfort::connect::connect(&settings).await.expect("connect");
        let db = Db::new(client);
        let results = db
            .pipeline(&[
                Step::new("SELECT 1"),
                Step::new("SELECT 1; DROP ROLE canary"),
                Step::with_params("SELECT $1::text", &["x'; DROP ROLE canary; --"]),
            ])
            .await;
        assert!(results[0].is_ok());
        let refused = results[1]
            .as_ref()
            .expect_err("two statements in one message");
        assert_eq!(
            refused.code().map(|c| c.code()),
            Some("42601"),
            "{refused:?}"
        );
        let rows = results[2].as_ref().expect("a parameter is data");
        assert_eq!(rows[0].get::<_, String>(0), "x'; DROP ROLE canary; --");
        // Sessions read literals the standard way whatever the server says.
        let scs = db
            .pipeline(&[Step::new("SHOW standard_conforming_strings")])
            .await;
        let rows = scs[0].as_ref().expect("show");
        assert_eq!(rows[0].get::<_, String>(0), "on");
    });
    assert_eq!(
        cluster.query_value("SELECT count(*) FROM pg_roles WHERE rolname = 'canary'"),
        Some("1".to_owned())
    );
}
