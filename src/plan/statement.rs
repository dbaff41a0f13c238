//! SQL statements whose sensitive parts are only rendered at execution.

use serde::Serialize;

use super::{Phase, Target};
use crate::model::{REDACTED, Secret};
use crate::sql::quote;

/// A piece of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fragment {
    Text(String),
    /// A password, sent as a SCRAM-SHA-256 verifier computed when the
    /// statement is executed; shown as `(sensitive)` everywhere else.
    PasswordVerifier(Secret),
}

/// One SQL statement, where it runs and in which phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub phase: Phase,
    pub target: Target,
    fragments: Vec<Fragment>,
}

impl Statement {
    pub fn new(phase: Phase, target: Target, sql: impl Into<String>) -> Self {
        Statement {
            phase,
            target,
            fragments: vec![Fragment::Text(sql.into())],
        }
    }

    /// Appends plain SQL text.
    pub fn push(mut self, sql: impl AsRef<str>) -> Self {
        match self.fragments.last_mut() {
            Some(Fragment::Text(text)) => text.push_str(sql.as_ref()),
            _ => self.fragments.push(Fragment::Text(sql.as_ref().to_owned())),
        }
        self
    }

    /// Appends a password literal, hashed client-side at execution.
    pub fn push_password(mut self, password: &Secret) -> Self {
        self.fragments
            .push(Fragment::PasswordVerifier(password.clone()));
        self
    }

    pub fn is_sensitive(&self) -> bool {
        self.fragments
            .iter()
            .any(|f| matches!(f, Fragment::PasswordVerifier(_)))
    }

    /// The text to show to people: passwords as `'(sensitive)'`.
    pub fn redacted(&self) -> String {
        self.render(|_| quote::literal(REDACTED))
    }

    /// The text to send to the server. Passwords become fresh SCRAM
    /// verifiers, so the clear text never leaves this process.
    pub fn for_execution(&self) -> String {
        self.render(|secret| quote::literal(&crate::password::make_verifier(secret)))
    }

    fn render(&self, password: impl Fn(&Secret) -> String) -> String {
        self.fragments
            .iter()
            .map(|fragment| match fragment {
                Fragment::Text(text) => text.clone(),
                Fragment::PasswordVerifier(secret) => password(secret),
            })
            .collect()
    }
}

impl Serialize for Statement {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Statement", 4)?;
        s.serialize_field("phase", &self.phase)?;
        s.serialize_field("target", &self.target)?;
        s.serialize_field("sql", &self.redacted())?;
        s.serialize_field("sensitive", &self.is_sensitive())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_in_every_view_but_execution() {
        let stmt = Statement::new(Phase::AlterRoles, Target::Cluster, "ALTER ROLE a PASSWORD ")
            .push_password(&Secret::new("hunter2"));
        assert_eq!(stmt.redacted(), "ALTER ROLE a PASSWORD '(sensitive)'");
        assert!(!format!("{stmt:?}").contains("hunter2"));
        assert!(!serde_json::to_string(&stmt).unwrap().contains("hunter2"));
        assert!(stmt.is_sensitive());
    }
}
