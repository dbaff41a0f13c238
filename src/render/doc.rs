//! The versioned plan document that both renderers read.

use schemars::JsonSchema;
use serde::Serialize;

use super::typed::Shown;
use crate::model::PendingRestart;
use crate::plan::saved::{SavedConfiguration, SavedTarget};
use crate::plan::{Action, AttributeChange, Change, Plan, Statement, Summary};

/// Bumped whenever the shape of [`PlanDoc`] changes.
///
/// 3: every change carries `needs_restart` and `touches_access`; the
/// document may carry its `origin` (target and configuration digest).
/// 4: `format_version` is a number; attribute values are typed (booleans,
/// integers, text without the quotes the plan shows).
/// 5: `for_primary`, on a standby: the changes to replicated objects that
/// only its primary can make.
pub const FORMAT_VERSION: u32 = 5;

/// The document `pgfort plan --json` and `pgfort show --json` print; its
/// JSON Schema (`pgfort schema plan`) is generated from this type.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PlanDoc<'a> {
    /// The shape of this document; any change of shape bumps it.
    #[schemars(extend("const" = FORMAT_VERSION))]
    pub format_version: u32,
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
    #[serde(serialize_with = "typed_changes")]
    #[schemars(with = "Vec<ChangeDoc<'static>>")]
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
    /// On a standby: changes to objects it replicates (roles, databases,
    /// grants…), for its primary to make; not in `changes` or `summary`
    /// (left out when none).
    #[serde(skip_serializing_if = "<[_]>::is_empty", serialize_with = "replicated")]
    #[schemars(with = "Vec<ForPrimary<'static>>")]
    pub for_primary: &'a [Change],
    pub summary: Summary,
}

/// A change only the primary can make, by address.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct ForPrimary<'a> {
    address: &'a str,
    action: Action,
}

fn replicated<S: serde::Serializer>(changes: &&[Change], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(changes.iter().map(|change| ForPrimary {
        address: &change.address,
        action: change.action,
    }))
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
            for_primary: &plan.for_primary,
            summary: plan.summary(),
        }
    }

    /// The same document, saying where it applies.
    pub fn with_origin(mut self, origin: PlanOrigin) -> Self {
        self.origin = Some(origin);
        self
    }
}

/// A change as the JSON document shows it: the plan's [`Change`] with its
/// attribute values typed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(
    rename = "Change",
    deny_unknown_fields,
    description = "A change to one object: what it does, why, and the SQL it runs."
)]
struct ChangeDoc<'a> {
    /// Where the object is, e.g. `role.app_user`,
    /// `grant.app_user.myapp.public.tables`.
    address: &'a str,
    action: Action,
    attributes: Vec<AttributeDoc<'a>>,
    /// Why, in words (`because the password was changed outside pgfort`).
    reasons: &'a [String],
    /// The SQL the change runs, in the order it runs.
    statements: &'a [Statement],
    /// Every object behind a summarised attribute (`SELECT granted on:
    /// app.t1, app.t2, …`), shown with `-v`.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    details: &'a [String],
    /// Loses data or access that cannot be restored by another apply.
    destructive: bool,
    /// Contains a value that must not be displayed.
    sensitive: bool,
    /// Takes effect only when PostgreSQL restarts (restart-only settings).
    needs_restart: bool,
    /// Changes who may connect or how (pg_hba.conf, SSL and listening
    /// settings): a mistake here can lock users, or pgfort, out.
    touches_access: bool,
    /// A unified diff of a file the change rewrites (pg_hba.conf).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    file_diff: &'a [String],
}

/// One attribute's old and new value. Sensitive values read `(sensitive)`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct AttributeDoc<'a> {
    name: &'a str,
    /// The value now (`null`: not set, or the object does not exist yet).
    before: Option<Shown>,
    /// The value after the change (`null`: not set, or the object goes).
    after: Option<Shown>,
    /// The values read `(sensitive)`.
    sensitive: bool,
}

impl<'a> ChangeDoc<'a> {
    fn of(change: &'a Change) -> Self {
        ChangeDoc {
            address: &change.address,
            action: change.action,
            attributes: change.attributes.iter().map(AttributeDoc::of).collect(),
            reasons: &change.reasons,
            statements: &change.statements,
            details: &change.details,
            destructive: change.destructive,
            sensitive: change.sensitive,
            needs_restart: change.needs_restart,
            touches_access: change.touches_access,
            file_diff: &change.file_diff,
        }
    }
}

impl<'a> AttributeDoc<'a> {
    fn of(attribute: &'a AttributeChange) -> Self {
        AttributeDoc {
            name: &attribute.name,
            before: attribute.before.clone().map(Shown),
            after: attribute.after.clone().map(Shown),
            sensitive: attribute.sensitive,
        }
    }
}

fn typed_changes<S: serde::Serializer>(
    changes: &&[Change],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(changes.iter().map(ChangeDoc::of))
}
