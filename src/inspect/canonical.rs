//! Desired policy expressions in the server's own words, so that the diff
//! compares like with like: `pg_get_expr` prints a parsed expression
//! (`owner_id = current_setting('app.user_id')::int` comes back as
//! `(owner_id = (current_setting('app.user_id'::text))::integer)`), and
//! only the server can parse the desired text the same way.
//!
//! Locks: `CREATE POLICY` on a real table takes an ACCESS EXCLUSIVE lock on
//! it, even in a transaction that is rolled back, so planning never does
//! that. It copies each table's columns into a temporary table
//! (`CREATE TEMPORARY TABLE t (LIKE schema.t)`), creates the policies on
//! the copy, reads them back and rolls back. On the real tables (and on
//! tables the expressions name) that takes only ACCESS SHARE locks, which
//! conflict with nothing but ACCESS EXCLUSIVE (e.g. a running ALTER TABLE);
//! `lock_timeout` keeps planning from queueing behind one for long. All
//! locks end with the rollback. The planning role needs SELECT on the
//! tables and TEMPORARY on the database, and a writable session: temporary
//! tables cannot be created on a hot standby or in a read-only transaction.
//!
//! Cost: one round trip per database with declared policies (whatever
//! their number), on a connection of its own except for the main
//! connection's database.

use std::borrow::Cow;
use std::collections::BTreeMap;

use futures_util::{StreamExt as _, TryStreamExt as _, stream};

use super::canonical_sql::{
    self, Answer, Failure, LOCK_TIMEOUT, Outcome, Purpose, ScriptStep, TableBatch,
};
use super::pipeline::{Step, StepResult};
use super::{Db, InspectCause, InspectError, Live};
use crate::connect::{self, ConnectionSettings};
use crate::model::{Policy, PolicyKey, ServerState};

/// Databases checked at the same time, each holding one connection.
const CONCURRENT_DATABASES: usize = 8;

/// Why desired policies could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum PolicyCheckError {
    /// The server refused an expression: the configuration is wrong.
    #[error(
        "policy \"{policy}\" on {database}.{table}{}: invalid {stage}: {message}",
        origin.as_ref().map(|o| format!(" (declared at {o})")).unwrap_or_default()
    )]
    Expression {
        policy: String,
        database: String,
        table: String,
        origin: Option<String>,
        /// `USING expression`, `WITH CHECK expression` or `policy`.
        stage: String,
        message: String,
        sqlstate: String,
        detail: Option<String>,
        hint: Option<String>,
    },
    /// A temporary table could not be made for a table (read-only session,
    /// lock timeout, missing privilege).
    #[error("cannot check the policies of table {database}.{table}: {message}")]
    Table {
        database: String,
        table: String,
        message: String,
        sqlstate: String,
        hint: Option<String>,
    },
    #[error(transparent)]
    Inspect(#[from] InspectError),
}

impl PolicyCheckError {
    /// Whether the configuration is at fault (rather than the server).
    pub fn is_usage(&self) -> bool {
        matches!(self, PolicyCheckError::Expression { .. })
    }

    /// Ways forward, for the error's `hint:` lines.
    pub fn hints(&self) -> Vec<String> {
        match self {
            PolicyCheckError::Expression {
                sqlstate,
                detail,
                hint,
                ..
            } => {
                let mut hints: Vec<String> =
                    detail.iter().map(|d| format!("detail: {d}")).collect();
                hints.extend(hint.clone());
                hints.push(format!(
                    "SQLSTATE {sqlstate}; the expression was parsed against the table's columns, nothing was changed"
                ));
                hints
            }
            PolicyCheckError::Table { sqlstate, hint, .. } => {
                let mut hints: Vec<String> = hint.iter().cloned().collect();
                hints.push(table_hint(sqlstate));
                hints.push(format!("SQLSTATE {sqlstate}"));
                hints
            }
            PolicyCheckError::Inspect(_) => Vec::new(),
        }
    }
}

fn table_hint(sqlstate: &str) -> String {
    match sqlstate {
        // read_only_sql_transaction: a hot standby, or default_transaction_read_only.
        "25006" => "planning policies needs a writable session, to parse the expressions on \
                    temporary copies of the tables: connect to the primary, not a standby, \
                    and without default_transaction_read_only"
            .to_owned(),
        // lock_not_available
        "55P03" => format!(
            "another session holds an ACCESS EXCLUSIVE lock on the table (e.g. a running ALTER TABLE); \
             planning waited {LOCK_TIMEOUT}: try again when it is done"
        ),
        // insufficient_privilege
        "42501" => "the role pgfort connects as needs SELECT on the table and TEMPORARY on the \
                    database, to parse policy expressions on a temporary copy of the table"
            .to_owned(),
        _ => "nothing was changed".to_owned(),
    }
}

/// The desired state with every policy expression's canonical text filled
/// in, for the policies whose table exists (the diff reports the others);
/// borrowed unchanged when no policy needs it. Also returns the queries
/// made on connections other than `db`.
pub async fn canonicalize_policies<'a>(
    db: &Db,
    settings: &ConnectionSettings,
    desired: &'a ServerState,
    live: &Live,
) -> Result<(Cow<'a, ServerState>, u64), PolicyCheckError> {
    let work: Vec<(&str, Vec<&Policy>)> = desired
        .catalogs
        .iter()
        .filter_map(|(database, catalog)| {
            let live_catalog = live.state.catalogs.get(database)?;
            let policies: Vec<&Policy> = catalog
                .policies
                .values()
                .filter(|p| live_catalog.tables.contains_key(&p.table))
                .collect();
            (!policies.is_empty()).then_some((database.as_str(), policies))
        })
        .collect();
    if work.is_empty() {
        return Ok((Cow::Borrowed(desired), 0));
    }
    let current = live.facts.current_database.as_str();
    let results: Vec<(&str, BTreeMap<PolicyKey, Outcome>, u64)> = stream::iter(work)
        .map(|(database, policies)| check_in(db, settings, current, database, policies))
        .buffer_unordered(CONCURRENT_DATABASES)
        .try_collect()
        .await?;
    let mut state = desired.clone();
    let mut round_trips = 0;
    for (database, outcomes, trips) in results {
        round_trips += trips;
        let Some(catalog) = state.catalogs.get_mut(database) else {
            continue;
        };
        for (key, outcome) in outcomes {
            if let Some(policy) = catalog.policies.get_mut(&key) {
                if let Some(using) = &mut policy.using {
                    using.canonical = outcome.using;
                }
                if let Some(check) = &mut policy.with_check {
                    check.canonical = outcome.with_check;
                }
            }
        }
    }
    Ok((Cow::Owned(state), round_trips))
}

/// Checks the policies of `database` on the main connection when it is
/// that database's, else on a connection of its own.
async fn check_in<'p>(
    db: &Db,
    settings: &ConnectionSettings,
    current: &str,
    database: &'p str,
    policies: Vec<&Policy>,
) -> Result<(&'p str, BTreeMap<PolicyKey, Outcome>, u64), PolicyCheckError> {
    if database == current {
        let found = check_database(db, database, &policies).await?;
        return Ok((database, found, 0));
    }
    let client = connect::connect(&settings.with_dbname(database))
        .await
        .map_err(|source| InspectError {
            what: "policy expressions",
            database: Some(database.to_owned()),
            source: InspectCause::Connect(source),
        })?;
    let other = Db::new(client);
    let found = check_database(&other, database, &policies).await?;
    Ok((database, found, other.round_trips()))
}

/// One round trip for all of `policies` (all in `database`); any error the
/// server reports for one of them fails the whole.
async fn check_database(
    db: &Db,
    database: &str,
    policies: &[&Policy],
) -> Result<BTreeMap<PolicyKey, Outcome>, PolicyCheckError> {
    let mut tables: Vec<TableBatch<'_>> = Vec::new();
    for (index, policy) in policies.iter().enumerate() {
        match tables.iter_mut().find(|t| *t.table == policy.table) {
            Some(batch) => batch.policies.push((index, policy)),
            None => tables.push(TableBatch {
                table: &policy.table,
                policies: vec![(index, policy)],
            }),
        }
    }
    let script = canonical_sql::script(&tables);
    let params: Vec<Vec<&str>> = script
        .iter()
        .map(|s| s.params.iter().map(String::as_str).collect())
        .collect();
    let steps: Vec<Step<'_>> = script
        .iter()
        .zip(&params)
        .map(|(s, p)| Step::with_params(&s.sql, p))
        .collect();
    let results = db.pipeline(&steps).await;
    let answers: Vec<Answer> = script
        .iter()
        .zip(&results)
        .map(|(step, result)| answer(step, result))
        .collect();
    let outcomes = canonical_sql::interpret(&script, &answers);
    let mut found = BTreeMap::new();
    for outcome in outcomes {
        if outcome.is_global_error() || outcome.table.is_some() {
            let table = outcome
                .table
                .and_then(|t| tables.get(t))
                .map_or_else(|| "(all)".to_owned(), |b| b.table.to_string());
            return Err(PolicyCheckError::Table {
                database: database.to_owned(),
                table,
                message: outcome.message.unwrap_or_default(),
                sqlstate: outcome.sqlstate.unwrap_or_default(),
                hint: outcome.hint,
            });
        }
        let Some(policy) = outcome.policy.and_then(|i| policies.get(i)) else {
            continue;
        };
        if outcome.is_error() {
            let sqlstate = outcome.sqlstate.clone().unwrap_or_default();
            if !is_environmental(&sqlstate) {
                return Err(expression_error(policy, outcome));
            }
            return Err(PolicyCheckError::Table {
                database: database.to_owned(),
                table: policy.table.to_string(),
                message: format!(
                    "policy \"{}\": {}",
                    policy.name,
                    outcome.message.unwrap_or_default()
                ),
                sqlstate,
                hint: outcome.hint,
            });
        }
        found.insert((policy.table.clone(), policy.name.clone()), outcome);
    }
    Ok(found)
}

/// The server's answer to one step, as the interpretation needs it.
fn answer(step: &ScriptStep, result: &StepResult) -> Answer {
    match result {
        Err(error) => Answer::Failed(match error.as_db_error() {
            Some(db) => Failure {
                sqlstate: db.code().code().to_owned(),
                message: db.message().to_owned(),
                detail: db.detail().map(str::to_owned),
                hint: db.hint().map(str::to_owned),
            },
            None => Failure {
                sqlstate: "08006".to_owned(),
                message: error.to_string(),
                ..Default::default()
            },
        }),
        Ok(rows) if matches!(step.purpose, Purpose::ReadBack(..)) => {
            Answer::Policy(rows.first().map(|row| {
                (
                    row.get::<_, Option<String>>(0),
                    row.get::<_, Option<String>>(1),
                )
            }))
        }
        Ok(_) => Answer::Done,
    }
}

/// Errors about the session or the server (a lock, a read-only
/// transaction, a cancellation, resources) rather than about the text.
fn is_environmental(sqlstate: &str) -> bool {
    matches!(sqlstate, "55P03" | "25006" | "57014") || sqlstate.starts_with("53")
}

fn expression_error(policy: &Policy, outcome: Outcome) -> PolicyCheckError {
    let stage = match outcome.stage.as_deref() {
        Some("using") => "USING expression",
        Some("with_check") => "WITH CHECK expression",
        _ => "policy",
    };
    PolicyCheckError::Expression {
        policy: policy.name.clone(),
        database: policy.database.clone(),
        table: policy.table.to_string(),
        origin: policy.origin.clone(),
        stage: stage.to_owned(),
        message: outcome.message.unwrap_or_default(),
        sqlstate: outcome.sqlstate.unwrap_or_default(),
        detail: outcome.detail,
        hint: outcome.hint,
    }
}
