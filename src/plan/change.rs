//! One change to one object: what the plan shows and what apply runs.

use serde::Serialize;

use super::Statement;

/// What happens to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Replace,
    Delete,
}

/// One attribute's old and new value, already formatted for display.
/// Sensitive values are never stored here in clear: they hold `(sensitive)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeChange {
    pub name: String,
    pub before: Option<String>,
    pub after: Option<String>,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub address: String,
    pub action: Action,
    pub attributes: Vec<AttributeChange>,
    /// Why, in words (`because the password was changed outside pgfort`).
    pub reasons: Vec<String>,
    pub statements: Vec<Statement>,
    /// Every object behind a summarised attribute (`SELECT granted on:
    /// app.t1, app.t2, …`), shown with `-v`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// Loses data or access that cannot be restored by another apply.
    pub destructive: bool,
    /// Contains a value that must not be displayed.
    pub sensitive: bool,
    /// Takes effect only when PostgreSQL restarts (restart-only settings).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub needs_restart: bool,
    /// A unified diff of a file the change rewrites (pg_hba.conf).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub file_diff: Vec<String>,
}

impl Change {
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
            file_diff: Vec::new(),
        }
    }
}
