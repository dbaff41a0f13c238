//! Would the new rules still admit pgfort? Its own session (socket or TCP,
//! SSL or not, database, user, address) is matched against the new rules
//! first-match, and the method it meets must accept the credential pgfort
//! authenticated with (the method of the rule it met in the current file).

use super::simulate::{Context, first_match};
use crate::diff::DiffError;
use crate::model::{HbaRule, HbaSession};

pub(crate) const PASSWORD_METHODS: &[&str] = &["scram-sha-256", "md5", "password"];

/// `Ok(notes)` when pgfort stays admitted (notes name rules only the
/// server can evaluate); `Err` when the plan would lock it out.
pub(crate) fn check(
    current: &[HbaRule],
    new: &[HbaRule],
    session: &HbaSession,
) -> Result<Vec<String>, DiffError> {
    let context = Context {
        member_of: Some(&session.member_of),
        server_address: session.server_address,
    };
    let probe = &session.probe;
    let from = match probe.address {
        Some(ip) => format!("TCP from {ip}{}", if probe.ssl { " with SSL" } else { "" }),
        None => "the Unix socket".to_owned(),
    };
    let who = format!(
        "pgfort's own connection (user {}, database {}, {from})",
        probe.user, probe.database
    );
    let was = first_match(current, probe, context);
    let now = first_match(new, probe, context);
    let mut notes = Vec::new();
    if !now.uncertain.is_empty() {
        let rules: Vec<String> = now
            .uncertain
            .iter()
            .map(|i| format!("{} ({})", i + 1, new[*i].line()))
            .collect();
        notes.push(format!(
            "hba: rule(s) {} cannot be evaluated offline (host names, samenet, regular expressions, files); the check of {who} assumes they do not match",
            rules.join(", ")
        ));
    }
    let current_method = session
        .auth_method
        .as_deref()
        .or(was.rule.map(|i| current[i].method.as_str()));
    let refuse = |why: String| {
        DiffError {
        message: format!("refusing to write pg_hba.conf: it would lock out {who}: {why}"),
        hint: Some(
            "add a rule for this connection before the others, e.g. host all <user> <address>/32 scram-sha-256"
                .to_owned(),
        ),
    }
    };
    let Some(index) = now.rule else {
        return Err(refuse("no rule matches it".to_owned()));
    };
    let rule = &new[index];
    let method = rule.method.as_str();
    let at = format!("rule {} ({})", index + 1, rule.line());
    if method == "reject" {
        return Err(refuse(format!("{at} rejects it")));
    }
    if compatible(current_method, method) {
        return Ok(notes);
    }
    Err(refuse(format!(
        "{at} asks for {method}, but pgfort authenticated with {}",
        current_method.unwrap_or("an unknown method")
    )))
}

/// Whether a connection authenticated with `current` can log in with `new`.
pub(crate) fn compatible(current: Option<&str>, new: &str) -> bool {
    if new == "trust" || Some(new) == current {
        return true;
    }
    match current {
        // A password works for every password method (a SCRAM verifier
        // also answers md5 challenges).
        Some(current) if PASSWORD_METHODS.contains(&current) => PASSWORD_METHODS.contains(&new),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::hba::simulate::tests::rule;
    use crate::model::{ConnType, HbaProbe};

    fn session() -> HbaSession {
        HbaSession {
            probe: HbaProbe {
                user: "postgres".into(),
                database: "postgres".into(),
                address: Some("127.0.0.1".parse().unwrap()),
                ssl: false,
            },
            server_address: Some("127.0.0.1".parse().unwrap()),
            member_of: vec!["postgres".into()],
            auth_method: None,
        }
    }

    fn current() -> Vec<HbaRule> {
        vec![rule(
            ConnType::Host,
            "all",
            "all",
            "127.0.0.1/32",
            "scram-sha-256",
        )]
    }

    #[test]
    fn keeps_pgfort_admitted() {
        let new = vec![
            rule(ConnType::Host, "all", "postgres", "127.0.0.1/32", "md5"),
            rule(ConnType::Host, "all", "all", "all", "reject"),
        ];
        assert_eq!(check(&current(), &new, &session()), Ok(vec![]));
    }

    #[test]
    fn refuses_reject_no_match_and_other_credentials() {
        let reject = vec![rule(ConnType::Host, "all", "all", "0.0.0.0/0", "reject")];
        let err = check(&current(), &reject, &session()).unwrap_err();
        assert!(
            err.message
                .contains("rule 1 (host all all 0.0.0.0/0 reject) rejects it"),
            "{}",
            err.message
        );
        let ssl_only = vec![rule(
            ConnType::HostSsl,
            "all",
            "all",
            "0.0.0.0/0",
            "scram-sha-256",
        )];
        let err = check(&current(), &ssl_only, &session()).unwrap_err();
        assert!(err.message.contains("no rule matches"), "{}", err.message);
        let cert = vec![rule(ConnType::Host, "all", "all", "127.0.0.1/32", "ident")];
        let err = check(&current(), &cert, &session()).unwrap_err();
        assert!(
            err.message
                .contains("pgfort authenticated with scram-sha-256"),
            "{}",
            err.message
        );
    }

    #[test]
    fn the_method_the_server_reports_wins_over_the_current_file() {
        let mut session = session();
        session.auth_method = Some("cert".into());
        let err = check(&current(), &current(), &session).unwrap_err();
        assert!(
            err.message.contains("pgfort authenticated with cert"),
            "{}",
            err.message
        );
    }

    #[test]
    fn notes_rules_only_the_server_can_evaluate() {
        let new = vec![
            rule(ConnType::Host, "all", "all", "db.example.com", "reject"),
            rule(
                ConnType::Host,
                "all",
                "all",
                "127.0.0.1/32",
                "scram-sha-256",
            ),
        ];
        let notes = check(&current(), &new, &session()).unwrap();
        assert!(
            notes[0].contains("cannot be evaluated offline"),
            "{notes:?}"
        );
    }
}
