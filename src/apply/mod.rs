//! The only writer to servers: runs a plan's statements in transactions, in
//! batches (one round trip per batch), one transaction per target.

mod certificates;
mod hba;
pub mod hba_marker;
pub mod lock;
mod patroni;
mod pgbouncer;
mod reload;
pub mod restart;
mod system;
mod tls_handover;

mod blockers;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::connect::ConnectionSettings;
use crate::inspect::Db;
use crate::inspect::pipeline::{Step, first_error};
use crate::plan::{Plan, Statement, Target, combine};
use crate::render::display_safe;

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
    /// (Boxed: errors stay small.)
    pub sqlstate: Option<Box<str>>,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// What the run committed before the failure and what it did not
    /// (boxed: errors stay small).
    pub outcome: Option<Box<Outcome>>,
}

/// Lines saying what an apply committed before it failed, and what not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub lines: Vec<String>,
    /// The plan address the failing statement comes from, and where the
    /// configuration declares it (`role.app (main.hcl:3:1)`).
    pub origin: Option<String>,
}

impl ApplyError {
    /// The lines of [`ApplyError::outcome`].
    pub fn outcome_lines(&self) -> &[String] {
        self.outcome.as_deref().map_or(&[], |o| &o.lines)
    }

    /// See [`Outcome::origin`].
    pub fn origin(&self) -> Option<&str> {
        self.outcome.as_deref().and_then(|o| o.origin.as_deref())
    }

    /// Names the change of `plan` the failing statement comes from, with
    /// `location(address)` when the configuration is at hand.
    pub fn locate(mut self, plan: &Plan, location: impl Fn(&str) -> Option<String>) -> Self {
        let change = self.statement.as_deref().and_then(|s| plan.change_of(s));
        if let Some(change) = change {
            let at = location(&change.address)
                .map(|at| format!(" ({at})"))
                .unwrap_or_default();
            self.outcome.get_or_insert_default().origin = Some(format!("{}{at}", change.address));
        }
        self
    }

    fn push_outcome(&mut self, line: String) {
        self.outcome.get_or_insert_default().lines.push(line);
    }
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
                sqlstate: Some(db.code().code().into()),
                detail: db.detail().map(str::to_owned),
                hint: db.hint().map(str::to_owned),
                ..Default::default()
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
#[derive(Debug, Clone, Default)]
pub struct ApplyReport {
    pub statements: usize,
    pub transactions: usize,
    pub round_trips: u64,
    /// Set when the apply switched to TLS to write pg_hba.conf (see
    /// [`crate::model::TlsHandover`]): the settings that reach the server
    /// under the new rules, for whatever runs after the apply.
    pub reconnected: Option<ConnectionSettings>,
    /// What the apply wants said (PgBouncer reloaded, or to be reloaded).
    pub notes: Vec<String>,
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

/// `lock_timeout` of apply sessions unless told otherwise.
pub const DEFAULT_STATEMENT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);
/// `idle_in_transaction_session_timeout` of apply sessions: the server
/// ends a transaction pgfort left open (pgfort killed, network gone) after
/// this long, so it neither commits nor keeps its locks.
pub const IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(60);

/// How apply may reach the server beyond SQL, and how long it waits.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// pgfort runs on the server's host (sandbox or --pgdata): server files
    /// it can write are written directly rather than over SQL.
    pub local_files: bool,
    /// `lock_timeout` of every apply session: a statement waiting longer
    /// for a table lock fails (55P03) and its transaction rolls back, so
    /// apply neither waits forever behind another transaction nor queues an
    /// ACCESS EXCLUSIVE request that blocks every reader meanwhile. Zero
    /// waits forever.
    pub statement_lock_timeout: Duration,
    /// The session holding the apply lock ([`lock::acquire`]): every
    /// transaction checks, before it commits, that it still holds it.
    pub lock: Option<lock::Held>,
    /// The REST API of the Patroni cluster, for a plan that patches its
    /// dynamic configuration.
    pub patroni: Option<crate::patroni::PatroniApi>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            local_files: false,
            statement_lock_timeout: DEFAULT_STATEMENT_LOCK_TIMEOUT,
            lock: None,
            patroni: None,
        }
    }
}

/// Sets the apply guards on one session (main or per-database).
async fn prepare_session(db: &Db, options: &ApplyOptions, what: &str) -> Result<(), ApplyError> {
    let texts = [
        format!(
            "SET lock_timeout = '{}ms'",
            options.statement_lock_timeout.as_millis()
        ),
        format!(
            "SET idle_in_transaction_session_timeout = '{}ms'",
            IDLE_IN_TRANSACTION_TIMEOUT.as_millis()
        ),
    ];
    let results = db.pipeline_texts(&texts).await;
    match first_error(&results) {
        Some((_, err)) => Err(ApplyError::from_db(
            &format!("preparing the apply session on {what}"),
            err,
            None,
        )),
        None => Ok(()),
    }
}

/// How a unit is named in what apply reports.
fn describe(unit: &Unit<'_>) -> String {
    let count = unit.statements.len();
    let statements = if count == 1 {
        "statement"
    } else {
        "statements"
    };
    match unit.target {
        Target::Cluster => format!("the cluster-wide transaction ({count} {statements})"),
        Target::Database(name) => format!(
            "the transaction in database \"{}\" ({count} {statements})",
            display_safe(name)
        ),
        Target::NonTransactional => format!(
            "`{}`",
            display_safe(
                &unit
                    .statements
                    .first()
                    .map(|s| s.redacted())
                    .unwrap_or_default()
            )
        ),
    }
}

/// Adds to `err` what was committed before it and what was not.
fn with_outcome(mut err: ApplyError, committed: &[String], not_applied: &[String]) -> ApplyError {
    err.push_outcome(if committed.is_empty() {
        "committed before the failure: nothing".to_owned()
    } else {
        format!("committed before the failure: {}", committed.join(", "))
    });
    if !not_applied.is_empty() {
        err.push_outcome(format!("not applied: {}", not_applied.join(", ")));
    }
    err
}

/// The error of a transaction stopped because the apply lock was lost.
fn lock_lost(held: &lock::Held, unit: &Unit<'_>) -> ApplyError {
    ApplyError {
        message: format!(
            "the pgfort apply lock was lost: its session (backend pid {}) ended or no longer holds it; {} was rolled back instead of committed",
            held.pid,
            describe(unit)
        ),
        hint: Some(
            "another pgfort run may have taken the lock since: let it finish, then run `pgfort plan` to see what is left and apply again"
                .to_owned(),
        ),
        ..Default::default()
    }
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
    let combined = combine::combine(&statements, combine::MAX_ITEMS);
    let statements: Vec<&Statement> = combined.iter().map(|s| &**s).collect();
    let total = statements.len() + system_statements.len();
    if let Some(write) = &plan.hba {
        hba::check_applicable(write)?;
    }
    let mut pgbouncers = pgbouncer::prepare(plan)?;
    let patroni = patroni::prepare(plan, options.patroni.as_ref()).await?;
    let mut report = ApplyReport::default();
    // Files on this machine first: a failure here changes no server.
    let prepared = certificates::prepare(&plan.tls)?;
    pgbouncer::issue_certificates(&mut pgbouncers)?;
    prepare_session(main, &options, "the main connection").await?;
    let units = units(&statements);
    let mut committed: Vec<String> = Vec::new();
    let mut later: Vec<String> = Vec::new();
    if !system_statements.is_empty() {
        later.push("server settings".to_owned());
    }
    match &plan.patroni {
        Some(patch) => later.push(format!(
            "Patroni's dynamic configuration at {}",
            display_safe(&patch.url)
        )),
        None if plan.hba.is_some() => later.push("pg_hba.conf".to_owned()),
        None => {}
    }
    later.extend(
        pgbouncers
            .iter()
            .map(|one| format!("pgbouncer \"{}\" files", one.write.name)),
    );
    let mut others: BTreeMap<String, Db> = BTreeMap::new();
    for (index, unit) in units.iter().enumerate() {
        let not_applied = || {
            units[index..]
                .iter()
                .map(describe)
                .chain(later.iter().cloned())
                .collect::<Vec<_>>()
        };
        let db = match unit.target {
            Target::Database(name) if *name != settings.dbname => {
                if !others.contains_key(name) {
                    let db = match crate::connect::connect(&settings.with_dbname(name)).await {
                        Ok(client) => Db::new(client),
                        Err(e) => {
                            let err = ApplyError {
                                message: format!("connecting to database \"{name}\": {e}"),
                                ..Default::default()
                            };
                            return Err(with_outcome(err, &committed, &not_applied()));
                        }
                    };
                    let what = format!("database \"{}\"", display_safe(name));
                    if let Err(err) = prepare_session(&db, &options, &what).await {
                        return Err(with_outcome(err, &committed, &not_applied()));
                    }
                    others.insert(name.clone(), db);
                }
                others.get(name).unwrap_or(main)
            }
            _ => main,
        };
        // The lock goes with the main session: without it, stop here.
        if let Some(held) = &options.lock
            && main.client.is_closed()
        {
            return Err(with_outcome(
                lock_lost(held, unit),
                &committed,
                &not_applied(),
            ));
        }
        if let Err(err) = run_unit(
            db,
            unit,
            options.lock.as_ref(),
            &mut report,
            total,
            progress,
        )
        .await
        {
            return Err(with_outcome(err, &committed, &not_applied()));
        }
        committed.push(describe(unit));
    }
    let all_units = |err: ApplyError| {
        let mut err = err;
        err.push_outcome(if committed.is_empty() {
            "no catalog transaction was committed".to_owned()
        } else {
            format!("committed before the failure: {}", committed.join(", "))
        });
        err
    };
    // Server settings come last in execution order: catalog work first.
    // Certificate files go in just before the settings that point at them.
    let files = match &prepared.server {
        Some(material) => Some(
            certificates::server::install(main, material, options.local_files)
                .await
                .map_err(all_units)?,
        ),
        None => None,
    };
    let settings_before =
        match system::apply(main, &system_statements, &mut report, total, progress).await {
            Ok(before) => before,
            Err(err) => return Err(all_units(put_back_files(main, files.as_ref(), err).await)),
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
            let err = undo_tls(main, files.as_ref(), settings_before.as_ref(), err).await;
            return Err(all_units(err));
        }
    }
    // pg_hba.conf last: new rules may name roles created above. Under
    // Patroni it goes, with the settings, into the dynamic configuration.
    if let Some((patch, api)) = patroni {
        let notes = patroni::apply(main, settings, api, patch, plan.hba.as_ref())
            .await
            .map_err(all_units)?;
        report.notes.extend(notes);
    }
    let mut switched = None;
    if let Some(write) = plan.hba.as_ref().filter(|_| plan.patroni.is_none()) {
        let (db, settings) = match &write.over_tls {
            None => (main, settings),
            Some(handover) => {
                let authority = plan
                    .tls
                    .verify
                    .as_ref()
                    .map(|(_, authority)| authority.cert_file.as_path());
                // Failing here, the settings go back as they were: SSL
                // that does not come up would make the next restart fail.
                let session = match tls_handover::connect(settings, handover, authority).await {
                    Ok(session) => session,
                    Err(err) => {
                        let err =
                            undo_tls(main, files.as_ref(), settings_before.as_ref(), err).await;
                        return Err(all_units(err));
                    }
                };
                let (db, settings) = switched.insert(session);
                (&*db, &*settings)
            }
        };
        hba::apply(db, settings, write, options.local_files, &mut report)
            .await
            .map_err(all_units)?;
    }
    // PgBouncer last: its auth file names verifiers set above.
    for one in &pgbouncers {
        let notes = pgbouncer::apply(one).await.map_err(all_units)?;
        report.notes.extend(notes);
    }
    report.round_trips = main.round_trips() + others.values().map(Db::round_trips).sum::<u64>();
    if let Some((db, settings)) = switched {
        report.round_trips += db.round_trips();
        report.reconnected = Some(settings);
    }
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

/// TLS did not come up: the previous certificate files and settings go
/// back (and are reloaded), so the next restart does not fail.
async fn undo_tls(
    db: &Db,
    files: Option<&certificates::server::Backup>,
    settings_before: Option<&system::Snapshot>,
    err: ApplyError,
) -> ApplyError {
    let err = put_back_files(db, files, err).await;
    roll_back_settings(db, settings_before, err).await
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

/// One transaction: `BEGIN` rides on the first batch, so a unit of N
/// statements costs ceil(N / batch) round trips plus one for `COMMIT`.
/// `COMMIT` is sent alone, only once every result of the last batch came
/// back: were it pipelined behind statements waiting for a lock, a pgfort
/// killed meanwhile would still commit them when the lock came free (the
/// server reads the queued COMMIT before it notices the closed socket).
/// Sent last, the server finds the socket closed instead and rolls back.
/// The last batch also checks that the apply lock is still held (see
/// [`lock::Held`]); a transaction is rolled back instead of committed when
/// it is not. Every statement is its own protocol message (see
/// [`crate::inspect::pipeline`]), so none can carry a second one. A
/// non-transactional unit is one statement sent alone.
async fn run_unit(
    db: &Db,
    unit: &Unit<'_>,
    held: Option<&lock::Held>,
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
    let check_params = held.map(lock::Held::params);
    let check_refs: Vec<&str> = check_params.iter().flatten().map(String::as_str).collect();
    for (index, batch) in batches.iter().enumerate() {
        let mut texts: Vec<String> = Vec::with_capacity(batch.len() + 1);
        let offset = usize::from(index == 0);
        if index == 0 {
            texts.push("BEGIN".to_owned());
        }
        texts.extend(render_for_execution(batch));
        let mut steps: Vec<Step<'_>> = texts.iter().map(|t| Step::new(t)).collect();
        let check = index == last && held.is_some();
        if check {
            steps.push(Step::with_params(lock::HELD_SQL, &check_refs));
        }
        let results = db.pipeline(&steps).await;
        drop(steps);
        drop(texts);
        if let Some((position, err)) = first_error(&results) {
            // The transaction is still open (and aborted).
            let _ = db.execute_one("ROLLBACK").await;
            let statement = position
                .checked_sub(offset)
                .and_then(|i| batch.get(i))
                .map(|s| s.redacted());
            let mut error =
                ApplyError::from_db("applying changes (rolled back)", err, statement.clone());
            if error.sqlstate.as_deref() == Some("55P03") {
                let why = blockers::describe(db, statement.as_deref()).await;
                error.hint = Some(match error.hint.take() {
                    Some(hint) => format!("{why}\n{hint}"),
                    None => why,
                });
            }
            return Err(error);
        }
        if check {
            let still_held = results
                .last()
                .and_then(|r| r.as_ref().ok())
                .and_then(|rows| rows.first())
                .and_then(|row| row.try_get::<_, bool>(0).ok())
                .unwrap_or(false);
            if !still_held {
                let _ = db.execute_one("ROLLBACK").await;
                if let Some(held) = held {
                    return Err(lock_lost(held, unit));
                }
            }
        }
        report.statements += batch.len();
        progress(report.statements, total);
    }
    if let Err(err) = db.execute_one("COMMIT").await {
        let mut error = ApplyError::from_db("committing changes", &err, None);
        if err.as_db_error().is_none() {
            error.hint = Some(format!(
                "the connection failed while committing {}: it may or may not have been committed; run `pgfort plan` to see",
                describe(unit)
            ));
        }
        return Err(error);
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

/// Renders statements for execution. Passwords the caller did not hash
/// ahead ([`Plan::hash_passwords`]) are hashed here (PBKDF2 is
/// deliberately slow), so the statements holding them are spread over the
/// cores.
fn render_for_execution(statements: &[&Statement]) -> Vec<String> {
    let sensitive: Vec<usize> = (0..statements.len())
        .filter(|&i| statements[i].is_sensitive())
        .collect();
    let hashed = crate::parallel::map(&sensitive, 4, |&i| statements[i].for_execution());
    let mut out: Vec<Option<String>> = vec![None; statements.len()];
    for (i, text) in sensitive.into_iter().zip(hashed) {
        out[i] = Some(text);
    }
    out.into_iter()
        .zip(statements)
        .map(|(done, statement)| done.unwrap_or_else(|| statement.for_execution()))
        .collect()
}
