//! The statements that have the server parse every desired policy
//! expression of one database, and the reading of their answers. Pure:
//! builds statement texts and interprets answers; `canonical.rs` sends them.
//!
//! For each table, a temporary table `(LIKE schema.table)` with the same
//! name gets a copy of each policy (with the same command, `TO PUBLIC`
//! since the roles may not exist yet); `pg_get_expr` then prints the
//! expressions exactly as it prints the real table's. Each table and each
//! policy runs inside a savepoint, so one bad expression is reported by
//! name while the others are still checked; the caller rolls everything
//! back.
//!
//! Every statement travels alone in its own protocol message (see
//! `pipeline.rs`), so an expression can never end its statement and start
//! another, whatever characters it holds. What the text can still do is
//! add a clause to its own `CREATE POLICY`: after `USING (…)` the only
//! clause left is `WITH CHECK`, so each creation is read back and a
//! `WITH CHECK` that was not asked for is refused.

use crate::model::{Policy, TableName};
use crate::sql::policies::qualified;
use crate::sql::quote::{ident, literal};

/// How long planning waits for a lock on a table (only ACCESS SHARE is
/// asked for; it waits only behind an ACCESS EXCLUSIVE lock).
pub(super) const LOCK_TIMEOUT: &str = "3s";

/// Reads a policy of the temporary table back: `$1` the table, `$2` the
/// policy's name.
const READ_BACK: &str = "SELECT pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS using_expr, \
    pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS with_check_expr \
    FROM pg_catalog.pg_policy p \
    WHERE p.polrelid = pg_catalog.to_regclass($1) AND p.polname = $2";

/// One table and the policies on it to canonicalise (indexes into the
/// caller's list).
pub(super) struct TableBatch<'a> {
    pub table: &'a TableName,
    pub policies: Vec<(usize, &'a Policy)>,
}

/// What a statement of the script is for, to read its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    /// Transaction and session set-up, savepoints and rollbacks.
    Frame,
    /// Creating the temporary copy of table `t`.
    CopyTable(usize),
    /// Creating (or altering) policy `p`; the stage names the expression.
    Parse(usize, Stage),
    /// Reading policy `p` back after `stage`.
    ReadBack(usize, Stage),
}

/// Which expression a statement parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    Using,
    WithCheck,
    /// A policy with neither expression.
    Policy,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Using => "using",
            Stage::WithCheck => "with_check",
            Stage::Policy => "policy",
        }
    }
}

/// One statement: its text, its text parameters and what it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ScriptStep {
    pub sql: String,
    pub params: Vec<String>,
    pub purpose: Purpose,
}

fn frame(sql: impl Into<String>) -> ScriptStep {
    ScriptStep {
        sql: sql.into(),
        params: Vec::new(),
        purpose: Purpose::Frame,
    }
}

/// The whole script: begin, session settings, each table's copy and its
/// policies, rollback. The search path puts `pg_temp` last, so names in
/// expressions resolve to the real tables (as in the live policies), not
/// to the temporary copies. `standard_conforming_strings` is on, as in
/// every pgfort session, so a backslash in an expression means what it
/// will mean when the policy is created.
pub(super) fn script(tables: &[TableBatch<'_>]) -> Vec<ScriptStep> {
    let mut steps = vec![
        frame("BEGIN"),
        frame(format!(
            "SET LOCAL lock_timeout = {}",
            literal(LOCK_TIMEOUT)
        )),
        frame("SET LOCAL standard_conforming_strings = on"),
        frame(
            "SELECT pg_catalog.set_config('search_path', CASE pg_catalog.current_setting('search_path') \
             WHEN '' THEN 'pg_temp' ELSE pg_catalog.current_setting('search_path') || ', pg_temp' END, true)",
        ),
    ];
    for (t, batch) in tables.iter().enumerate() {
        let temp = format!("pg_temp.{}", ident(&batch.table.name));
        steps.push(frame("SAVEPOINT pgfort_table"));
        steps.push(ScriptStep {
            sql: format!(
                "CREATE TEMPORARY TABLE {} (LIKE {})",
                ident(&batch.table.name),
                qualified(batch.table)
            ),
            params: Vec::new(),
            purpose: Purpose::CopyTable(t),
        });
        for (index, policy) in &batch.policies {
            steps.push(frame("SAVEPOINT pgfort_policy"));
            steps.extend(policy_steps(*index, policy, &temp));
            steps.push(frame("ROLLBACK TO SAVEPOINT pgfort_policy"));
        }
        steps.push(frame("ROLLBACK TO SAVEPOINT pgfort_table"));
    }
    steps.push(frame("ROLLBACK"));
    steps
}

/// Creates policy `index` on the temporary table, USING first and WITH
/// CHECK second (so an error says which of the two is wrong), reading it
/// back after each.
fn policy_steps(index: usize, policy: &Policy, temp: &str) -> Vec<ScriptStep> {
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
    let mut parses = Vec::new();
    match (&policy.using, &policy.with_check) {
        (Some(using), check) => {
            create.push_str(&format!(" USING ({})", using.sql));
            parses.push((Stage::Using, create));
            if let Some(check) = check {
                let alter = format!("ALTER POLICY {name} ON {temp} WITH CHECK ({})", check.sql);
                parses.push((Stage::WithCheck, alter));
            }
        }
        (None, Some(check)) => {
            create.push_str(&format!(" WITH CHECK ({})", check.sql));
            parses.push((Stage::WithCheck, create));
        }
        (None, None) => parses.push((Stage::Policy, create)),
    }
    let mut steps = Vec::new();
    for (stage, sql) in parses {
        steps.push(ScriptStep {
            sql,
            params: Vec::new(),
            purpose: Purpose::Parse(index, stage),
        });
        steps.push(ScriptStep {
            sql: READ_BACK.to_owned(),
            params: vec![temp.to_owned(), name.clone()],
            purpose: Purpose::ReadBack(index, stage),
        });
    }
    steps
}

/// The server's error, as far as the diagnosis needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Failure {
    pub sqlstate: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

/// "current transaction is aborted": a consequence of an earlier error,
/// never a cause.
const ABORTED: &str = "25P02";

/// What the server answered to one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Answer {
    /// A statement without rows, or whose rows are not needed.
    Done,
    /// A read-back: the policy's expressions, or `None` when not found.
    Policy(Option<(Option<String>, Option<String>)>),
    Failed(Failure),
}

/// One entry of the results: a policy's canonical expressions, or the
/// error of a policy (`policy` set) or of a whole table (`table` set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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

    /// An error of the whole script rather than of a table or policy.
    pub fn is_global_error(&self) -> bool {
        self.is_error() && self.table.is_none() && self.policy.is_none()
    }

    fn failed(
        policy: Option<usize>,
        table: Option<usize>,
        stage: Option<Stage>,
        f: &Failure,
    ) -> Self {
        Outcome {
            policy,
            table,
            stage: stage.map(|s| s.as_str().to_owned()),
            sqlstate: Some(f.sqlstate.clone()),
            message: Some(f.message.clone()),
            detail: f.detail.clone(),
            hint: f.hint.clone(),
            ..Default::default()
        }
    }
}

/// Reads the answers (one per step, in order) into one outcome per table
/// that failed and per policy. Once a statement fails, what follows fails
/// because of it until a rollback to a savepoint succeeds; a frame
/// statement (set-up, savepoint) that fails on its own fails everything
/// and is reported with neither table nor policy.
pub(super) fn interpret(steps: &[ScriptStep], answers: &[Answer]) -> Vec<Outcome> {
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut failed_policies = Vec::new();
    let mut aborted = false;
    for (step, answer) in steps.iter().zip(answers) {
        match (step.purpose, answer) {
            (Purpose::Frame, Answer::Done) if step.sql.starts_with("ROLLBACK TO") => {
                aborted = false;
            }
            (_, Answer::Failed(f)) if aborted || f.sqlstate == ABORTED => {}
            (Purpose::Frame, Answer::Failed(f)) => {
                aborted = true;
                outcomes.push(Outcome::failed(None, None, None, f));
            }
            (Purpose::CopyTable(t), Answer::Failed(f)) => {
                aborted = true;
                outcomes.push(Outcome::failed(None, Some(t), None, f));
            }
            (Purpose::Parse(p, stage) | Purpose::ReadBack(p, stage), Answer::Failed(f)) => {
                aborted = true;
                if !failed_policies.contains(&p) {
                    failed_policies.push(p);
                    outcomes.push(Outcome::failed(Some(p), None, Some(stage), f));
                }
            }
            (Purpose::ReadBack(p, stage), Answer::Policy(found)) => {
                if failed_policies.contains(&p) {
                    continue;
                }
                let problem = match found {
                    None => Some("the policy was not found after creating it"),
                    Some((_, Some(_))) if stage == Stage::Using => Some(
                        "the USING expression is not one expression: the text after it adds a WITH CHECK clause",
                    ),
                    _ => None,
                };
                if let Some(message) = problem {
                    failed_policies.push(p);
                    let failure = Failure {
                        sqlstate: "42601".to_owned(),
                        message: message.to_owned(),
                        ..Default::default()
                    };
                    outcomes.push(Outcome::failed(Some(p), None, Some(stage), &failure));
                    continue;
                }
                let (using, with_check) = found.clone().unwrap_or_default();
                match outcomes.iter_mut().find(|o| o.policy == Some(p)) {
                    Some(outcome) => {
                        outcome.using = using;
                        outcome.with_check = with_check;
                    }
                    None => outcomes.push(Outcome {
                        policy: Some(p),
                        using,
                        with_check,
                        ..Default::default()
                    }),
                }
            }
            _ => {}
        }
    }
    outcomes
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

    fn texts(steps: &[ScriptStep]) -> Vec<&str> {
        steps.iter().map(|s| s.sql.as_str()).collect()
    }

    #[test]
    fn script_creates_copies_checks_each_expression_alone_and_rolls_back() {
        let p = policy(Some("owner_id = 1"), Some("owner_id = 2"));
        let steps = script(&[TableBatch {
            table: &p.table,
            policies: vec![(7, &p)],
        }]);
        let sql = texts(&steps);
        assert_eq!(sql[0], "BEGIN");
        assert_eq!(sql[1], "SET LOCAL lock_timeout = '3s'");
        assert_eq!(sql[2], "SET LOCAL standard_conforming_strings = on");
        assert_eq!(*sql.last().unwrap(), "ROLLBACK");
        assert!(sql.contains(&"CREATE TEMPORARY TABLE documents (LIKE public.documents)"));
        assert!(sql.contains(
            &"CREATE POLICY p7 ON pg_temp.documents AS PERMISSIVE FOR ALL TO PUBLIC USING (owner_id = 1)"
        ));
        assert!(sql.contains(&"ALTER POLICY p7 ON pg_temp.documents WITH CHECK (owner_id = 2)"));
        assert!(
            !sql.iter().any(|s| s.contains("app_user")),
            "roles are not needed"
        );
        // The expression is never inside another statement's text.
        let holding: Vec<&&str> = sql.iter().filter(|s| s.contains("owner_id = 1")).collect();
        assert_eq!(holding.len(), 1);
        assert!(holding[0].starts_with("CREATE POLICY"));
        let reads: Vec<&ScriptStep> = steps
            .iter()
            .filter(|s| matches!(s.purpose, Purpose::ReadBack(7, _)))
            .collect();
        assert_eq!(reads.len(), 2);
        assert_eq!(reads[0].params, vec!["pg_temp.documents", "p7"]);
    }

    fn fail(sqlstate: &str, message: &str) -> Answer {
        Answer::Failed(Failure {
            sqlstate: sqlstate.into(),
            message: message.into(),
            ..Default::default()
        })
    }

    fn answers_for(steps: &[ScriptStep], pick: impl Fn(&ScriptStep) -> Answer) -> Vec<Answer> {
        steps.iter().map(pick).collect()
    }

    #[test]
    fn answers_become_canonical_text() {
        let p = policy(Some("a=1"), Some("a=2"));
        let steps = script(&[TableBatch {
            table: &p.table,
            policies: vec![(0, &p)],
        }]);
        let answers = answers_for(&steps, |s| match s.purpose {
            Purpose::ReadBack(_, Stage::Using) => {
                Answer::Policy(Some((Some("(a = 1)".into()), None)))
            }
            Purpose::ReadBack(_, _) => {
                Answer::Policy(Some((Some("(a = 1)".into()), Some("(a = 2)".into()))))
            }
            _ => Answer::Done,
        });
        let outcomes = interpret(&steps, &answers);
        assert_eq!(outcomes.len(), 1);
        assert_eq!(outcomes[0].using.as_deref(), Some("(a = 1)"));
        assert_eq!(outcomes[0].with_check.as_deref(), Some("(a = 2)"));
        assert!(!outcomes[0].is_error());
    }

    #[test]
    fn a_smuggled_with_check_is_refused() {
        let p = policy(Some("true) WITH CHECK (true"), None);
        let steps = script(&[TableBatch {
            table: &p.table,
            policies: vec![(0, &p)],
        }]);
        let answers = answers_for(&steps, |s| match s.purpose {
            Purpose::ReadBack(..) => {
                Answer::Policy(Some((Some("true".into()), Some("true".into()))))
            }
            _ => Answer::Done,
        });
        let outcomes = interpret(&steps, &answers);
        assert!(outcomes[0].is_error());
        assert_eq!(outcomes[0].stage.as_deref(), Some("using"));
    }

    #[test]
    fn the_first_error_is_the_cause_and_aborted_ones_are_not() {
        let a = policy(Some("nope = 1"), None);
        let b = policy(Some("a = 1"), None);
        let steps = script(&[TableBatch {
            table: &a.table,
            policies: vec![(0, &a), (1, &b)],
        }]);
        let mut seen_error = false;
        let answers = answers_for(&steps, |s| match s.purpose {
            Purpose::Parse(0, _) => fail("42703", "column \"nope\" does not exist"),
            Purpose::ReadBack(0, _) => fail(ABORTED, "aborted"),
            Purpose::ReadBack(1, _) => Answer::Policy(Some((Some("(a = 1)".into()), None))),
            _ => Answer::Done,
        });
        for outcome in interpret(&steps, &answers) {
            if outcome.policy == Some(0) {
                assert_eq!(outcome.sqlstate.as_deref(), Some("42703"));
                seen_error = true;
            } else {
                assert_eq!(outcome.using.as_deref(), Some("(a = 1)"));
            }
        }
        assert!(seen_error);
    }

    #[test]
    fn a_table_that_cannot_be_copied_is_reported() {
        let p = policy(Some("a = 1"), None);
        let steps = script(&[TableBatch {
            table: &p.table,
            policies: vec![(0, &p)],
        }]);
        let answers = answers_for(&steps, |s| match s.purpose {
            Purpose::CopyTable(_) => fail("25006", "read-only"),
            Purpose::Parse(..) | Purpose::ReadBack(..) => fail(ABORTED, "aborted"),
            _ => Answer::Done,
        });
        let outcomes = interpret(&steps, &answers);
        assert_eq!(outcomes.len(), 1);
        assert_eq!(outcomes[0].table, Some(0));
        assert_eq!(outcomes[0].sqlstate.as_deref(), Some("25006"));
    }
}
