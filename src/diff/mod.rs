//! desired × live → changes. Pure and synchronous: no I/O, no formatting
//! beyond the values a change displays.

mod certificates;
mod databases;
mod extensions;
mod grants;
mod hba;
mod memberships;
mod parameters;
mod patroni;
mod pgbouncer;
mod pgbouncer_lookup;
mod pgbouncer_tls;
mod policies;
mod preload;
mod roles;
mod schemas;
mod server_settings;
mod settings;
mod tables;
mod unmanaged;
mod validate;

use std::collections::BTreeMap;

use crate::model::{
    HbaWrite, ManagePolicy, PatroniPatch, PendingRestart, PgBouncerWrite, ServerFacts, ServerState,
    TlsWork,
};
use crate::plan::Change;

pub use hba::ADDRESS as HBA_ADDRESS;
pub use hba::admission::check as check_admission;
pub use hba::run_checks as run_hba_checks;
pub use patroni::rule_lines as patroni_rule_lines;
pub use pgbouncer::address as pgbouncer_address;
pub(crate) use roles::glob_matches;
pub use validate::{InputProblem, check};

/// Switches that change what the diff proposes.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiffOptions {
    /// Set passwords even where the stored one cannot be read to compare.
    pub rotate_passwords: bool,
}

/// What the diff found.
#[derive(Debug, Clone, Default)]
pub struct Diff {
    pub changes: Vec<Change>,
    pub unmanaged_roles: Vec<String>,
    /// Unmanaged roles with superuser-level powers, and those powers.
    pub unmanaged_powers: BTreeMap<String, Vec<String>>,
    pub warnings: Vec<String>,
    /// Restart-only settings the running server does not use yet.
    pub pending_restart: Vec<PendingRestart>,
    /// Information that needs no action (who row-level security does not
    /// apply to).
    pub notes: Vec<String>,
    /// The pg_hba.conf rewrite, when one is planned.
    pub hba: Option<HbaWrite>,
    /// Certificates to generate, install and verify.
    pub tls: TlsWork,
    /// PgBouncer files to rewrite (and reload).
    pub pgbouncer: Vec<PgBouncerWrite>,
    /// Under Patroni: what goes into its dynamic configuration.
    pub patroni: Option<PatroniPatch>,
}

/// A desired state that cannot be reached safely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DiffError {
    pub message: String,
    pub hint: Option<String>,
}

/// Inputs of a diff, by reference.
#[derive(Debug, Clone, Copy)]
pub struct DiffInput<'a> {
    pub desired: &'a ServerState,
    pub live: &'a ServerState,
    pub facts: &'a ServerFacts,
    pub manage: &'a ManagePolicy,
    pub options: DiffOptions,
}

/// Computes the changes that turn `live` into `desired`.
pub fn diff(input: DiffInput<'_>) -> Result<Diff, DiffError> {
    let mut out = Diff::default();
    roles::diff_roles(&input, &mut out)?;
    databases::diff_databases(&input, &mut out)?;
    schemas::diff_schemas(&input, &mut out)?;
    grants::diff_grants(&input, &mut out)?;
    extensions::diff_extensions(&input, &mut out)?;
    server_settings::diff_server_settings(&input, &mut out)?;
    certificates::diff_certificates(&input, &mut out)?;
    tables::diff_tables(&input, &mut out)?;
    policies::diff_policies(&input, &mut out);
    hba::diff_hba(&input, &mut out)?;
    patroni::route(&input, &mut out)?;
    // After roles: the auth file takes the verifiers the plan sets.
    pgbouncer::diff_pgbouncers(&input, &mut out)?;
    pgbouncer_lookup::diff_lookups(&input, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod rls_tests;
#[cfg(test)]
mod tests;
