//! One pgfort at a time per server: a session-level advisory lock.

use std::time::{Duration, Instant};

use super::ApplyError;
use crate::inspect::Db;

/// The advisory lock key: "pgfort" in ASCII.
pub const LOCK_KEY: i64 = 0x7067_666f_7274;

/// The session that holds the apply lock, as taken: apply checks in each
/// transaction, before committing it, that this very session (pid and
/// start time, so a reused pid does not count) still holds the lock. The
/// lock goes with the session: when the main connection is lost (e.g.
/// `pg_terminate_backend`), another pgfort run can take it while this one
/// still has per-database connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub pid: i32,
    backend_start: String,
    database: String,
}

/// Whether the session in `$1` (pid), `$2` (backend start), `$3`
/// (database oid) holds the apply lock, from any database's session.
pub const HELD_SQL: &str = "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_locks l \
     JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid \
     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
     AND l.pid = $1::pg_catalog.int4 AND a.backend_start = $2::pg_catalog.timestamptz \
     AND l.database = $3::pg_catalog.oid \
     AND l.classid = ($4::pg_catalog.int8 >> 32)::pg_catalog.oid \
     AND l.objid = ($4::pg_catalog.int8 & 4294967295)::pg_catalog.oid)";

impl Held {
    /// The text parameters of [`HELD_SQL`].
    pub fn params(&self) -> [String; 4] {
        [
            self.pid.to_string(),
            self.backend_start.clone(),
            self.database.clone(),
            LOCK_KEY.to_string(),
        ]
    }
}

/// Takes the lock, polling until `timeout`. The error names the lock and the
/// process holding it so the user can find the other run.
pub async fn acquire(db: &Db, timeout: Duration) -> Result<Held, ApplyError> {
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
            return holder_session(db).await;
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

async fn holder_session(db: &Db) -> Result<Held, ApplyError> {
    db.count();
    let sql = "SELECT pg_catalog.pg_backend_pid(), \
               (SELECT backend_start::pg_catalog.text FROM pg_catalog.pg_stat_activity \
                WHERE pid = pg_catalog.pg_backend_pid()), \
               (SELECT oid::pg_catalog.text FROM pg_catalog.pg_database \
                WHERE datname = pg_catalog.current_database())";
    let row =
        db.client.query_one(sql, &[]).await.map_err(|e| {
            ApplyError::from_db("reading the pgfort apply lock's session", &e, None)
        })?;
    Ok(Held {
        pid: row.get(0),
        backend_start: row.get::<_, Option<String>>(1).unwrap_or_default(),
        database: row.get::<_, Option<String>>(2).unwrap_or_default(),
    })
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
