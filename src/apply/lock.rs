//! One pgfort at a time per server: a session-level advisory lock.

use std::time::{Duration, Instant};

use super::ApplyError;
use crate::inspect::Db;

/// The advisory lock key: "pgfort" in ASCII.
pub const LOCK_KEY: i64 = 0x7067_666f_7274;

/// Takes the lock, polling until `timeout`. The error names the lock and the
/// process holding it so the user can find the other run.
pub async fn acquire(db: &Db, timeout: Duration) -> Result<(), ApplyError> {
    let started = Instant::now();
    let mut announced = false;
    loop {
        db.count();
        let row = db
            .client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY])
            .await
            .map_err(|e| ApplyError::from_db("taking the pgfort apply lock", &e, None))?;
        if row.get::<_, bool>(0) {
            return Ok(());
        }
        let holder = holder(db).await;
        if started.elapsed() >= timeout {
            return Err(ApplyError {
                message: format!(
                    "another pgfort run holds the apply lock (advisory lock {LOCK_KEY}{holder}); gave up after {:.0?}",
                    timeout
                ),
                hint: Some("wait for it to finish, or raise --lock-timeout".to_owned()),
                ..ApplyError::default()
            });
        }
        if !announced {
            tracing::info!("waiting for the pgfort apply lock{holder}");
            // The holder's application name is anyone's text.
            eprintln!(
                "Waiting for the pgfort apply lock{}…",
                crate::render::display_safe(&holder)
            );
            announced = true;
        }
        tokio::time::sleep(Duration::from_millis(200).min(timeout)).await;
    }
}

/// Releases the lock (it is also released when the session ends).
pub async fn release(db: &Db) {
    db.count();
    if let Err(err) = db
        .client
        .query_one("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY])
        .await
    {
        tracing::warn!("releasing the pgfort apply lock: {err}");
    }
}

async fn holder(db: &Db) -> String {
    db.count();
    let sql = "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted \
               AND objid = ($1::bigint & 4294967295)::oid AND classid = ($1::bigint >> 32)::oid LIMIT 1";
    match db.client.query_opt(sql, &[&LOCK_KEY]).await {
        Ok(Some(row)) => format!(", held by backend pid {}", row.get::<_, i32>(0)),
        _ => String::new(),
    }
}
