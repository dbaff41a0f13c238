//! Before an apply: put back the pg_hba.conf an interrupted apply left
//! live (see [`crate::apply::hba_marker`]).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::common::connect_db;
use crate::Error;
use crate::apply::{hba_marker, lock};
use crate::cli::args::ApplyArgs;
use crate::connect::ConnectionSettings;
use crate::inspect::Db;

/// The data directory whose files pgfort may touch (--pgdata, --sandbox).
fn local_data_dir(args: &ApplyArgs) -> Option<PathBuf> {
    if let Some(dir) = &args.pgdata {
        return Some(dir.clone());
    }
    if args.connection.sandbox {
        return crate::sandbox::Sandbox::open(&args.connection.sandbox_dir)
            .ok()
            .flatten()
            .map(|sandbox| sandbox.data_dir());
    }
    None
}

/// Connects; when refused and a local data directory holds the marker of
/// an interrupted rewrite, restores the previous pg_hba.conf from the
/// files and connects again.
pub(super) async fn connect(args: &ApplyArgs, settings: &ConnectionSettings) -> Result<Db, Error> {
    let first = connect_db(settings).await;
    let Err(err) = first else {
        return first;
    };
    let Some(dir) = local_data_dir(args).filter(|dir| hba_marker::pending_local(dir)) else {
        return Err(err);
    };
    if let Some(message) = hba_marker::recover_local(&dir)? {
        eprintln!("{message}");
    }
    // The postmaster reloads asynchronously.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match connect_db(settings).await {
            Ok(db) => return Ok(db),
            Err(err) if Instant::now() >= deadline => return Err(err),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Under the apply lock: restores what an interrupted rewrite left, from
/// the local files when pgfort may touch them, else over SQL. Releases the
/// lock when it refuses.
pub(super) async fn recover(args: &ApplyArgs, db: &Db) -> Result<(), Error> {
    let local = match local_data_dir(args) {
        Some(dir) => hba_marker::recover_local(&dir),
        None => Ok(None),
    };
    let result = match local {
        Ok(None) => hba_marker::recover_sql(db).await,
        other => other,
    };
    match result {
        Ok(Some(message)) => {
            eprintln!("{message}");
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(err) => {
            lock::release(db).await;
            Err(err.into())
        }
    }
}
