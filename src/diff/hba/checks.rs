//! `check { … }` blocks: declared connections and the method they must
//! meet first, evaluated against the declared rules at plan time.

use std::collections::{BTreeMap, BTreeSet};

use super::simulate::{Context, first_match};
use crate::model::{HbaCheck, HbaRule, Role};

/// The roles `user` is a member of, directly or not, itself included, by
/// the first of `sources` that knows the user (declared roles before live
/// ones); `None` when none does.
pub(crate) fn memberships(user: &str, sources: &[&BTreeMap<String, Role>]) -> Option<Vec<String>> {
    let roles = sources.iter().find(|roles| roles.contains_key(user))?;
    let mut seen = BTreeSet::from([user.to_owned()]);
    let mut queue = vec![user.to_owned()];
    while let Some(name) = queue.pop() {
        let parents = roles.get(&name).map(|role| role.member_of.keys());
        for parent in parents.into_iter().flatten() {
            if seen.insert(parent.clone()) {
                queue.push(parent.clone());
            }
        }
    }
    Some(seen.into_iter().collect())
}

/// The first failing check as a message with the check's location.
/// `+group` entries are decided from `roles` (declared, then live).
pub(crate) fn run(
    rules: &[HbaRule],
    checks: &[HbaCheck],
    roles: &[&BTreeMap<String, Role>],
) -> Result<(), String> {
    for check in checks {
        let member_of = memberships(&check.probe.user, roles);
        let context = Context {
            member_of: member_of.as_deref(),
            server_address: None,
        };
        let outcome = first_match(rules, &check.probe, context);
        let probe = &check.probe;
        let from = match probe.address {
            Some(ip) => format!("{ip}{}", if probe.ssl { " over SSL" } else { "" }),
            None => "the Unix socket".to_owned(),
        };
        let what = format!(
            "{}: hba check (user {}, database {}, from {from})",
            check.location, probe.user, probe.database
        );
        if !outcome.uncertain.is_empty() {
            let rules: Vec<String> = outcome
                .uncertain
                .iter()
                .map(|i| (i + 1).to_string())
                .collect();
            return Err(format!(
                "{what} cannot be decided offline: rule(s) {} depend on host names, samenet, group membership or files",
                rules.join(", ")
            ));
        }
        let got = outcome.method(rules);
        if got != check.expect {
            let by = match outcome.rule {
                Some(index) => format!("rule {} ({})", index + 1, rules[index].line()),
                None => "no rule (the server rejects it)".to_owned(),
            };
            return Err(format!(
                "{what} expects {}, but meets {got} from {by}",
                check.expect
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::hba::simulate::tests::rule;
    use crate::model::{ConnType, HbaProbe};

    fn check(user: &str, address: Option<&str>, ssl: bool, expect: &str) -> HbaCheck {
        HbaCheck {
            probe: HbaProbe {
                user: user.into(),
                database: "app".into(),
                address: address.map(|a| a.parse().unwrap()),
                ssl,
            },
            expect: expect.into(),
            location: "main.hcl:9:3".into(),
        }
    }

    fn rules() -> Vec<HbaRule> {
        vec![
            rule(
                ConnType::HostSsl,
                "all",
                "all",
                "0.0.0.0/0",
                "scram-sha-256",
            ),
            rule(ConnType::Host, "app", "app", "10.1.0.0/16", "scram-sha-256"),
            rule(ConnType::Host, "all", "all", "all", "reject"),
        ]
    }

    #[test]
    fn passing_checks_pass() {
        let checks = vec![
            check("app", Some("10.1.0.5"), false, "scram-sha-256"),
            check("x", Some("8.8.8.8"), true, "scram-sha-256"),
            check("x", Some("8.8.8.8"), false, "reject"),
            check("x", None, false, "reject"),
        ];
        assert_eq!(run(&rules(), &checks, &[]), Ok(()));
    }

    #[test]
    fn a_failing_check_names_its_location_and_the_rule() {
        let err = run(
            &rules(),
            &[check("x", Some("10.1.0.5"), false, "scram-sha-256")],
            &[],
        )
        .unwrap_err();
        assert!(err.starts_with("main.hcl:9:3: hba check"), "{err}");
        assert!(err.contains("meets reject from rule 3"), "{err}");
    }

    #[test]
    fn groups_are_decided_from_declared_memberships() {
        let mut roles = BTreeMap::new();
        let mut app = Role::new("app");
        app.member_of.insert("staff".into(), Default::default());
        roles.insert("app".to_owned(), app);
        roles.insert("staff".to_owned(), Role::new("staff"));
        let rules = vec![
            rule(ConnType::Host, "all", "+staff", "all", "scram-sha-256"),
            rule(ConnType::Host, "all", "all", "all", "reject"),
        ];
        let checks = [
            check("app", Some("10.0.0.1"), false, "scram-sha-256"),
            check("staff", Some("10.0.0.1"), false, "scram-sha-256"),
        ];
        assert_eq!(run(&rules, &checks, &[&roles]), Ok(()));
        let unknown = run(
            &rules,
            &[check("zed", Some("10.0.0.1"), false, "reject")],
            &[&roles],
        );
        assert!(unknown.unwrap_err().contains("cannot be decided offline"));
    }
}
