//! SQL text for typed changes. Every identifier and literal goes through
//! [`quote`].

pub mod databases;
pub mod extensions;
pub mod grants;
pub mod hba;
mod keywords;
pub mod pgbouncer;
pub mod policies;
pub mod quote;
pub mod roles;
pub mod settings;
pub mod system;
