//! Reloading the configuration and knowing when it took effect. The
//! reload is asynchronous: a connection made too early is served by the
//! postmaster's old configuration, so callers wait until a fresh
//! connection reports a `pg_conf_load_time()` at or after the signal.

use std::time::{Duration, Instant};

use super::ApplyError;
use crate::connect::{ConnectError, ConnectionSettings};
use crate::inspect::Db;
use crate::sql::quote;

/// How long the postmaster may take to act on the reload signal.
pub(super) const RELOAD_WAIT: Duration = Duration::from_secs(10);

/// Signals a reload; returns the server's clock just before, as text.
pub(super) async fn signal(db: &Db) -> Result<String, ApplyError> {
    db.count();
    db.client
        .query_one(
            "SELECT clock_timestamp()::text, pg_catalog.pg_reload_conf()",
            &[],
        )
        .await
        .map(|row| row.get::<_, String>(0))
        .map_err(|err| ApplyError::from_db("reloading the configuration", &err, None))
}

/// Waits until `db`'s own session has re-read the configuration since
/// `signalled`: each statement lets a backend act on a pending reload, and
/// the inspection that verifies the apply runs on this session.
pub(super) async fn wait_in_session(db: &Db, signalled: &str) -> Result<(), ApplyError> {
    let deadline = Instant::now() + RELOAD_WAIT;
    loop {
        db.count();
        let reloaded = db
            .client
            .query_one(
                "SELECT pg_catalog.pg_conf_load_time() >= $1::text::timestamptz",
                &[&signalled],
            )
            .await
            .map(|row| row.get::<_, bool>(0))
            .map_err(|err| ApplyError::from_db("checking the reload", &err, None))?;
        if reloaded {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(ApplyError {
                message: "the server did not reload its configuration in time".to_owned(),
                hint: Some("check the server log".to_owned()),
                ..Default::default()
            });
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Opens fresh connections with `settings` until one is served by a
/// postmaster that has reloaded since `signalled`. A refused connection
/// becomes `refused(err)`; `what` names the file in the timeout message.
pub(super) async fn wait_until_reloaded(
    settings: &ConnectionSettings,
    signalled: &str,
    what: &str,
    refused: impl Fn(ConnectError) -> ApplyError,
) -> Result<(), ApplyError> {
    let deadline = Instant::now() + RELOAD_WAIT;
    let query = format!(
        "SELECT pg_catalog.pg_conf_load_time() >= {}::timestamptz",
        quote::literal(signalled)
    );
    loop {
        let client = crate::connect::connect(settings).await.map_err(&refused)?;
        let reloaded = client
            .query_one(&query, &[])
            .await
            .map(|row| row.get::<_, bool>(0))
            .map_err(|err| ApplyError::from_db("checking the reload", &err, None))?;
        if reloaded {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(ApplyError {
                message: format!("the server did not reload {what} in time"),
                hint: Some("check the server log".to_owned()),
                ..Default::default()
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
