//! SQL statements whose sensitive parts are only rendered at execution.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

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
    /// A SCRAM-SHA-256 verifier computed when the plan was saved: sent as
    /// it is, shown as `(sensitive)` like a password.
    Verifier(Secret),
}

/// One SQL statement, where it runs and in which phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub phase: Phase,
    pub target: Target,
    fragments: Vec<Fragment>,
    /// Set when the statement names one item of a list that statements
    /// like it may share (see [`super::combine`]).
    pub(crate) listing: Option<Listing>,
}

/// A statement written `{head}{item}{tail}`: statements of the same phase
/// and target with the same head and tail can run as one,
/// `{head}{item}, {item}, …{tail}` (`GRANT g TO a, b, c`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Listing {
    pub head: String,
    pub item: String,
    pub tail: String,
}

impl Statement {
    pub fn new(phase: Phase, target: Target, sql: impl Into<String>) -> Self {
        Statement {
            phase,
            target,
            fragments: vec![Fragment::Text(sql.into())],
            listing: None,
        }
    }

    /// `{head}{item}{tail}`, which may share its list with statements like
    /// it. Only for statements whose effect on each item is independent of
    /// the others, so that running them together changes nothing but the
    /// number of statements.
    pub fn listing(phase: Phase, target: Target, head: &str, item: &str, tail: &str) -> Self {
        Statement {
            listing: Some(Listing {
                head: head.to_owned(),
                item: item.to_owned(),
                tail: tail.to_owned(),
            }),
            ..Statement::new(phase, target, format!("{head}{item}{tail}"))
        }
    }

    /// Appends plain SQL text.
    pub fn push(mut self, sql: impl AsRef<str>) -> Self {
        self.listing = None;
        match self.fragments.last_mut() {
            Some(Fragment::Text(text)) => text.push_str(sql.as_ref()),
            _ => self.fragments.push(Fragment::Text(sql.as_ref().to_owned())),
        }
        self
    }

    /// Appends a password literal, hashed client-side at execution.
    pub fn push_password(mut self, password: &Secret) -> Self {
        self.listing = None;
        self.fragments
            .push(Fragment::PasswordVerifier(password.clone()));
        self
    }

    /// Whether a password in it is still to be hashed.
    pub fn has_clear_password(&self) -> bool {
        self.fragments
            .iter()
            .any(|f| matches!(f, Fragment::PasswordVerifier(_)))
    }

    /// The same statement with its passwords hashed into SCRAM verifiers
    /// now (fresh salts), so executing or saving it costs no PBKDF2.
    pub fn with_passwords_hashed(&self) -> Statement {
        let fragments = self
            .fragments
            .iter()
            .map(|fragment| match fragment {
                Fragment::PasswordVerifier(secret) => {
                    Fragment::Verifier(Secret::new(crate::password::make_verifier(secret)))
                }
                other => other.clone(),
            })
            .collect();
        Statement {
            fragments,
            ..self.clone()
        }
    }

    /// The SCRAM verifier this statement sends, once its password was
    /// hashed ([`Statement::with_passwords_hashed`], or read from a saved
    /// plan): what a PgBouncer auth file must hold for the same role.
    pub fn verifier(&self) -> Option<&Secret> {
        self.fragments.iter().find_map(|fragment| match fragment {
            Fragment::Verifier(hashed) => Some(hashed),
            _ => None,
        })
    }

    pub fn is_sensitive(&self) -> bool {
        self.fragments
            .iter()
            .any(|f| matches!(f, Fragment::PasswordVerifier(_) | Fragment::Verifier(_)))
    }

    /// The text to show to people: passwords as `'(sensitive)'`.
    pub fn redacted(&self) -> String {
        self.render(|_| quote::literal(REDACTED), |_| quote::literal(REDACTED))
    }

    /// The text to send to the server. Passwords become fresh SCRAM
    /// verifiers, so the clear text never leaves this process.
    pub fn for_execution(&self) -> String {
        self.render(
            |secret| quote::literal(&crate::password::make_verifier(secret)),
            |verifier| quote::literal(verifier.expose()),
        )
    }

    fn render(
        &self,
        password: impl Fn(&Secret) -> String,
        verifier: impl Fn(&Secret) -> String,
    ) -> String {
        self.fragments
            .iter()
            .map(|fragment| match fragment {
                Fragment::Text(text) => text.clone(),
                Fragment::PasswordVerifier(secret) => password(secret),
                Fragment::Verifier(hashed) => verifier(hashed),
            })
            .collect()
    }

    /// The form a saved plan stores: passwords hashed now into SCRAM
    /// verifiers (with fresh salts), so the file never holds clear text
    /// and applying it later sends exactly these verifiers.
    pub fn seal(&self) -> SealedStatement {
        let fragments = self
            .fragments
            .iter()
            .map(|fragment| match fragment {
                Fragment::Text(text) => SealedFragment::Sql(text.clone()),
                Fragment::PasswordVerifier(secret) => {
                    SealedFragment::ScramVerifier(crate::password::make_verifier(secret))
                }
                Fragment::Verifier(hashed) => {
                    SealedFragment::ScramVerifier(hashed.expose().to_owned())
                }
            })
            .collect();
        SealedStatement {
            phase: self.phase,
            target: self.target.clone(),
            fragments,
            listing: self.listing.clone(),
        }
    }

    /// A statement read back from a saved plan.
    pub fn unseal(sealed: SealedStatement) -> Statement {
        Statement {
            phase: sealed.phase,
            target: sealed.target,
            fragments: sealed
                .fragments
                .into_iter()
                .map(|fragment| match fragment {
                    SealedFragment::Sql(text) => Fragment::Text(text),
                    SealedFragment::ScramVerifier(hashed) => {
                        Fragment::Verifier(Secret::new(hashed))
                    }
                })
                .collect(),
            listing: sealed.listing,
        }
    }
}

/// A statement as a saved plan file holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedStatement {
    pub phase: Phase,
    pub target: Target,
    pub fragments: Vec<SealedFragment>,
    /// How it may share a list with statements like it (see
    /// [`Statement::listing`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listing: Option<Listing>,
}

/// A piece of a [`SealedStatement`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SealedFragment {
    /// SQL text, sent as it is.
    Sql(String),
    /// A password's SCRAM-SHA-256 verifier (never the password), sent
    /// quoted as a literal.
    ScramVerifier(String),
}

// What a `Statement` serializes as: both its `Serialize` and its JSON
// Schema go through this one type, so the published schema cannot
// describe another shape than the one written. (Its doc comment is the
// schema's description.)
/// One SQL statement, where it runs and in which phase.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Statement", deny_unknown_fields)]
struct StatementView<'a> {
    phase: Phase,
    target: &'a Target,
    /// The SQL text; passwords appear as `'(sensitive)'`.
    sql: String,
    /// Whether the statement carries a password (shown redacted).
    sensitive: bool,
}

impl<'a> From<&'a Statement> for StatementView<'a> {
    fn from(statement: &'a Statement) -> Self {
        StatementView {
            phase: statement.phase,
            target: &statement.target,
            sql: statement.redacted(),
            sensitive: statement.is_sensitive(),
        }
    }
}

impl Serialize for Statement {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        StatementView::from(self).serialize(serializer)
    }
}

impl JsonSchema for Statement {
    fn schema_name() -> Cow<'static, str> {
        StatementView::schema_name()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        StatementView::json_schema(generator)
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

    #[test]
    fn sealing_hashes_passwords_once_and_keeps_them_sensitive() {
        let stmt = Statement::new(
            Phase::AlterRoles,
            Target::Database("app".into()),
            "ALTER ROLE a PASSWORD ",
        )
        .push_password(&Secret::new("hunter2"))
        .push(" VALID UNTIL 'infinity'");
        let sealed = stmt.seal();
        let json = serde_json::to_string(&sealed).unwrap();
        assert!(!json.contains("hunter2"), "{json}");
        let SealedFragment::ScramVerifier(verifier) = &sealed.fragments[1] else {
            panic!("the password became {:?}", sealed.fragments[1]);
        };
        assert!(crate::password::matches(verifier, &Secret::new("hunter2")));

        let back = Statement::unseal(serde_json::from_str(&json).unwrap());
        assert!(back.is_sensitive());
        assert_eq!(back.redacted(), stmt.redacted());
        assert!(!format!("{back:?}").contains(verifier.as_str()));
        // Executing a sealed statement sends the saved verifier, unchanged.
        assert_eq!(
            back.for_execution(),
            format!("ALTER ROLE a PASSWORD '{verifier}' VALID UNTIL 'infinity'")
        );
        assert_eq!(back.seal(), sealed);
    }

    #[test]
    fn hashing_ahead_fixes_the_verifier_and_keeps_it_sensitive() {
        let stmt = Statement::new(Phase::AlterRoles, Target::Cluster, "ALTER ROLE a PASSWORD ")
            .push_password(&Secret::new("hunter2"));
        assert!(stmt.has_clear_password());
        let hashed = stmt.with_passwords_hashed();
        assert!(!hashed.has_clear_password());
        assert!(hashed.is_sensitive());
        assert_eq!(hashed.redacted(), stmt.redacted());
        // Executed twice, the same verifier: nothing is hashed again.
        let sql = hashed.for_execution();
        assert_eq!(sql, hashed.for_execution());
        let verifier = sql
            .strip_prefix("ALTER ROLE a PASSWORD '")
            .and_then(|rest| rest.strip_suffix('\''))
            .unwrap();
        assert!(crate::password::matches(verifier, &Secret::new("hunter2")));
        assert!(!format!("{hashed:?}").contains(verifier));
    }
}
