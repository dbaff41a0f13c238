//! The only writer to servers: runs a plan's statements in transactions, in
//! batches (one round trip per batch), one transaction per target.

mod certificates;
mod hba;
pub mod hba_marker;
pub mod lock;
mod reload;
pub mod restart;
mod system;

use std::collections::BTreeMap;

use crate::connect::ConnectionSettings;
use crate::inspect::Db;
use crate::inspect::pipeline::first_error;
use crate::plan::{Plan, Statement, Target};

/// Statements sent per round trip at most.
pub const BATCH_STATEMENTS: usize = 2000;
/// Bytes of SQL sent per round trip at most.
pub const BATCH_BYTES: usize = 1 << 20;

/// A failed apply, with the server's diagnostics kept.
#[derive(Debug, Clone, Default, thiserror::Error)]
#[error("{message}")]
pub struct ApplyError {
    pub message: String,
    /// The statement that failed, passwords redacted.
    pub statement: Option<String>,
    pub sqlstate: Option<String>,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

impl ApplyError {
    pub(crate) fn from_db(
        context: &str,
        err: &tokio_postgres::Error,
        statement: Option<String>,
    ) -> Self {
        match err.as_db_error() {
            Some(db) => ApplyError {
                message: format!("{context}: {}", db.message()),
                statement,
                sqlstate: Some(db.code().code().to_owned()),
                detail: db.detail().map(str::to_owned),
                hint: db.hint().map(str::to_owned),
            },
            None => ApplyError {
                message: format!("{context}: {err}"),
                statement,
                ..Default::default()
            },
        }
    }
}

/// What an apply did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplyReport {
    pub statements: usize,
    pub transactions: usize,
    pub round_trips: u64,
}

/// Consecutive statements for the same target: one transaction.
struct Unit<'a> {
    target: &'a Target,
    statements: Vec<&'a Statement>,
}

fn units<'a>(statements: &[&'a Statement]) -> Vec<Unit<'a>> {
    let mut units: Vec<Unit<'a>> = Vec::new();
    for statement in statements {
        match units.last_mut() {
            // Non-transactional statements each stand alone.
            Some(unit)
                if unit.target == &statement.target
                    && statement.target != Target::NonTransactional =>
            {
                unit.statements.push(statement)
            }
            _ => units.push(Unit {
                target: &statement.target,
                statements: vec![statement],
            }),
        }
    }
    units
}

/// How apply may reach the server beyond SQL.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApplyOptions {
    /// pgfort runs on the server's host (sandbox or --pgdata): server files
    /// it can write are written directly rather than over SQL.
    pub local_files: bool,
}

/// Runs the plan. `main` is the connection the plan was computed on;
/// per-database work opens connections from `settings`. `progress` is told
/// how many statements are done out of how many.
pub async fn apply(
    main: &Db,
    settings: &ConnectionSettings,
    plan: &Plan,
    progress: &dyn Fn(usize, usize),
) -> Result<ApplyReport, ApplyError> {
    apply_with(main, settings, plan, progress, ApplyOptions::default()).await
}

/// [`apply`] with options.
pub async fn apply_with(
    main: &Db,
    settings: &ConnectionSettings,
    plan: &Plan,
    progress: &dyn Fn(usize, usize),
    options: ApplyOptions,
) -> Result<ApplyReport, ApplyError> {
    let (system_statements, statements): (Vec<&Statement>, Vec<&Statement>) = plan
        .statements()
        .into_iter()
        .filter(|statement| !hba::handles(statement.phase))
        .partition(|statement| system::handles(statement.phase));
    let total = statements.len() + system_statements.len();
    if let Some(write) = &plan.hba {
        hba::check_applicable(write)?;
    }
    let mut report = ApplyReport::default();
    // Files on this machine first: a failure here changes no server.
    let prepared = certificates::prepare(&plan.tls)?;
    let mut others: BTreeMap<String, Db> = BTreeMap::new();
    for unit in units(&statements) {
        let db = match unit.target {
            Target::Database(name) if *name != settings.dbname => {
                if !others.contains_key(name) {
                    let client = crate::connect::connect(&settings.with_dbname(name))
                        .await
                        .map_err(|e| ApplyError {
                            message: format!("connecting to database \"{name}\": {e}"),
                            ..Default::default()
                        })?;
                    others.insert(name.clone(), Db::new(client));
                }
                others.get(name).unwrap_or(main)
            }
            _ => main,
        };
        run_unit(db, &unit, &mut report, total, progress).await?;
    }
    // Server settings come last in execution order: catalog work first.
    // Certificate files go in just before the settings that point at them.
    let files = match &prepared.server {
        Some(material) => {
            Some(certificates::server::install(main, material, options.local_files).await?)
        }
        None => None,
    };
    let settings_before =
        match system::apply(main, &system_statements, &mut report, total, progress).await {
            Ok(before) => before,
            Err(err) => return Err(put_back_files(main, files.as_ref(), err).await),
        };
    if let Some((spec, authority)) = &plan.tls.verify {
        let expected = prepared
            .server
            .as_ref()
            .and_then(|m| m.cert_pem.as_deref())
            .and_then(|pem| crate::tls::pem_to_der(pem).ok())
            .and_then(|ders| ders.into_iter().next());
        let verified =
            certificates::server::verify(main, settings, spec, authority, expected.as_deref())
                .await;
        if let Err(err) = verified {
            let err = put_back_files(main, files.as_ref(), err).await;
            return Err(roll_back_settings(main, settings_before.as_ref(), err).await);
        }
    }
    // pg_hba.conf last: new rules may name roles created above.
    if let Some(write) = &plan.hba {
        hba::apply(main, settings, write, options.local_files, &mut report).await?;
    }
    report.round_trips = main.round_trips() + others.values().map(Db::round_trips).sum::<u64>();
    Ok(report)
}

async fn put_back_files(
    db: &Db,
    files: Option<&certificates::server::Backup>,
    err: ApplyError,
) -> ApplyError {
    match files {
        Some(backup) => certificates::server::restore(db, backup, err).await,
        None => err,
    }
}

/// Puts the settings back after the certificate check failed, and reloads
/// (also when no setting changed: the restored files must be loaded).
async fn roll_back_settings(
    db: &Db,
    before: Option<&system::Snapshot>,
    mut err: ApplyError,
) -> ApplyError {
    let outcome = match before {
        Some(before) => system::roll_back(db, before).await,
        None => certificates::server::reload(db)
            .await
            .map(drop)
            .map_err(|e| e.message),
    };
    let note = match outcome {
        Ok(()) => "the previous SSL settings were restored and reloaded".to_owned(),
        Err(why) => format!(
            "restoring the previous SSL settings failed ({why}): check postgresql.auto.conf"
        ),
    };
    err.hint = Some(match err.hint.take() {
        Some(hint) => format!("{hint}\n{note}"),
        None => note,
    });
    err
}

/// One transaction: `BEGIN` rides on the first batch and `COMMIT` on the
/// last, so a unit of N statements costs ceil(N / batch) round trips.
/// Every statement is its own protocol message (see
/// [`crate::inspect::pipeline`]), so none can carry a second one. A
/// non-transactional unit is one statement sent alone.
async fn run_unit(
    db: &Db,
    unit: &Unit<'_>,
    report: &mut ApplyReport,
    total: usize,
    progress: &dyn Fn(usize, usize),
) -> Result<(), ApplyError> {
    if *unit.target == Target::NonTransactional {
        for statement in &unit.statements {
            db.execute_one(&statement.for_execution())
                .await
                .map_err(|err| {
                    ApplyError::from_db("applying changes", &err, Some(statement.redacted()))
                })?;
            report.statements += 1;
            progress(report.statements, total);
        }
        return Ok(());
    }
    let batches = batches(&unit.statements);
    let last = batches.len().saturating_sub(1);
    for (index, batch) in batches.iter().enumerate() {
        let mut texts: Vec<String> = Vec::with_capacity(batch.len() + 2);
        let offset = usize::from(index == 0);
        if index == 0 {
            texts.push("BEGIN".to_owned());
        }
        texts.extend(render_for_execution(batch));
        if index == last {
            texts.push("COMMIT".to_owned());
        }
        let results = db.pipeline_texts(&texts).await;
        drop(texts);
        if let Some((position, err)) = first_error(&results) {
            // A COMMIT after an error rolls back by itself; otherwise the
            // transaction is still open (and aborted).
            let _ = db.execute_one("ROLLBACK").await;
            let statement = position
                .checked_sub(offset)
                .and_then(|i| batch.get(i))
                .map(|s| s.redacted());
            return Err(ApplyError::from_db(
                "applying changes (rolled back)",
                err,
                statement,
            ));
        }
        report.statements += batch.len();
        progress(report.statements, total);
    }
    report.transactions += 1;
    Ok(())
}

fn batches<'a>(statements: &[&'a Statement]) -> Vec<Vec<&'a Statement>> {
    let mut batches: Vec<Vec<&'a Statement>> = Vec::new();
    let mut bytes = 0;
    for statement in statements {
        let size = statement.redacted().len();
        match batches.last_mut() {
            Some(batch) if batch.len() < BATCH_STATEMENTS && bytes + size <= BATCH_BYTES => {
                batch.push(statement);
                bytes += size;
            }
            _ => {
                batches.push(vec![statement]);
                bytes = size;
            }
        }
    }
    batches
}

/// Renders statements for execution. Passwords are hashed here (PBKDF2 is
/// deliberately slow), so the statements holding them are spread over the
/// cores.
fn render_for_execution(statements: &[&Statement]) -> Vec<String> {
    let sensitive: Vec<usize> = (0..statements.len())
        .filter(|&i| statements[i].is_sensitive())
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut out: Vec<Option<String>> = vec![None; statements.len()];
    if sensitive.len() >= 4 && threads > 1 {
        let chunk = sensitive.len().div_ceil(threads);
        let rendered: Vec<(usize, String)> = std::thread::scope(|scope| {
            let handles: Vec<_> = sensitive
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|&i| (i, statements[i].for_execution()))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| {
                    h.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        for (i, text) in rendered {
            out[i] = Some(text);
        }
    }
    out.into_iter()
        .zip(statements)
        .map(|(done, statement)| done.unwrap_or_else(|| statement.for_execution()))
        .collect()
}
