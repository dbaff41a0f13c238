//! pgfort: declarative provisioning and hardening for PostgreSQL.
//!
//! The pipeline: [`config`] → [`model`] ← [`inspect`]; [`diff`] → [`plan`] →
//! [`render`] and [`apply`].

pub mod apply;
pub mod audit;
pub mod cli;
pub mod config;
pub mod connect;
pub mod diff;
pub mod error;
pub mod export;
pub mod fleet;
pub mod inspect;
pub mod model;
pub mod parallel;
pub mod password;
pub mod patroni;
pub mod pgbouncer;
pub mod pipeline;
pub mod plan;
pub mod render;
pub mod sandbox;
pub mod schema;
#[cfg(test)]
pub(crate) mod schema_check;
pub mod sql;
pub mod stats;
pub mod text;
pub mod tls;
pub mod tune;
pub use error::{Error, ErrorKind};
