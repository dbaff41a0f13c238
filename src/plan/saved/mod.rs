//! Saved plans: `pgfort plan -out FILE` writes one, `pgfort apply FILE`
//! runs exactly its statements after checking that the server is still in
//! the state the plan was computed from, `pgfort show FILE` prints it.
//!
//! The file holds no secret in clear text: passwords are stored as the
//! SCRAM-SHA-256 verifiers apply will send (hashed when the plan is
//! saved), the connection target has no password, secret pg_hba.conf
//! option values are redacted (such a plan can be shown, not applied),
//! and the configuration is recorded only as a digest.
//!
//! Everything apply runs or writes comes from the file and is covered by
//! the file's own digest ([`seal`]): an edited file is refused. The digest
//! detects edits; it does not stop someone who recomputes it, unless it is
//! keyed with `PGFORT_PLAN_KEY`.

mod file;
mod seal;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use file::{HEADER, check_not_applied, is_saved_plan, read, record_applied, write};
pub use seal::{PLAN_KEY_ENV, PlanKey};

use super::{Change, LiveDigests, Plan, SealedStatement, Statement};
use crate::config::ConnectionBlock;
use crate::connect::ConnectionSettings;
use crate::inspect::InspectScope;
use crate::model::{HbaWrite, PendingRestart, TlsWork};

/// The version of the saved-plan file layout (not of the JSON plan
/// document): bumped whenever [`SavedPlan`] or the file around it changes
/// shape. Version 2 added the digest over the whole plan; version 3 hashes
/// each live object as it is serialized (other digests than version 2).
pub const SAVED_FORMAT_VERSION: u32 = 3;

/// How many changed objects a stale-plan message names before "and N more".
const NAMED_DIFFERENCES: usize = 10;

/// A plan as written to a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format_version: u32,
    /// The pgfort that made the plan.
    pub pgfort_version: String,
    /// The server and role the plan was made for (never a password).
    pub target: SavedTarget,
    pub configuration: SavedConfiguration,
    pub live: SavedLive,
    /// The changes, with the statements apply runs.
    pub changes: Vec<Change<SealedStatement>>,
    pub unmanaged_roles: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unmanaged_powers: BTreeMap<String, Vec<String>>,
    pub warnings: Vec<String>,
    pub pending_restart: Vec<PendingRestart>,
    pub notes: Vec<String>,
    /// The pg_hba.conf rewrite, when the plan has one.
    pub hba: Option<HbaWrite>,
    /// Certificates to generate, install and verify (paths and names; the
    /// keys are made at apply).
    #[serde(default)]
    pub tls: TlsWork,
}

/// Where a saved plan applies: resolved when it was made, used as the
/// connection settings of last resort when it is applied (flags and PG*
/// variables still win, and must lead to the same server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(
    deny_unknown_fields,
    description = "The connection the plan was made with; never a password."
)]
pub struct SavedTarget {
    /// A host name, an address, or a Unix-socket directory.
    pub host: String,
    pub port: u16,
    pub user: String,
    pub dbname: String,
    pub sslmode: String,
    /// The CA certificate the server's is checked against (a path).
    pub sslrootcert: Option<PathBuf>,
    /// A client certificate and key (paths only).
    #[serde(default)]
    pub sslcert: Option<PathBuf>,
    #[serde(default)]
    pub sslkey: Option<PathBuf>,
}

/// Which configuration the plan was computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SavedConfiguration {
    /// The directory, as given on the command line (for people).
    pub directory: String,
    /// SHA-256 of the files and resolved variable values (sensitive values
    /// only through a slow hash).
    pub digest: String,
}

/// The live state the plan was computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedLive {
    pub fingerprint: String,
    /// What was inspected, to inspect the same again at apply.
    pub scope: InspectScope,
    /// Per-object digests, to name what changed.
    pub digests: LiveDigests,
}

/// Why a saved plan cannot be read, written or applied.
#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    #[error("{context} {}: {source}", path.display())]
    Io {
        context: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is a file but not a saved pgfort plan", path.display())]
    NotAPlan { path: PathBuf },
    #[error("{} is not a readable saved plan: {message}", path.display())]
    Malformed { path: PathBuf, message: String },
    #[error(
        "{} has saved-plan format {found}, which this pgfort ({}) cannot read (it reads format {SAVED_FORMAT_VERSION})",
        path.display(),
        env!("CARGO_PKG_VERSION")
    )]
    Version { path: PathBuf, found: u32 },
    #[error(
        "{} was made by pgfort {made_by}, and this is pgfort {}: the live state it recorded cannot be compared",
        path.display(),
        env!("CARGO_PKG_VERSION")
    )]
    OtherPgfort { path: PathBuf, made_by: String },
    #[error(
        "{} was changed after it was saved: its contents do not match its digest; nothing was applied",
        path.display()
    )]
    Edited { path: PathBuf },
    #[error(
        "{} is sealed with a key (HMAC-SHA256), and {} is not set",
        path.display(),
        seal::PLAN_KEY_ENV
    )]
    KeyRequired { path: PathBuf },
    #[error(
        "{} is set, but {} was saved without a key: anyone could have made it",
        seal::PLAN_KEY_ENV,
        path.display()
    )]
    KeyExpected { path: PathBuf },
    #[error("the server changed since this plan was made: {}", .changes.join(", "))]
    Stale { changes: Vec<String> },
    #[error("{} was already applied ({record})", path.display())]
    Applied { path: PathBuf, record: String },
    #[error("this plan was made for {planned}, but the connection now leads to {now}")]
    OtherTarget { planned: String, now: String },
}

impl SavedPlanError {
    /// A way forward for the user.
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            SavedPlanError::Io { .. } => return None,
            SavedPlanError::NotAPlan { .. } => {
                "apply takes a configuration directory, or a file written by `pgfort plan -out FILE`"
            }
            SavedPlanError::Malformed { .. }
            | SavedPlanError::Version { .. }
            | SavedPlanError::OtherPgfort { .. } => {
                "make a new plan with this pgfort: `pgfort plan -out FILE`"
            }
            SavedPlanError::Edited { .. } => {
                "a saved plan cannot be edited; change the configuration, run `pgfort plan -out FILE` again, and apply that file unchanged"
            }
            SavedPlanError::KeyRequired { .. } => {
                "set PGFORT_PLAN_KEY to the key the plan was saved with"
            }
            SavedPlanError::KeyExpected { .. } => {
                "save the plan with PGFORT_PLAN_KEY set to the same key: `pgfort plan -out FILE`"
            }
            SavedPlanError::Stale { .. } => {
                "nothing was applied; make a new plan with `pgfort plan -out FILE`, review it, and apply that one"
            }
            SavedPlanError::Applied { .. } => {
                "nothing was applied again; run `pgfort plan` to see whether anything is left to do"
            }
            SavedPlanError::OtherTarget { .. } => {
                "connect to the server the plan was made for (--database-url, PG* variables), or make a plan for this one"
            }
        };
        Some(hint.to_owned())
    }
}

impl SavedTarget {
    pub fn of(settings: &ConnectionSettings) -> Self {
        SavedTarget {
            host: settings.host.clone(),
            port: settings.port,
            user: settings.user.clone(),
            dbname: settings.dbname.clone(),
            sslmode: settings.sslmode.as_str().to_owned(),
            sslrootcert: settings.sslrootcert.clone(),
            sslcert: settings.sslcert.clone(),
            sslkey: settings.sslkey.clone(),
        }
    }

    /// As a `connection {}` block, the lowest-precedence source when the
    /// plan is applied.
    pub fn as_block(&self) -> ConnectionBlock {
        ConnectionBlock {
            host: Some(self.host.clone()),
            port: Some(self.port),
            user: Some(self.user.clone()),
            password: None,
            dbname: Some(self.dbname.clone()),
            sslmode: Some(self.sslmode.clone()),
            sslrootcert: self.sslrootcert.clone(),
            sslcert: self.sslcert.clone(),
            sslkey: self.sslkey.clone(),
        }
    }

    /// `user@host:port/dbname`.
    pub fn describe(&self) -> String {
        format!("{}@{}:{}/{}", self.user, self.host, self.port, self.dbname)
    }

    /// Refuses a connection that leads elsewhere than the plan was made
    /// for: its statements were computed from that server's state and for
    /// that role (reserved roles, ownership).
    pub fn check(&self, settings: &ConnectionSettings) -> Result<(), SavedPlanError> {
        let now = SavedTarget::of(settings);
        let same = now.host == self.host
            && now.port == self.port
            && now.user == self.user
            && now.dbname == self.dbname;
        if same {
            Ok(())
        } else {
            Err(SavedPlanError::OtherTarget {
                planned: self.describe(),
                now: now.describe(),
            })
        }
    }
}

impl SavedPlan {
    /// The file form of `plan`. Passwords are hashed into SCRAM verifiers
    /// here, so the result holds no clear text.
    pub fn new(
        plan: &Plan,
        target: SavedTarget,
        configuration: SavedConfiguration,
        scope: InspectScope,
    ) -> Self {
        SavedPlan {
            format_version: SAVED_FORMAT_VERSION,
            pgfort_version: env!("CARGO_PKG_VERSION").to_owned(),
            target,
            configuration,
            live: SavedLive {
                fingerprint: plan.fingerprint.clone(),
                scope,
                digests: plan.digests.clone(),
            },
            changes: plan
                .changes
                .iter()
                .map(|change| change.clone().map_statements(|s| s.seal()))
                .collect(),
            unmanaged_roles: plan.unmanaged_roles.clone(),
            unmanaged_powers: plan.unmanaged_powers.clone(),
            warnings: plan.warnings.clone(),
            pending_restart: plan.pending_restart.clone(),
            notes: plan.notes.clone(),
            hba: plan.hba.as_ref().map(HbaWrite::redacted),
            tls: plan.tls.clone(),
        }
    }

    /// The plan to show or apply: exactly the saved changes and statements.
    pub fn to_plan(&self) -> Plan {
        Plan {
            changes: self
                .changes
                .iter()
                .map(|change| change.clone().map_statements(Statement::unseal))
                .collect(),
            unmanaged_roles: self.unmanaged_roles.clone(),
            unmanaged_powers: self.unmanaged_powers.clone(),
            warnings: self.warnings.clone(),
            pending_restart: self.pending_restart.clone(),
            notes: self.notes.clone(),
            fingerprint: self.live.fingerprint.clone(),
            hba: self.hba.clone(),
            tls: self.tls.clone(),
            // Refused when saving (see `plan -out`): never in a file.
            pgbouncer: Vec::new(),
            patroni: None,
            digests: self.live.digests.clone(),
            // A saved plan holds only changes its server may make.
            for_primary: Vec::new(),
        }
    }

    /// Refuses the plan when the server's state is no longer the one it
    /// was computed from, naming what changed.
    pub fn check_fresh(&self, now: &LiveDigests) -> Result<(), SavedPlanError> {
        if now.fingerprint() == self.live.fingerprint {
            return Ok(());
        }
        let differences = self.live.digests.differences(now);
        let mut changes: Vec<String> = differences
            .iter()
            .take(NAMED_DIFFERENCES)
            .map(ToString::to_string)
            .collect();
        if differences.len() > NAMED_DIFFERENCES {
            changes.push(format!(
                "and {} more",
                differences.len() - NAMED_DIFFERENCES
            ));
        }
        if changes.is_empty() {
            changes.push("its state no longer has the fingerprint the plan recorded".to_owned());
        }
        Err(SavedPlanError::Stale { changes })
    }
}

#[cfg(test)]
mod tests;
