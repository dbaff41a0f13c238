//! Destroy guards: a plan that would destroy (drop, or drop and recreate)
//! a protected object is refused before anything runs.
//!
//! Two sources protect an object: `lifecycle { prevent_destroy = true }`
//! in the block that declares it, and `manage { prevent_destroy = [...] }`
//! address patterns. pgfort rarely destroys a declared object (it prunes
//! undeclared ones), and an object whose block is removed loses its
//! lifecycle with it, so the patterns are what stand between a deleted
//! block and a `DROP`. Pure: unit-tested without a server.

use std::collections::BTreeMap;

use super::{Action, Change};
use crate::config::Location;
use crate::diff::glob_matches;

/// What must not be destroyed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DestroyGuards {
    /// Declared objects by address, with where `prevent_destroy = true`
    /// is written in their block.
    pub protected: BTreeMap<String, Location>,
    /// `manage { prevent_destroy }` patterns (`*` and `?`), each with where
    /// it is written.
    pub patterns: Vec<(String, Location)>,
}

impl DestroyGuards {
    pub fn is_empty(&self) -> bool {
        self.protected.is_empty() && self.patterns.is_empty()
    }

    /// Where the protection of `address` is written, and how it reads.
    fn protection(&self, address: &str) -> Option<(&Location, String)> {
        if let Some(location) = self.protected.get(address) {
            return Some((location, "lifecycle.prevent_destroy".to_owned()));
        }
        self.patterns
            .iter()
            .find(|(pattern, _)| glob_matches(pattern, address))
            .map(|(pattern, location)| {
                (location, format!("manage.prevent_destroy (\"{pattern}\")"))
            })
    }
}

/// A plan that would destroy a protected object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {address} {verb}, but {protection} protects it{more}")]
pub struct GuardError {
    /// Where the protection is written.
    pub location: Location,
    pub address: String,
    /// `would be destroyed` or `would be replaced (destroyed and created again)`.
    pub verb: String,
    pub protection: String,
    /// `; also: …` for other protected objects the plan would destroy.
    pub more: String,
    /// Why the plan destroys it (the change's reasons).
    pub reasons: Vec<String>,
}

impl GuardError {
    pub fn hints(&self) -> Vec<String> {
        let mut hints: Vec<String> = self
            .reasons
            .iter()
            .map(|reason| format!("because {reason}"))
            .collect();
        hints.push(
            "nothing was changed; keep the object (declare it again, or narrow the prune with \
             manage's ignore_* patterns), or remove the protection to let it be destroyed"
                .to_owned(),
        );
        hints
    }
}

/// Refuses `changes` when one destroys or replaces a protected object;
/// the error names the first, and lists the others.
pub fn check(changes: &[Change], guards: &DestroyGuards) -> Result<(), Box<GuardError>> {
    let mut blocked = changes.iter().filter_map(|change| {
        let verb = match change.action {
            Action::Delete => "would be destroyed",
            Action::Replace => "would be replaced (destroyed and created again)",
            Action::Create | Action::Update => return None,
        };
        guards
            .protection(&change.address)
            .map(|(location, protection)| (change, verb, location, protection))
    });
    let Some((change, verb, location, protection)) = blocked.next() else {
        return Ok(());
    };
    let others: Vec<&str> = blocked.map(|(c, ..)| c.address.as_str()).collect();
    let more = if others.is_empty() {
        String::new()
    } else {
        format!(
            "; also protected and destroyed: {}",
            crate::text::capped(&others, crate::text::NAMES_SHOWN)
        )
    };
    Err(Box::new(GuardError {
        location: location.clone(),
        address: change.address.clone(),
        verb: verb.to_owned(),
        protection,
        more,
        reasons: change.reasons.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn at(line: usize) -> Location {
        Location {
            file: PathBuf::from("main.hcl").into(),
            line,
            column: 3,
        }
    }

    fn guards() -> DestroyGuards {
        let mut guards = DestroyGuards::default();
        guards
            .protected
            .insert("policy.app.public.t.own".into(), at(7));
        guards.patterns.push(("role.app_*".into(), at(20)));
        guards.patterns.push(("database.*".into(), at(21)));
        guards
    }

    #[test]
    fn creations_and_updates_pass() {
        let changes = vec![
            Change::new("role.app_user", Action::Create),
            Change::new("database.app", Action::Update),
            Change::new("policy.app.public.t.own", Action::Update),
        ];
        assert_eq!(check(&changes, &guards()), Ok(()));
    }

    #[test]
    fn unprotected_destroys_pass() {
        let changes = vec![
            Change::new("role.intruder", Action::Delete),
            Change::new("policy.app.public.t.other", Action::Replace),
        ];
        assert_eq!(check(&changes, &guards()), Ok(()));
        assert_eq!(check(&changes, &DestroyGuards::default()), Ok(()));
    }

    #[test]
    fn a_pattern_refuses_a_prune_naming_where_it_is_written() {
        let mut drop = Change::new("role.app_old", Action::Delete);
        drop.reasons
            .push("the role is not declared and prune_roles is on".into());
        let changes = vec![
            Change::new("role.app_new", Action::Create),
            drop,
            Change::new("database.legacy", Action::Delete),
        ];
        let err = check(&changes, &guards()).unwrap_err();
        assert_eq!(err.location, at(20));
        assert_eq!(
            err.to_string(),
            "main.hcl:20:3: role.app_old would be destroyed, but manage.prevent_destroy \
             (\"role.app_*\") protects it; also protected and destroyed: database.legacy"
        );
        assert_eq!(
            err.hints()[0],
            "because the role is not declared and prune_roles is on"
        );
        assert!(err.hints()[1].starts_with("nothing was changed"));
    }

    #[test]
    fn lifecycle_refuses_a_replacement() {
        let changes = vec![Change::new("policy.app.public.t.own", Action::Replace)];
        let err = check(&changes, &guards()).unwrap_err();
        assert_eq!(err.location, at(7));
        assert!(
            err.to_string()
                .contains("policy.app.public.t.own would be replaced"),
            "{err}"
        );
        assert_eq!(err.protection, "lifecycle.prevent_destroy");
    }
}
