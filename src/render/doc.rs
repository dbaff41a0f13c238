//! The versioned plan document that both renderers read.

use schemars::JsonSchema;
use serde::Serialize;

use crate::model::PendingRestart;
use crate::plan::saved::{SavedConfiguration, SavedTarget};
use crate::plan::{Change, Plan, Summary};

/// Bumped whenever the shape of [`PlanDoc`] changes.
///
/// 3: every change carries `needs_restart` and `touches_access`; the
/// document may carry its `origin` (target and configuration digest).
pub const FORMAT_VERSION: &str = "3";

/// The document `pgfort plan --json` and `pgfort show --json` print; its
/// JSON Schema (`pgfort schema plan`) is generated from this type.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PlanDoc<'a> {
    /// The shape of this document; any change of shape bumps it.
    #[schemars(extend("enum" = [FORMAT_VERSION]))]
    pub format_version: &'static str,
    /// The pgfort that made the plan.
    pub pgfort_version: &'static str,
    /// SHA-256 of the live state the plan was computed from.
    pub fingerprint: &'a str,
    /// Where the plan applies and which configuration it came from (left
    /// out when unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "PlanOrigin")]
    pub origin: Option<PlanOrigin>,
    /// The changes, by address.
    pub changes: &'a [Change],
    /// Live roles that are neither declared nor reserved, left alone.
    pub unmanaged_roles: &'a [String],
    /// Things worth fixing that do not stop the plan.
    pub warnings: &'a [String],
    /// Restart-only settings waiting for a restart (left out when none).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub pending_restart: &'a [PendingRestart],
    /// Information lines: nothing to do, worth knowing.
    pub notes: &'a [String],
    pub summary: Summary,
}

/// The server a plan was made for (no password) and the configuration it
/// was computed from.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PlanOrigin {
    pub target: SavedTarget,
    pub configuration: SavedConfiguration,
}

impl<'a> PlanDoc<'a> {
    pub fn new(plan: &'a Plan) -> Self {
        PlanDoc {
            format_version: FORMAT_VERSION,
            pgfort_version: env!("CARGO_PKG_VERSION"),
            fingerprint: &plan.fingerprint,
            origin: None,
            changes: &plan.changes,
            unmanaged_roles: &plan.unmanaged_roles,
            warnings: &plan.warnings,
            pending_restart: &plan.pending_restart,
            notes: &plan.notes,
            summary: plan.summary(),
        }
    }

    /// The same document, saying where it applies.
    pub fn with_origin(mut self, origin: PlanOrigin) -> Self {
        self.origin = Some(origin);
        self
    }
}
