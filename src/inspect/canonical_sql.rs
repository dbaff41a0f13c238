//! The batch that has the server parse every desired policy expression of
//! one database, and the reading of its answer. Pure: builds text, parses
//! JSON; `canonical.rs` sends it.
//!
//! For each table, a temporary table `(LIKE schema.table)` with the same
//! name gets a copy of each policy (with the same command, `TO PUBLIC`
//! since the roles may not exist yet); `pg_get_expr` then prints the
//! expressions exactly as it prints the real table's. Each table and each
//! policy runs in its own sub-transaction (a PL/pgSQL exception block), so
//! one bad expression is reported by name while the others are still
//! checked. The results travel back through a transaction-local setting,
//! read by one SELECT; the caller rolls everything back.

use serde::Deserialize;

use crate::model::{Policy, TableName};
use crate::sql::policies::qualified;
use crate::sql::quote::{ident, literal};

/// How long planning waits for a lock on a table (only ACCESS SHARE is
/// asked for; it waits only behind an ACCESS EXCLUSIVE lock).
pub(super) const LOCK_TIMEOUT: &str = "3s";

/// The transaction-local setting the DO block leaves its results in.
const RESULT_SETTING: &str = "pgfort.canonical_policies";

/// One table and the policies on it to canonicalise (indexes into the
/// caller's list).
pub(super) struct TableBatch<'a> {
    pub table: &'a TableName,
    pub policies: Vec<(usize, &'a Policy)>,
}

/// The whole round trip: begin, settings, DO block, SELECT of the results,
/// rollback. The search path puts `pg_temp` last, so names in expressions
/// resolve to the real tables (as in the live policies), not to the
/// temporary copies.
pub(super) fn batch(tables: &[TableBatch<'_>]) -> String {
    let body = do_body(tables);
    let mut tag = "pgfort".to_owned();
    let mut n = 0;
    while body.contains(&format!("${tag}$")) {
        n += 1;
        tag = format!("pgfort{n}");
    }
    format!(
        "BEGIN;
SET LOCAL lock_timeout = {timeout};
SELECT pg_catalog.set_config('search_path', CASE pg_catalog.current_setting('search_path')
    WHEN '' THEN 'pg_temp' ELSE pg_catalog.current_setting('search_path') || ', pg_temp' END, true);
DO ${tag}${body}${tag}$;
SELECT pg_catalog.current_setting({setting}) AS results;
ROLLBACK;",
        timeout = literal(LOCK_TIMEOUT),
        setting = literal(RESULT_SETTING),
    )
}

fn do_body(tables: &[TableBatch<'_>]) -> String {
    let mut body = String::from(
        "
DECLARE
  results jsonb := '[]';
  stage text;
  message text;
  detail text;
  hint text;
BEGIN
",
    );
    for (t, batch) in tables.iter().enumerate() {
        let temp = format!("pg_temp.{}", ident(&batch.table.name));
        body.push_str(&format!(
            "  BEGIN
    EXECUTE {create};
",
            create = literal(&format!(
                "CREATE TEMPORARY TABLE {} (LIKE {})",
                ident(&batch.table.name),
                qualified(batch.table)
            )),
        ));
        for (index, policy) in &batch.policies {
            body.push_str(&policy_block(*index, policy, &temp));
        }
        body.push_str(&format!(
            "    EXECUTE {drop};
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    results := results || pg_catalog.jsonb_build_object('table', {t}, 'sqlstate', SQLSTATE,
      'message', message, 'detail', NULLIF(detail, ''), 'hint', NULLIF(hint, ''));
  END;
",
            drop = literal(&format!("DROP TABLE {temp}")),
        ));
    }
    body.push_str(&format!(
        "  PERFORM pg_catalog.set_config({}, results::text, true);
END
",
        literal(RESULT_SETTING)
    ));
    body
}

/// Creates policy `index` on the temporary table, USING first and WITH
/// CHECK second, so an error says which of the two is wrong.
fn policy_block(index: usize, policy: &Policy, temp: &str) -> String {
    let name = format!("p{index}");
    let mut create = format!(
        "CREATE POLICY {name} ON {temp} AS {} FOR {} TO PUBLIC",
        if policy.permissive {
            "PERMISSIVE"
        } else {
            "RESTRICTIVE"
        },
        policy.command.sql_keyword()
    );
    let mut steps = Vec::new();
    match (&policy.using, &policy.with_check) {
        (Some(using), check) => {
            create.push_str(&format!(" USING ({})", using.sql));
            steps.push(("using", create));
            if let Some(check) = check {
                let alter = format!("ALTER POLICY {name} ON {temp} WITH CHECK ({})", check.sql);
                steps.push(("with_check", alter));
            }
        }
        (None, Some(check)) => {
            create.push_str(&format!(" WITH CHECK ({})", check.sql));
            steps.push(("with_check", create));
        }
        (None, None) => steps.push(("policy", create)),
    }
    let mut block = String::from("    BEGIN\n");
    for (stage, sql) in steps {
        block.push_str(&format!(
            "      stage := {};\n      EXECUTE {};\n",
            literal(stage),
            literal(&sql)
        ));
    }
    block.push_str(&format!(
        "      results := results || COALESCE((SELECT pg_catalog.jsonb_build_object('policy', {index},
          'using', pg_catalog.pg_get_expr(p.polqual, p.polrelid),
          'with_check', pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid))
        FROM pg_catalog.pg_policy p
        WHERE p.polrelid = {temp_literal}::regclass AND p.polname = {name_literal}),
        pg_catalog.jsonb_build_object('policy', {index}, 'sqlstate', 'XX000',
          'message', 'the policy was not found after creating it'));
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
      results := results || pg_catalog.jsonb_build_object('policy', {index}, 'stage', stage,
        'sqlstate', SQLSTATE, 'message', message, 'detail', NULLIF(detail, ''), 'hint', NULLIF(hint, ''));
    END;
",
        temp_literal = literal(temp),
        name_literal = literal(&name),
    ));
    block
}

/// One entry of the results: a policy's canonical expressions, or the
/// error of a policy (`policy` set) or of a whole table (`table` set).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub(super) struct Outcome {
    pub policy: Option<usize>,
    pub table: Option<usize>,
    pub using: Option<String>,
    pub with_check: Option<String>,
    pub stage: Option<String>,
    pub sqlstate: Option<String>,
    pub message: Option<String>,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

impl Outcome {
    pub fn is_error(&self) -> bool {
        self.sqlstate.is_some()
    }
}

/// Parses the JSON the DO block left.
pub(super) fn parse(json: &str) -> Result<Vec<Outcome>, serde_json::Error> {
    serde_json::from_str(json)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::model::{Expression, PolicyCommand};

    fn policy(using: Option<&str>, with_check: Option<&str>) -> Policy {
        Policy {
            database: "app".into(),
            table: TableName {
                schema: "public".into(),
                name: "documents".into(),
            },
            name: "mine".into(),
            command: PolicyCommand::All,
            permissive: true,
            roles: BTreeSet::from(["app_user".to_owned()]),
            using: using.map(Expression::written),
            with_check: with_check.map(Expression::written),
            comment: None,
            origin: None,
        }
    }

    #[test]
    fn batch_creates_copies_checks_each_expression_and_rolls_back() {
        let p = policy(Some("owner_id = 1"), Some("owner_id = 2"));
        let sql = batch(&[TableBatch {
            table: &p.table,
            policies: vec![(7, &p)],
        }]);
        assert!(sql.starts_with("BEGIN;\nSET LOCAL lock_timeout = '3s';"));
        assert!(sql.ends_with("ROLLBACK;"));
        assert!(sql.contains("'CREATE TEMPORARY TABLE documents (LIKE public.documents)'"));
        assert!(sql.contains(
            "'CREATE POLICY p7 ON pg_temp.documents AS PERMISSIVE FOR ALL TO PUBLIC USING (owner_id = 1)'"
        ));
        assert!(sql.contains("'ALTER POLICY p7 ON pg_temp.documents WITH CHECK (owner_id = 2)'"));
        assert!(sql.contains("'DROP TABLE pg_temp.documents'"));
        assert!(!sql.contains("app_user"), "roles are not needed: {sql}");
    }

    #[test]
    fn dollar_tag_avoids_the_text() {
        let p = policy(Some("body <> $pgfort$x$pgfort$"), None);
        let sql = batch(&[TableBatch {
            table: &p.table,
            policies: vec![(0, &p)],
        }]);
        assert!(sql.contains("DO $pgfort1$"), "{sql}");
    }

    #[test]
    fn results_parse() {
        let outcomes = parse(
            r#"[{"policy": 0, "using": "(a = 1)", "with_check": null},
                {"policy": 1, "stage": "using", "sqlstate": "42703", "message": "column \"b\" does not exist", "detail": null, "hint": null},
                {"table": 0, "sqlstate": "25006", "message": "read-only"}]"#,
        )
        .unwrap();
        assert_eq!(outcomes[0].using.as_deref(), Some("(a = 1)"));
        assert!(!outcomes[0].is_error());
        assert!(outcomes[1].is_error());
        assert_eq!(outcomes[2].table, Some(0));
    }
}
