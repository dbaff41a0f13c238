//! Changes in execution order, with a fingerprint of the live state they
//! were computed from. Never executes anything.

pub mod address;
mod change;
pub mod combine;
mod digest;
pub mod guard;
mod phase;
pub mod saved;
mod statement;
pub mod target;

use std::collections::BTreeMap;

use serde::Serialize;

pub use change::{Action, AttributeChange, Change, Need, NeedKind};
pub use digest::{Difference, LiveDigests, StateDifference};
pub use guard::{DestroyGuards, GuardError};
pub use phase::{Phase, Target, execution_order};
pub use statement::{Listing, SealedFragment, SealedStatement, Statement};
pub use target::{TargetError, Targets};

use crate::diff::Diff;
use crate::model::{HbaWrite, PendingRestart, PgBouncerWrite, TlsWork};

/// A computed plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Changes in display order (by address).
    pub changes: Vec<Change>,
    /// Live roles that are neither declared nor reserved, left alone.
    pub unmanaged_roles: Vec<String>,
    /// Those of them with superuser-level powers, and the powers (drift).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub unmanaged_powers: BTreeMap<String, Vec<String>>,
    pub warnings: Vec<String>,
    /// Restart-only settings that are configured but not running yet. Not
    /// changes: a plan with only these is empty.
    pub pending_restart: Vec<PendingRestart>,
    /// Information lines: nothing to do, worth knowing.
    pub notes: Vec<String>,
    /// On a standby: the catalog changes (roles, databases, grants,
    /// policies…) it replicates from its primary, which the primary must
    /// make. Not changes here: apply refuses a plan holding any.
    pub for_primary: Vec<Change>,
    /// SHA-256 of the live state the plan was computed from.
    pub fingerprint: String,
    /// The pg_hba.conf rewrite apply performs (with its safety checks).
    #[serde(skip)]
    pub hba: Option<HbaWrite>,
    /// Certificates apply generates, installs and verifies.
    #[serde(skip)]
    pub tls: TlsWork,
    /// The PgBouncer files apply rewrites (and reloads).
    #[serde(skip)]
    pub pgbouncer: Vec<PgBouncerWrite>,
    /// Under Patroni: the `PATCH /config` apply sends.
    #[serde(skip)]
    pub patroni: Option<crate::model::PatroniPatch>,
    /// The per-object digests behind `fingerprint`, kept by saved plans
    /// to name what changed (empty when not computed from a server).
    #[serde(skip)]
    pub digests: LiveDigests,
}

/// Counts for the summary line (a replacement counts on both sides).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Summary {
    /// Objects created (replacements included).
    pub add: usize,
    /// Objects updated in place.
    pub change: usize,
    /// Objects dropped (replacements included).
    pub destroy: usize,
}

impl Plan {
    /// A plan of `diff`, computed from the live state these digests
    /// describe.
    pub fn from_live(diff: Diff, digests: LiveDigests) -> Self {
        let mut plan = Plan::new(diff, digests.fingerprint());
        plan.digests = digests;
        plan
    }

    pub fn new(diff: Diff, fingerprint: String) -> Self {
        let mut changes = diff.changes;
        changes.sort_by(|a, b| a.address.cmp(&b.address));
        Plan {
            changes,
            unmanaged_roles: diff.unmanaged_roles,
            unmanaged_powers: diff.unmanaged_powers,
            warnings: diff.warnings,
            pending_restart: diff.pending_restart,
            notes: diff.notes,
            hba: diff.hba,
            tls: diff.tls,
            pgbouncer: diff.pgbouncer,
            patroni: diff.patroni,
            fingerprint,
            digests: LiveDigests::default(),
            for_primary: Vec::new(),
        }
    }

    /// On a standby, moves every change to replicated catalog objects out
    /// of the plan into [`Plan::for_primary`]: only node-local changes
    /// (settings, pg_hba.conf, certificates) stay.
    pub fn hold_for_primary(&mut self) {
        let (local, catalog) = std::mem::take(&mut self.changes)
            .into_iter()
            .partition(|change| address::is_node_local(&change.address));
        self.changes = local;
        self.for_primary = catalog;
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for change in &self.changes {
            match change.action {
                Action::Create => summary.add += 1,
                Action::Update => summary.change += 1,
                Action::Delete => summary.destroy += 1,
                Action::Replace => {
                    summary.add += 1;
                    summary.destroy += 1;
                }
            }
        }
        summary
    }

    /// Every statement in execution order (see [`execution_order`]), keeping
    /// the diff's order within the same phase and target.
    /// The change a statement apply ran comes from, by its text as errors
    /// show it (passwords redacted). A statement several changes were
    /// combined into (`GRANT g TO a, b`) is put down to the first of them.
    pub fn change_of(&self, redacted: &str) -> Option<&Change> {
        let from = |change: &&Change, exact: bool| {
            change
                .statements
                .iter()
                .any(|statement| match (exact, &statement.listing) {
                    (true, _) => statement.redacted() == redacted,
                    (false, Some(listing)) => {
                        redacted.starts_with(&listing.head)
                            && redacted.ends_with(&listing.tail)
                            && redacted.contains(&listing.item)
                    }
                    (false, None) => false,
                })
        };
        self.changes
            .iter()
            .find(|change| from(change, true))
            .or_else(|| self.changes.iter().find(|change| from(change, false)))
    }

    /// How many statements still carry a password in clear.
    pub fn passwords_to_hash(&self) -> usize {
        self.changes
            .iter()
            .flat_map(|c| &c.statements)
            .filter(|s| s.has_clear_password())
            .count()
    }

    /// Hashes every password into its SCRAM verifier, spread over the
    /// cores, before the apply starts: PBKDF2 is deliberately slow, and
    /// done here it keeps the server's transactions short and lets the
    /// caller show progress (`hashed(done, total)`, from any thread).
    pub fn hash_passwords(&mut self, hashed: &(dyn Fn(usize, usize) + Sync)) {
        let places: Vec<(usize, usize)> = self
            .changes
            .iter()
            .enumerate()
            .flat_map(|(c, change)| {
                change
                    .statements
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.has_clear_password())
                    .map(move |(s, _)| (c, s))
            })
            .collect();
        let total = places.len();
        let done = std::sync::atomic::AtomicUsize::new(0);
        let changes = &self.changes;
        let statements = crate::parallel::map(&places, 2, |&(c, s)| {
            let statement = changes[c].statements[s].with_passwords_hashed();
            let count = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            hashed(count, total);
            statement
        });
        for ((c, s), statement) in places.into_iter().zip(statements) {
            self.changes[c].statements[s] = statement;
        }
    }

    pub fn statements(&self) -> Vec<&Statement> {
        let mut statements: Vec<&Statement> = self
            .changes
            .iter()
            .flat_map(|c| c.statements.iter())
            .collect();
        statements.sort_by(|a, b| {
            execution_order(a.phase, &a.target).cmp(&execution_order(b.phase, &b.target))
        });
        statements
    }
}

/// A stable fingerprint of any serializable live state. The state types
/// serialize infallibly (no non-string map keys); should one ever fail, the
/// error text is hashed instead, which still changes with the state's type
/// but is caught by the fingerprint test.
pub fn fingerprint<T: Serialize>(state: &T) -> String {
    let json = serde_json::to_vec(state).unwrap_or_else(|e| e.to_string().into_bytes());
    hex(ring::digest::digest(&ring::digest::SHA256, &json).as_ref())
}

/// Lower-case hexadecimal.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    out
}

#[cfg(test)]
mod fingerprint_tests {
    use crate::model::{DatabaseCatalog, ObjectKind, ObjectRef, ServerState};

    #[test]
    fn live_state_serializes_and_fingerprints_follow_it() {
        let mut state = ServerState::default();
        let mut catalog = DatabaseCatalog::default();
        catalog.objects.insert(
            ObjectRef {
                kind: ObjectKind::Table,
                database: "app".into(),
                schema: Some("s".into()),
                name: "t".into(),
                column: None,
            },
            "owner".into(),
        );
        state.catalogs.insert("app".into(), catalog);
        assert!(
            serde_json::to_vec(&state).is_ok(),
            "the live state must serialize"
        );
        let before = super::fingerprint(&state);
        state
            .catalogs
            .get_mut("app")
            .unwrap()
            .objects
            .values_mut()
            .for_each(|o| *o = "other".into());
        assert_ne!(before, super::fingerprint(&state));
    }
}

#[cfg(test)]
mod hashing_tests {
    use std::sync::Mutex;

    use super::{Action, Change, Phase, Plan, Statement, Target};
    use crate::model::Secret;

    #[test]
    fn every_password_is_hashed_once_with_progress() {
        let mut plan = Plan::new(Default::default(), String::new());
        for name in ["a", "b", "c"] {
            let mut change = Change::new(format!("role.{name}"), Action::Create);
            change.statements.push(Statement::new(
                Phase::CreateRoles,
                Target::Cluster,
                format!("CREATE ROLE {name}"),
            ));
            change.statements.push(
                Statement::new(Phase::AlterRoles, Target::Cluster, "ALTER ROLE x PASSWORD ")
                    .push_password(&Secret::new(name)),
            );
            plan.changes.push(change);
        }
        assert_eq!(plan.passwords_to_hash(), 3);
        let seen = Mutex::new(Vec::new());
        plan.hash_passwords(&|done, total| seen.lock().unwrap().push((done, total)));
        assert_eq!(plan.passwords_to_hash(), 0);
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        assert_eq!(seen, [(1, 3), (2, 3), (3, 3)]);
        for (change, password) in plan.changes.iter().zip(["a", "b", "c"]) {
            let sql = change.statements[1].for_execution();
            let verifier = sql.trim_start_matches("ALTER ROLE x PASSWORD '");
            let verifier = verifier.trim_end_matches('\'');
            assert!(crate::password::matches(verifier, &Secret::new(password)));
            assert_eq!(
                change.statements[0].redacted(),
                format!("CREATE ROLE {password}")
            );
        }
    }
}
