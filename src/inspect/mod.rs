//! Live catalog → model, with a constant number of bulk queries (never one
//! per object). Read-only: nothing here writes or diffs.
//!
//! Cluster-wide queries (facts, roles, databases) run pipelined on the main
//! connection; each database in scope is then read on a connection of its
//! own (the main one for the database it is on), all concurrently, with a
//! fixed set of queries per database.

mod acl;
mod canonical;
mod canonical_sql;
mod catalog;
mod databases;
mod default_privileges;
mod extensions;
mod facts;
mod hba;
mod objects;
mod pgbouncer;
pub mod pipeline;
mod policies;
mod roles;
mod schemas;
mod scope;
mod settings;
mod sql;
mod ssl;

use std::sync::atomic::{AtomicU64, Ordering};

use tokio_postgres::Client;
use tokio_postgres::error::{DbError, SqlState};
use tokio_postgres::types::{ToSql, Type};

use crate::connect::{ConnectError, ConnectionSettings};
use crate::model::{ServerFacts, ServerState};

pub use canonical::{PolicyCheckError, canonicalize_policies};
pub(crate) use hba::{RULES as HBA_RULES, parse_rows as parse_hba_rows, session_probe};
pub use pgbouncer::{
    PgBouncerReadError, lookup_databases as pgbouncer_lookup_databases,
    read_files as read_pgbouncer_files, read_lookups as read_pgbouncer_lookups,
};
pub use scope::InspectScope;

/// A failed catalog read, with what pgfort was reading and where.
#[derive(Debug, thiserror::Error)]
#[error("reading {what}{}: {source}", in_database(database.as_deref()))]
pub struct InspectError {
    pub what: &'static str,
    /// The database being read, for per-database contents.
    pub database: Option<String>,
    #[source]
    pub source: InspectCause,
}

/// Why a read failed: a query the server rejected, or a database that
/// could not be connected to.
#[derive(Debug, thiserror::Error)]
pub enum InspectCause {
    #[error("{}", describe(.0))]
    Query(#[source] tokio_postgres::Error),
    #[error(transparent)]
    Connect(ConnectError),
    /// A query that must return one row returned another number.
    #[error("expected one row, the server returned {0}")]
    RowCount(usize),
    #[error(transparent)]
    Acl(acl::AclError),
}

impl InspectCause {
    /// The server's error, when the server reported one.
    pub fn as_db_error(&self) -> Option<&DbError> {
        match self {
            InspectCause::Query(error) => error.as_db_error(),
            InspectCause::Connect(_) | InspectCause::RowCount(_) | InspectCause::Acl(_) => None,
        }
    }

    /// The server's SQLSTATE, when the server reported one.
    pub fn code(&self) -> Option<&SqlState> {
        match self {
            InspectCause::Query(error) => error.code(),
            InspectCause::Connect(_) | InspectCause::RowCount(_) | InspectCause::Acl(_) => None,
        }
    }
}

impl InspectError {
    fn query(what: &'static str, source: tokio_postgres::Error) -> Self {
        InspectError {
            what,
            database: None,
            source: InspectCause::Query(source),
        }
    }

    /// Names the database a per-database query ran in.
    fn in_database(self, database: &str) -> Self {
        InspectError {
            database: Some(database.to_owned()),
            ..self
        }
    }
}

fn in_database(database: Option<&str>) -> String {
    database
        .map(|name| format!(" in database \"{name}\""))
        .unwrap_or_default()
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

    /// Counts one round trip carrying one statement.
    pub(crate) fn count(&self) {
        self.count_pipeline(1);
    }

    /// Counts one round trip carrying `statements` pipelined statements.
    pub(crate) fn count_pipeline(&self, statements: usize) {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        crate::stats::count_round_trip(statements as u64);
    }

    /// Runs a query that returns exactly one row, counted.
    pub async fn query_one(
        &self,
        what: &'static str,
        sql: &str,
    ) -> Result<tokio_postgres::Row, InspectError> {
        let mut rows = self.query(what, sql, &[]).await?;
        match rows.len() {
            1 => Ok(rows.swap_remove(0)),
            count => Err(InspectError {
                what,
                database: None,
                source: InspectCause::RowCount(count),
            }),
        }
    }

    /// Runs one query, counted, with `what` named in any error. The
    /// parameter types are given, so the statement is parsed, bound and
    /// executed in one round trip (no separate prepare).
    pub async fn query(
        &self,
        what: &'static str,
        sql: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<Vec<tokio_postgres::Row>, InspectError> {
        self.count();
        self.client
            .query_typed(sql, params)
            .await
            .map_err(|source| InspectError::query(what, source))
    }
}

/// Everything inspected from the server: the state and the facts.
#[derive(Debug, Clone)]
pub struct Live {
    pub state: ServerState,
    pub facts: ServerFacts,
    /// Queries this inspection made, on the main connection and on the
    /// per-database ones (which the caller's [`Db`] does not see).
    pub round_trips: u64,
}

/// pg_hba.conf as the server reads it (unreadable without superuser or
/// pg_read_server_files).
pub async fn read_hba(
    db: &Db,
    settings: &crate::connect::ConnectionSettings,
) -> Result<crate::model::Hba, InspectError> {
    hba::read(db, settings).await
}

/// Reads the cluster-wide state on `db`, and the contents of the databases
/// in `scope` on connections made with `settings` (another database name,
/// same server and credentials). Independent queries are joined so they are
/// pipelined; databases are read concurrently as soon as the list of
/// databases is known.
pub async fn inspect(
    db: &Db,
    settings: &ConnectionSettings,
    scope: &InspectScope,
) -> Result<Live, InspectError> {
    let before = db.round_trips();
    let databases_and_contents = async {
        let (databases, database_privileges) =
            futures_util::try_join!(databases::read(db), databases::privileges(db, scope))?;
        let contents = catalog::read_all(db, settings, scope, &databases).await?;
        Ok::<_, InspectError>((databases, database_privileges, contents))
    };
    // Read whether managed or not: the lockout check of every plan needs
    // the rules the server runs and how pgfort is connected.
    let hba = async { hba::read(db, settings).await.map(Some) };
    let available_extensions = async {
        match scope.extensions {
            true => extensions::available(db).await,
            false => Ok(crate::model::ServerExtensions::default()),
        }
    };
    let installed_ssl = async {
        match scope.ssl {
            true => ssl::read(db, settings).await.map(Some),
            false => Ok(None),
        }
    };
    // The database list goes first in the pipeline: the per-database
    // connections wait for it, and the rest of the main connection's reads
    // overlap with them.
    let (
        (databases, database_privileges, contents),
        facts,
        roles,
        settings,
        extensions,
        hba,
        installed_ssl,
    ) = futures_util::try_join!(
        databases_and_contents,
        facts::read(db),
        roles::read(db),
        settings::read(db),
        available_extensions,
        hba,
        installed_ssl,
    )?;
    let state = ServerState {
        roles,
        databases: databases.databases,
        database_privileges,
        catalogs: contents.catalogs,
        settings,
        extensions,
        hba,
        tls: crate::model::Tls {
            installed: installed_ssl,
            ..Default::default()
        },
        ..Default::default()
    };
    Ok(Live {
        state,
        facts,
        round_trips: db.round_trips() - before + contents.round_trips,
    })
}
