//! Live catalog → model, with a constant number of bulk queries (never one
//! per object). Read-only: nothing here writes or diffs.

mod facts;
mod roles;

use std::sync::atomic::{AtomicU64, Ordering};

use tokio_postgres::Client;
use tokio_postgres::types::ToSql;

use crate::model::{ServerFacts, ServerState};

/// A failed catalog query, with what pgfort was reading.
#[derive(Debug, thiserror::Error)]
#[error("reading {what}: {}", describe(source))]
pub struct InspectError {
    pub what: &'static str,
    #[source]
    pub source: tokio_postgres::Error,
}

/// The server's own message when there is one ("db error" otherwise says
/// nothing).
pub fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => error.to_string(),
    }
}

/// A client that counts the round trips pgfort makes, for benchmarks and
/// for the "constant number of queries" guarantee.
pub struct Db {
    pub client: Client,
    round_trips: AtomicU64,
}

impl Db {
    pub fn new(client: Client) -> Self {
        Db {
            client,
            round_trips: AtomicU64::new(0),
        }
    }

    /// Queries issued so far (pipelined queries count one each).
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    pub(crate) fn count(&self) {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs a query that returns exactly one row, counted.
    pub async fn query_one(
        &self,
        what: &'static str,
        sql: &str,
    ) -> Result<tokio_postgres::Row, InspectError> {
        self.count();
        self.client
            .query_one(sql, &[])
            .await
            .map_err(|source| InspectError { what, source })
    }

    /// Runs one query, counted, with `what` named in any error.
    pub async fn query(
        &self,
        what: &'static str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, InspectError> {
        self.count();
        self.client
            .query(sql, params)
            .await
            .map_err(|source| InspectError { what, source })
    }
}

/// Everything inspected from the server: the state and the facts.
#[derive(Debug, Clone)]
pub struct Live {
    pub state: ServerState,
    pub facts: ServerFacts,
}

/// Reads the cluster-wide state. Independent queries are joined so they are
/// pipelined on the one connection.
pub async fn inspect(db: &Db) -> Result<Live, InspectError> {
    let (facts, roles) = futures_util::try_join!(facts::read(db), roles::read(db))?;
    let state = ServerState {
        roles,
        ..Default::default()
    };
    Ok(Live { state, facts })
}
