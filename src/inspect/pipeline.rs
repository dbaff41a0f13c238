//! Statements sent one per protocol message, pipelined.
//!
//! Every statement pgfort sends that is built from text (its own or a
//! configuration's) goes through here: each is one extended-protocol query
//! (Parse, Bind, Describe, Execute, Sync) of the unnamed statement, and the
//! server refuses a Parse message that holds more than one statement
//! ("cannot insert multiple commands into a prepared statement"). So no
//! text, however it was quoted or lexed, can smuggle a second statement in:
//! that is the guarantee, not the quoting.
//!
//! The requests are all written before any answer is awaited, so a batch
//! costs one round trip. Each request carries its own Sync: a failure does
//! not make the server skip the rest, but inside a transaction block every
//! later statement fails with `25P02` (transaction aborted) until the
//! transaction ends, so the first error is the cause and the transaction is
//! all or nothing.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use tokio_postgres::Row;
use tokio_postgres::types::{ToSql, Type};

use super::Db;

/// One statement of a pipeline, with text parameters (`$1`, `$2`, …).
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    pub sql: &'a str,
    pub params: &'a [&'a str],
}

impl<'a> Step<'a> {
    pub fn new(sql: &'a str) -> Self {
        Step { sql, params: &[] }
    }

    pub fn with_params(sql: &'a str, params: &'a [&'a str]) -> Self {
        Step { sql, params }
    }
}

/// The answer to one step.
pub type StepResult = Result<Vec<Row>, tokio_postgres::Error>;

type Pending<'a> = Pin<Box<dyn Future<Output = StepResult> + Send + 'a>>;

impl Db {
    /// Runs `steps` in order, pipelined (one round trip), and returns each
    /// one's rows or error, in order.
    pub async fn pipeline(&self, steps: &[Step<'_>]) -> Vec<StepResult> {
        self.count_pipeline(steps.len());
        let mut pending: Vec<Result<StepResult, Pending<'_>>> = Vec::with_capacity(steps.len());
        for step in steps {
            let mut future: Pending<'_> = Box::pin(self.one(*step));
            // A tokio-postgres request is written when its future is first
            // polled: polling each here, in order, fixes the order the
            // server sees.
            match futures_util::poll!(future.as_mut()) {
                Poll::Ready(result) => pending.push(Ok(result)),
                Poll::Pending => pending.push(Err(future)),
            }
        }
        let mut results = Vec::with_capacity(pending.len());
        for item in pending {
            results.push(match item {
                Ok(result) => result,
                Err(future) => future.await,
            });
        }
        results
    }

    /// Runs texts in order, pipelined; see [`Db::pipeline`].
    pub async fn pipeline_texts<S: AsRef<str>>(&self, texts: &[S]) -> Vec<StepResult> {
        let steps: Vec<Step<'_>> = texts.iter().map(|t| Step::new(t.as_ref())).collect();
        self.pipeline(&steps).await
    }

    /// Runs one statement alone (one round trip).
    pub async fn execute_one(&self, sql: &str) -> Result<(), tokio_postgres::Error> {
        self.count();
        self.one(Step::new(sql)).await.map(drop)
    }

    async fn one(&self, step: Step<'_>) -> StepResult {
        let params: Vec<(&(dyn ToSql + Sync), Type)> = step
            .params
            .iter()
            .map(|p| (p as &(dyn ToSql + Sync), Type::TEXT))
            .collect();
        self.client.query_typed(step.sql, &params).await
    }
}

/// The first error of a pipeline's results and its position: the cause,
/// since what follows an error in a transaction fails only because of it.
pub fn first_error(results: &[StepResult]) -> Option<(usize, &tokio_postgres::Error)> {
    results
        .iter()
        .enumerate()
        .find_map(|(i, r)| r.as_ref().err().map(|e| (i, e)))
}
