//! One change to one object: what the plan shows and what apply runs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Statement;

/// What happens to an object.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Replace,
    Delete,
}

/// One attribute's old and new value, already formatted for display.
/// Sensitive values are never stored here in clear: they hold `(sensitive)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AttributeChange {
    pub name: String,
    /// The value now (`null`: not set, or the object does not exist yet).
    pub before: Option<String>,
    /// The value after the change (`null`: not set, or the object goes).
    pub after: Option<String>,
    /// The values read `(sensitive)`.
    pub sensitive: bool,
}

impl AttributeChange {
    pub fn new(name: &str, before: Option<String>, after: Option<String>) -> Self {
        AttributeChange {
            name: name.to_owned(),
            before,
            after,
            sensitive: false,
        }
    }
}

/// A change to one object, addressed like `role.app_user`.
///
/// `S` is how its statements are held: [`Statement`] while planning and
/// applying (passwords still in clear, hashed at execution), and
/// [`SealedStatement`](super::SealedStatement) in a saved plan file, where
/// passwords are already SCRAM verifiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(
    rename = "Change",
    deny_unknown_fields,
    description = "A change to one object: what it does, why, and the SQL it runs."
)]
pub struct Change<S = Statement> {
    /// Where the object is, e.g. `role.app_user`,
    /// `grant.app_user.myapp.public.tables`.
    pub address: String,
    pub action: Action,
    pub attributes: Vec<AttributeChange>,
    /// Why, in words (`because the password was changed outside pgfort`).
    pub reasons: Vec<String>,
    /// The SQL the change runs, in the order it runs.
    pub statements: Vec<S>,
    /// Every object behind a summarised attribute (`SELECT granted on:
    /// app.t1, app.t2, …`), shown with `-v`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// Loses data or access that cannot be restored by another apply.
    pub destructive: bool,
    /// Contains a value that must not be displayed.
    pub sensitive: bool,
    /// Takes effect only when PostgreSQL restarts (restart-only settings).
    pub needs_restart: bool,
    /// Changes who may connect or how (pg_hba.conf, SSL and listening
    /// settings): a mistake here can lock users, or pgfort, out.
    pub touches_access: bool,
    /// A unified diff of a file the change rewrites (pg_hba.conf).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub file_diff: Vec<String>,
    /// The other objects this change's statements need, by address, so
    /// that a targeted plan (`-target`) can bring in their creation. Only
    /// used while planning: never shown, serialized or saved.
    #[serde(skip)]
    pub needs: Vec<Need>,
}

/// An object a change needs, by address (`role.app`, `schema.db.app`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Need {
    pub address: String,
    pub kind: NeedKind,
}

/// How a change depends on another object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NeedKind {
    /// The object lives in it (a database, or a schema of one): a target
    /// naming the container selects the change too.
    Inside,
    /// Its statements name it: an owner, a grantee, a group, an authority.
    Names,
    /// It is applied as one unit with it (one statement drops both, or one
    /// check verifies both): a targeted plan takes both or neither.
    Together,
}

impl Need {
    pub fn inside(address: impl Into<String>) -> Self {
        Need {
            address: address.into(),
            kind: NeedKind::Inside,
        }
    }

    pub fn names(address: impl Into<String>) -> Self {
        Need {
            address: address.into(),
            kind: NeedKind::Names,
        }
    }

    pub fn together(address: impl Into<String>) -> Self {
        Need {
            address: address.into(),
            kind: NeedKind::Together,
        }
    }
}

impl<S> Change<S> {
    /// The same change with its statements converted (sealed for a saved
    /// plan, or unsealed to apply one).
    pub fn map_statements<T>(self, convert: impl FnMut(S) -> T) -> Change<T> {
        Change {
            address: self.address,
            action: self.action,
            attributes: self.attributes,
            reasons: self.reasons,
            statements: self.statements.into_iter().map(convert).collect(),
            details: self.details,
            destructive: self.destructive,
            sensitive: self.sensitive,
            needs_restart: self.needs_restart,
            touches_access: self.touches_access,
            file_diff: self.file_diff,
            needs: self.needs,
        }
    }

    /// The kind of object, the first part of the address (`role`,
    /// `grant`, `setting`, `hba`), by which reports group changes.
    pub fn kind(&self) -> &str {
        self.address
            .split_once('.')
            .map_or(self.address.as_str(), |(kind, _)| kind)
    }
}

impl Change {
    /// Records that this change needs `need` (once).
    pub fn need(&mut self, need: Need) {
        if !self.needs.contains(&need) {
            self.needs.push(need);
        }
    }

    pub fn new(address: impl Into<String>, action: Action) -> Self {
        Change {
            address: address.into(),
            action,
            attributes: Vec::new(),
            reasons: Vec::new(),
            statements: Vec::new(),
            details: Vec::new(),
            destructive: action == Action::Delete,
            sensitive: false,
            needs_restart: false,
            touches_access: false,
            file_diff: Vec::new(),
            needs: Vec::new(),
        }
    }
}
