//! Drift reports: what differs on the server from the configuration, i.e.
//! what changed behind pgfort's back since the last apply, grouped by kind
//! of object. Built from a plan (the changes that would undo the drift)
//! and drawn as text, JSON or Markdown (for CI job summaries), one file per
//! format.

mod json;
mod markdown;
mod text;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

pub use json::render_json;
pub use markdown::render_markdown;
pub use text::render_text;

use super::Shown;
use crate::plan::{Action, AttributeChange, Change, Plan};

/// Bumped whenever the JSON shape of [`DriftReport`] changes.
///
/// 3: `format_version` is a number; values are typed (booleans, integers,
/// text without the quotes the plan shows).
pub const FORMAT_VERSION: u32 = 3;

/// What `pgfort drift` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct DriftReport {
    /// The shape of this document; any change of shape bumps it.
    #[schemars(extend("const" = FORMAT_VERSION))]
    pub format_version: u32,
    /// `user@host:port/dbname` of the server inspected.
    pub target: String,
    /// Whether anything differs (the exit code says the same: 2).
    pub drifted: bool,
    /// How many objects differ.
    pub total: usize,
    /// By kind, in name order.
    pub kinds: Vec<DriftKind>,
    /// Roles on the server the configuration does not declare and pgfort
    /// leaves alone, without superuser-level powers (those with them are
    /// drift, in `kinds`).
    pub unmanaged_roles: Vec<String>,
}

/// The objects of one kind (`role`, `grant`, `setting`, `hba`, …) that
/// differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct DriftKind {
    /// The first part of the addresses: role, database, schema, grant,
    /// table, policy, extension, setting, hba.
    pub kind: String,
    pub objects: Vec<DriftObject>,
}

/// One object that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct DriftObject {
    /// Where the object is, e.g. `role.app_user`.
    pub address: String,
    pub state: DriftState,
    /// Attribute by attribute, the server's value and the configured one
    /// (for changed objects; empty for missing and unexpected ones).
    pub differences: Vec<DriftDifference>,
    /// Why, in words, when the plan says (e.g. a password changed outside
    /// pgfort).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// How an object differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DriftState {
    /// Configured, but not on the server.
    Missing,
    /// On the server with other attributes.
    Changed,
    /// On the server, and the configuration says it should not be.
    Unexpected,
    /// A role on the server the configuration does not declare, with
    /// superuser-level powers (the reasons name them): nobody reviewed it.
    Unmanaged,
}

/// One attribute's two sides. Sensitive values read `(sensitive)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct DriftDifference {
    pub attribute: String,
    /// The server's value (`null`: not set there).
    pub server: Option<Shown>,
    /// The configured value (`null`: not configured).
    pub configured: Option<Shown>,
    /// The values read `(sensitive)`.
    pub sensitive: bool,
}

impl DriftReport {
    /// The drift a plan undoes. `target` names the server for people.
    pub fn new(plan: &Plan, target: impl Into<String>) -> Self {
        let mut kinds: BTreeMap<&str, Vec<DriftObject>> = BTreeMap::new();
        for change in &plan.changes {
            kinds
                .entry(change.kind())
                .or_default()
                .push(DriftObject::of(change));
        }
        let powerful = &plan.unmanaged_powers;
        if !powerful.is_empty() {
            let roles = kinds.entry("role").or_default();
            roles.extend(powerful.iter().map(|(name, powers)| DriftObject {
                address: crate::plan::address::role(name),
                state: DriftState::Unmanaged,
                differences: Vec::new(),
                reasons: vec![format!("it holds {}", powers.join(", "))],
            }));
            roles.sort_by(|a, b| a.address.cmp(&b.address));
        }
        let total = plan.changes.len() + powerful.len();
        DriftReport {
            format_version: FORMAT_VERSION,
            target: target.into(),
            drifted: total > 0,
            total,
            unmanaged_roles: plan
                .unmanaged_roles
                .iter()
                .filter(|name| !powerful.contains_key(*name))
                .cloned()
                .collect(),
            kinds: kinds
                .into_iter()
                .map(|(kind, objects)| DriftKind {
                    kind: kind.to_owned(),
                    objects,
                })
                .collect(),
        }
    }
}

impl DriftObject {
    fn of(change: &Change) -> Self {
        let state = match change.action {
            Action::Create => DriftState::Missing,
            Action::Update | Action::Replace => DriftState::Changed,
            Action::Delete => DriftState::Unexpected,
        };
        // A missing or unexpected object differs as a whole: listing each
        // of its attributes would bury the objects that really changed.
        let differences = match state {
            DriftState::Changed => change.attributes.iter().map(DriftDifference::of).collect(),
            DriftState::Missing | DriftState::Unexpected | DriftState::Unmanaged => Vec::new(),
        };
        DriftObject {
            address: change.address.clone(),
            state,
            differences,
            reasons: change.reasons.clone(),
        }
    }
}

impl DriftDifference {
    fn of(attribute: &AttributeChange) -> Self {
        DriftDifference {
            attribute: attribute.name.clone(),
            server: attribute.before.clone().map(Shown),
            configured: attribute.after.clone().map(Shown),
            sensitive: attribute.sensitive,
        }
    }

    /// One line for people: `connection_limit: 99 on the server, 10
    /// configured`. Sensitive values are never compared in words.
    pub fn describe(&self) -> String {
        if self.sensitive {
            return format!("{} differs (sensitive value)", self.attribute);
        }
        match (&self.server, &self.configured) {
            (None, Some(configured)) => {
                format!(
                    "{}: not set on the server, {configured} configured",
                    self.attribute
                )
            }
            (Some(server), None) => {
                format!("{}: {server} on the server, not configured", self.attribute)
            }
            (Some(server), Some(configured)) => format!(
                "{}: {server} on the server, {configured} configured",
                self.attribute
            ),
            (None, None) => format!("{} differs", self.attribute),
        }
    }
}

impl DriftState {
    /// The plan symbol for the change that undoes it.
    pub fn symbol(self) -> &'static str {
        match self {
            DriftState::Missing => "+",
            DriftState::Changed => "~",
            DriftState::Unexpected => "-",
            DriftState::Unmanaged => "!",
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            DriftState::Missing => "missing on the server",
            DriftState::Changed => "changed on the server",
            DriftState::Unexpected => "on the server, not in the configuration",
            DriftState::Unmanaged => {
                "on the server, not in the configuration, with superuser-level powers"
            }
        }
    }
}

#[cfg(test)]
mod tests;
