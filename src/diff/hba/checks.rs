//! `check { … }` blocks: declared connections and the method they must
//! meet first, evaluated against the declared rules at plan time.

use super::simulate::{Context, first_match};
use crate::model::{HbaCheck, HbaRule};

/// The first failing check as a message with the check's location.
pub(crate) fn run(rules: &[HbaRule], checks: &[HbaCheck]) -> Result<(), String> {
    for check in checks {
        let outcome = first_match(rules, &check.probe, Context::default());
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
        assert_eq!(run(&rules(), &checks), Ok(()));
    }

    #[test]
    fn a_failing_check_names_its_location_and_the_rule() {
        let err = run(
            &rules(),
            &[check("x", Some("10.1.0.5"), false, "scram-sha-256")],
        )
        .unwrap_err();
        assert!(err.starts_with("main.hcl:9:3: hba check"), "{err}");
        assert!(err.contains("meets reject from rule 3"), "{err}");
    }
}
