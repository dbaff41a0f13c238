//! `-target ADDRESS`: a plan limited to some objects and what they need.
//!
//! A target selects the changes whose address is the target or under it
//! (`grant.app` selects every `grant.app.…`), and for a target naming a
//! database or a schema also the changes to objects inside it (a schema's
//! grants, policies and extensions). `*` and `?` match as in `manage`
//! patterns. Then, repeatedly, the selected changes bring in what they
//! need ([`Need`]): the creation (or replacement) of the roles, databases,
//! schemas and authorities they name or live in, and whatever is applied
//! as one unit with them. Updates of needed objects that already exist are
//! left out: the target works against them as they are.
//!
//! Pure: no I/O, unit-tested without a server.

use std::collections::{BTreeMap, BTreeSet};

use super::{Action, Change, NeedKind, Plan};
use crate::config::suggest::did_you_mean;
use crate::diff::glob_matches;

/// The kinds of object an address can start with.
pub const KINDS: &[&str] = &[
    "role",
    "database",
    "schema",
    "grant",
    "table",
    "policy",
    "extension",
    "setting",
    "hba",
    "certificate_authority",
    "server_certificate",
    "client_certificate",
    "pgbouncer",
];

/// Why `-target` was refused. Nothing is sent to a server for the first
/// kind; the second is found after planning, before anything is applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("-target {target:?}: {reason}")]
    Invalid {
        target: String,
        reason: String,
        hint: Option<String>,
    },
    #[error(
        "-target {target}: nothing in the configuration or in the plan has this address or is under it"
    )]
    Unknown {
        target: String,
        hint: Option<String>,
    },
}

impl TargetError {
    pub fn hint(&self) -> Option<String> {
        match self {
            TargetError::Invalid { hint, .. } | TargetError::Unknown { hint, .. } => hint.clone(),
        }
    }
}

/// The `-target` addresses of one run; empty means the whole plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets {
    addresses: Vec<String>,
}

impl Targets {
    /// Checks each target's shape (a known kind, then a name unless the
    /// kind has a single object), before anything connects.
    pub fn parse(raw: &[String]) -> Result<Targets, TargetError> {
        let mut addresses: Vec<String> = Vec::new();
        for target in raw {
            let target = target.trim();
            let invalid = |reason: String, hint: Option<String>| TargetError::Invalid {
                target: target.to_owned(),
                reason,
                hint,
            };
            let (kind, rest) = match target.split_once('.') {
                Some((kind, rest)) => (kind, Some(rest)),
                None => (target, None),
            };
            if !KINDS.contains(&kind) && !kind.contains(['*', '?']) {
                return Err(invalid(
                    format!("\"{kind}\" is not a kind of object"),
                    did_you_mean(kind, KINDS.iter().copied()).or_else(|| {
                        Some(format!(
                            "an address starts with one of: {}",
                            KINDS.join(", ")
                        ))
                    }),
                ));
            }
            if rest.is_some_and(str::is_empty) {
                return Err(invalid(
                    "the address ends with a dot".to_owned(),
                    Some(format!("write e.g. -target {kind}.NAME")),
                ));
            }
            if !addresses.iter().any(|a| a == target) {
                addresses.push(target.to_owned());
            }
        }
        Ok(Targets { addresses })
    }

    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty()
    }

    pub fn addresses(&self) -> &[String] {
        &self.addresses
    }
}

/// Whether `target` names `address` or something `address` is under.
fn covers(target: &str, address: &str) -> bool {
    glob_matches(target, address) || glob_matches(&format!("{target}.*"), address)
}

/// The outcome of [`select`]: the changes kept and left out (both in the
/// order given), and the targets that selected no change by themselves.
#[derive(Debug, Default)]
pub struct Selection {
    pub selected: Vec<Change>,
    pub skipped: Vec<Change>,
    pub unmatched: Vec<String>,
}

/// The changes `targets` select, and what those need, transitively.
/// Without targets every change is selected.
pub fn select(changes: Vec<Change>, targets: &Targets) -> Selection {
    if targets.is_empty() {
        return Selection {
            selected: changes,
            ..Selection::default()
        };
    }
    let mut matched: BTreeSet<&str> = BTreeSet::new();
    let mut chosen = vec![false; changes.len()];
    for (i, change) in changes.iter().enumerate() {
        for target in targets.addresses() {
            let inside = change
                .needs
                .iter()
                .any(|need| need.kind == NeedKind::Inside && covers(target, &need.address));
            if covers(target, &change.address) || inside {
                chosen[i] = true;
                matched.insert(target);
            }
        }
    }
    let mut by_address: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, change) in changes.iter().enumerate() {
        by_address.entry(&change.address).or_default().push(i);
    }
    let mut queue: Vec<usize> = (0..changes.len()).filter(|i| chosen[*i]).collect();
    while let Some(i) = queue.pop() {
        for need in &changes[i].needs {
            for &j in by_address.get(need.address.as_str()).into_iter().flatten() {
                if !chosen[j] && brings_in(need.kind, changes[j].action) {
                    chosen[j] = true;
                    queue.push(j);
                }
            }
        }
    }
    let unmatched = targets
        .addresses()
        .iter()
        .filter(|t| !matched.contains(t.as_str()))
        .cloned()
        .collect();
    let mut selection = Selection {
        unmatched,
        ..Selection::default()
    };
    for (change, chosen) in changes.into_iter().zip(chosen) {
        if chosen {
            selection.selected.push(change);
        } else {
            selection.skipped.push(change);
        }
    }
    selection
}

/// The dependency rule: an object that is needed comes along when it is
/// about to be created (or replaced); one applied as a unit always does.
/// A needed object that is dropped cannot help, and one merely updated
/// exists already.
fn brings_in(kind: NeedKind, action: Action) -> bool {
    match kind {
        NeedKind::Together => true,
        NeedKind::Inside | NeedKind::Names => matches!(action, Action::Create | Action::Replace),
    }
}

/// `plan` limited to `targets` (unchanged without targets). A target that
/// selects nothing must at least name something `declared` (an object of
/// the configuration, see [`super::address::declared`]): a misspelt target
/// would otherwise plan nothing, silently.
///
/// `declared` gives every declared address; it is only asked for when
/// there are targets (building it costs milliseconds at thousands of
/// objects).
pub fn restrict(
    mut plan: Plan,
    targets: &Targets,
    declared: impl FnOnce() -> BTreeSet<String>,
) -> Result<Plan, TargetError> {
    if targets.is_empty() {
        return Ok(plan);
    }
    let declared = declared();
    let changes = std::mem::take(&mut plan.changes);
    let selection = select(changes, targets);
    for target in &selection.unmatched {
        let known = declared.iter().any(|address| {
            covers(target, address)
                || target.starts_with(&format!("{address}."))
                || glob_matches(address, target)
        });
        if !known {
            return Err(TargetError::Unknown {
                target: target.clone(),
                hint: did_you_mean(target, declared.iter().map(String::as_str)),
            });
        }
    }
    plan.changes = selection.selected;
    keep_selected_work(&mut plan);
    plan.warnings
        .push(warning(targets, selection.skipped.len()));
    Ok(plan)
}

/// Whether the changes `targets` select in `plan` are all done: after a
/// targeted apply, the rest of the plan may remain.
pub fn is_done(plan: &Plan, targets: &Targets) -> bool {
    select(plan.changes.clone(), targets).selected.is_empty()
}

/// Drops the file and certificate work of changes that were not selected:
/// apply runs it from these fields, not from the changes.
fn keep_selected_work(plan: &mut Plan) {
    let selected: BTreeSet<String> = plan.changes.iter().map(|c| c.address.clone()).collect();
    if !selected.contains(crate::diff::HBA_ADDRESS) {
        plan.hba = None;
    }
    plan.pgbouncer
        .retain(|write| selected.contains(&crate::diff::pgbouncer_address(&write.name)));
    let tls = &mut plan.tls;
    tls.generate_authorities
        .retain(|authority| selected.contains(&super::address::authority(&authority.name)));
    tls.clients
        .retain(|(client, _)| selected.contains(&format!("client_certificate.{}", client.role)));
    if !selected.contains("server_certificate") {
        tls.server = None;
    }
    let ssl_settings = selected.iter().any(|a| a.starts_with("setting.ssl"));
    if tls.server.is_none() && !ssl_settings {
        tls.verify = None;
    }
}

fn warning(targets: &Targets, skipped: usize) -> String {
    let left = match skipped {
        0 => "no other change is pending".to_owned(),
        1 => "1 other change is left for a later plan".to_owned(),
        n => format!("{n} other changes are left for a later plan"),
    };
    format!(
        "targeting is in effect (-target {}): this plan holds only the changes to those objects \
         and what they need, so it may not make the server match the configuration; {left}. \
         Use -target to recover from a mistake or to stage an apply, not routinely.",
        targets.addresses().join(", -target ")
    )
}

#[cfg(test)]
mod tests;
