//! Which `all = "…"` grants describe what one role holds on one kind of
//! object in one schema, and what is left to name object by object.
//!
//! A grant on all objects gives its privileges on every existing object
//! (but those the grantee owns) and, as default privileges, on the objects
//! its creators make later: the schema's declared owner, always, and the
//! roles in its `owners`. Grants add up. So the live state is described
//! exactly when:
//!
//! - every privilege of an `all` grant is held on every existing object;
//! - the schema owner's default privileges are the union of the `all`
//!   grants (it is a creator of each of them);
//! - every other creator's default privileges are the union of the grants
//!   naming it, here exactly one.
//!
//! Privileges are compared with their grant option: `(SELECT, true)` and
//! `(SELECT, false)` are different facts.

use std::collections::{BTreeMap, BTreeSet};

use super::context::DATABASE_OWNER;

/// A privilege and whether it carries the grant option.
pub(super) type Token = (String, bool);
pub(super) type Tokens = BTreeSet<Token>;

/// The grants found for one (grantee, schema, kind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Collapsed<K> {
    /// One `all` grant per set of privileges, with the creators it names
    /// besides the schema owner.
    pub all: Vec<(Tokens, Vec<String>)>,
    /// What each object still needs in a grant naming it.
    pub remainder: BTreeMap<K, Tokens>,
    /// Creators whose default privileges no grant can describe.
    pub unexpressed: Vec<String>,
}

/// `held`: privileges on each existing object the grantee does not own
/// (empty sets included: they rule `all` grants out). `defaults`: default
/// privileges by creator. `schema_owner`: the declared owner, unless it is
/// the grantee. `nameable`: whether a role may appear in `owners`.
pub(super) fn collapse<K: Clone + Ord>(
    held: &BTreeMap<K, Tokens>,
    defaults: &BTreeMap<String, Tokens>,
    schema_owner: Option<&str>,
    nameable: impl Fn(&str) -> bool,
) -> Collapsed<K> {
    let common: Option<Tokens> = held.values().fold(None, |acc, set| {
        Some(match acc {
            None => set.clone(),
            Some(acc) => acc.intersection(set).cloned().collect(),
        })
    });
    let fits = |set: &Tokens| common.as_ref().is_none_or(|c| set.is_subset(c));
    let creator = |owner: &str| nameable(owner) && owner != DATABASE_OWNER;
    let mut groups: BTreeMap<Tokens, Vec<String>> = BTreeMap::new();
    let mut unexpressed = Vec::new();
    match schema_owner {
        Some(owner) => {
            let base = defaults.get(owner).cloned().unwrap_or_default();
            if base.is_empty() || !fits(&base) {
                unexpressed.extend(defaults.keys().cloned());
            } else {
                groups.entry(base.clone()).or_default();
                for (other, set) in defaults.iter().filter(|(o, _)| o.as_str() != owner) {
                    if set.is_subset(&base) && creator(other) {
                        groups.entry(set.clone()).or_default().push(other.clone());
                    } else {
                        unexpressed.push(other.clone());
                    }
                }
            }
        }
        None => {
            for (owner, set) in defaults {
                if !set.is_empty() && fits(set) && creator(owner) {
                    groups.entry(set.clone()).or_default().push(owner.clone());
                } else {
                    unexpressed.push(owner.clone());
                }
            }
        }
    }
    let covered: Tokens = groups.keys().flatten().cloned().collect();
    let remainder = held
        .iter()
        .map(|(key, set)| (key.clone(), set.difference(&covered).cloned().collect()))
        .filter(|(_, rest): &(K, Tokens)| !rest.is_empty())
        .collect();
    Collapsed {
        all: groups.into_iter().collect(),
        remainder,
        unexpressed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(items: &[(&str, bool)]) -> Tokens {
        items.iter().map(|(p, g)| (p.to_string(), *g)).collect()
    }

    fn held(items: &[(&str, &[(&str, bool)])]) -> BTreeMap<String, Tokens> {
        items
            .iter()
            .map(|(name, set)| (name.to_string(), tokens(set)))
            .collect()
    }

    fn defaults(items: &[(&str, &[(&str, bool)])]) -> BTreeMap<String, Tokens> {
        held(items)
    }

    const SELECT: &[(&str, bool)] = &[("SELECT", false)];
    const SELECT_INSERT: &[(&str, bool)] = &[("SELECT", false), ("INSERT", false)];

    #[test]
    fn every_table_and_future_ones_become_one_all_grant() {
        let result = collapse(
            &held(&[("a", SELECT_INSERT), ("b", SELECT)]),
            &defaults(&[("owner", SELECT)]),
            Some("owner"),
            |_| true,
        );
        assert_eq!(result.all, vec![(tokens(SELECT), vec![])]);
        assert_eq!(
            result.remainder,
            BTreeMap::from([("a".to_owned(), tokens(&[("INSERT", false)]))])
        );
        assert!(result.unexpressed.is_empty());
    }

    #[test]
    fn without_default_privileges_objects_are_named() {
        let result = collapse(
            &held(&[("a", SELECT), ("b", SELECT)]),
            &BTreeMap::new(),
            Some("owner"),
            |_| true,
        );
        assert!(result.all.is_empty());
        assert_eq!(result.remainder.len(), 2);
    }

    #[test]
    fn a_table_without_the_privilege_rules_all_out() {
        let result = collapse(
            &held(&[("a", SELECT), ("b", &[])]),
            &defaults(&[("owner", SELECT)]),
            Some("owner"),
            |_| true,
        );
        assert!(result.all.is_empty());
        assert_eq!(result.unexpressed, vec!["owner".to_owned()]);
        assert_eq!(result.remainder.len(), 1);
    }

    #[test]
    fn other_creators_are_grouped_by_what_they_give() {
        let result = collapse(
            &held(&[("a", SELECT_INSERT)]),
            &defaults(&[
                ("owner", SELECT_INSERT),
                ("etl", SELECT),
                ("loader", SELECT),
                ("app", SELECT_INSERT),
                ("rogue", &[("DELETE", false)]),
            ]),
            Some("owner"),
            |_| true,
        );
        assert_eq!(
            result.all,
            vec![
                (tokens(SELECT_INSERT), vec!["app".to_owned()]),
                (tokens(SELECT), vec!["etl".to_owned(), "loader".to_owned()]),
            ]
        );
        assert!(result.remainder.is_empty());
        assert_eq!(result.unexpressed, vec!["rogue".to_owned()]);
    }

    #[test]
    fn without_a_declared_owner_creators_come_from_owners() {
        let result = collapse(
            &held(&[("a", SELECT)]),
            &defaults(&[("app", SELECT), ("pg_database_owner", SELECT)]),
            None,
            |role| role != "undeclared",
        );
        assert_eq!(result.all, vec![(tokens(SELECT), vec!["app".to_owned()])]);
        assert_eq!(result.unexpressed, vec!["pg_database_owner".to_owned()]);
        assert!(result.remainder.is_empty());
    }

    #[test]
    fn grant_options_must_match() {
        let result = collapse(
            &held(&[("a", &[("SELECT", true)])]),
            &defaults(&[("owner", SELECT)]),
            Some("owner"),
            |_| true,
        );
        assert!(result.all.is_empty());
        assert_eq!(result.remainder.len(), 1);
    }

    #[test]
    fn an_empty_schema_takes_any_default_privileges() {
        let result = collapse(
            &BTreeMap::<String, Tokens>::new(),
            &defaults(&[("owner", SELECT)]),
            Some("owner"),
            |_| true,
        );
        assert_eq!(result.all, vec![(tokens(SELECT), vec![])]);
    }
}
