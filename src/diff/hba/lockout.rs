//! Would the new rules still admit pgfort? Its own session (socket or TCP,
//! SSL or not, database, user, address) is matched against the new rules
//! first-match, and the method it meets must accept the credential pgfort
//! authenticated with (the method of the rule it met in the current file).

use super::simulate::{Context, first_match};
use crate::diff::DiffError;
use crate::model::{HbaProbe, HbaRule, HbaSession, TlsHandover};

pub(crate) const PASSWORD_METHODS: &[&str] = &["scram-sha-256", "md5", "password"];

/// How pgfort stays admitted by the new rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Admission {
    /// As it is connected now. The notes name rules only the server can
    /// evaluate.
    AsConnected(Vec<String>),
    /// Only over TLS, which the apply turns on before it writes the file.
    OverTls(Vec<String>, TlsHandover),
}

/// `Ok` when pgfort stays admitted, as it is connected or, when SSL is on
/// after the apply (`ssl_after_apply`) and its settings allow TLS, over
/// TLS; `Err` when the plan would lock it out.
pub(crate) fn check(
    current: &[HbaRule],
    new: &[HbaRule],
    session: &HbaSession,
    ssl_after_apply: bool,
) -> Result<Admission, DiffError> {
    let (outcome, notes) = evaluate(current, new, session);
    let why = match outcome {
        Ok(_) => return Ok(Admission::AsConnected(notes)),
        Err(why) => why,
    };
    let mut hint = "add a rule for this connection before the others, e.g. host all <user> <address>/32 scram-sha-256".to_owned();
    if session.probe.address.is_some() && !session.probe.ssl {
        let over_tls = HbaSession {
            probe: HbaProbe {
                ssl: true,
                ..session.probe.clone()
            },
            ..session.clone()
        };
        if let (Ok(index), tls_notes) = evaluate(current, new, &over_tls) {
            let at = format!("rule {} ({})", index + 1, new[index].line());
            if session.tls_allowed && ssl_after_apply {
                let handover = TlsHandover {
                    probe: over_tls.probe,
                    admitted_by: at,
                };
                return Ok(Admission::OverTls(tls_notes, handover));
            }
            hint = if session.tls_allowed {
                format!(
                    "{at} admits it over TLS, but SSL is off and this plan does not turn it on: declare a server_certificate (or ssl = on in settings), and apply switches to TLS before it writes the file"
                )
            } else {
                format!(
                    "{at} admits it over TLS: connect with sslmode=prefer or require (not disable), and apply switches to TLS once SSL is on"
                )
            };
        }
    }
    let who = super::admission::describe(&session.probe, &session.probe.database);
    Err(DiffError {
        message: format!("refusing to write pg_hba.conf: it would lock out {who}: {why}"),
        hint: Some(hint),
    })
}

/// The index of the new rule admitting `session`, or why none does; and
/// notes naming rules only the server can evaluate.
fn evaluate(
    current: &[HbaRule],
    new: &[HbaRule],
    session: &HbaSession,
) -> (Result<usize, String>, Vec<String>) {
    let context = Context {
        member_of: Some(&session.member_of),
        server_address: session.server_address,
    };
    let probe = &session.probe;
    let was = first_match(current, probe, context);
    let now = first_match(new, probe, context);
    let mut notes = Vec::new();
    if !now.uncertain.is_empty() {
        let rules: Vec<String> = now
            .uncertain
            .iter()
            .map(|i| format!("{} ({})", i + 1, new[*i].line()))
            .collect();
        let who = super::admission::describe(probe, &probe.database);
        notes.push(format!(
            "hba: rule(s) {} cannot be evaluated offline (host names, samenet, regular expressions, files); the check of {who} assumes they do not match",
            rules.join(", ")
        ));
    }
    let current_method = session
        .auth_method
        .as_deref()
        .or(was.rule.map(|i| current[i].method.as_str()));
    let Some(index) = now.rule else {
        return (Err("no rule matches it".to_owned()), notes);
    };
    let rule = &new[index];
    let method = rule.method.as_str();
    let at = format!("rule {} ({})", index + 1, rule.line());
    let outcome = if method == "reject" {
        Err(format!("{at} rejects it"))
    } else if compatible(current_method, method) {
        Ok(index)
    } else {
        Err(format!(
            "{at} asks for {method}, but pgfort authenticated with {}",
            current_method.unwrap_or("an unknown method")
        ))
    };
    (outcome, notes)
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
            tls_allowed: true,
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
        assert_eq!(
            check(&current(), &new, &session(), false),
            Ok(Admission::AsConnected(vec![]))
        );
    }

    #[test]
    fn refuses_reject_no_match_and_other_credentials() {
        let reject = vec![rule(ConnType::Host, "all", "all", "0.0.0.0/0", "reject")];
        let err = check(&current(), &reject, &session(), true).unwrap_err();
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
        let err = check(&current(), &ssl_only, &session(), false).unwrap_err();
        assert!(err.message.contains("no rule matches"), "{}", err.message);
        let cert = vec![rule(ConnType::Host, "all", "all", "127.0.0.1/32", "ident")];
        let err = check(&current(), &cert, &session(), true).unwrap_err();
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
        let err = check(&current(), &current(), &session, true).unwrap_err();
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
        let Ok(Admission::AsConnected(notes)) = check(&current(), &new, &session(), false) else {
            panic!("pgfort should stay admitted");
        };
        assert!(
            notes[0].contains("cannot be evaluated offline"),
            "{notes:?}"
        );
    }

    /// Loopback over TLS only, everything else rejected.
    fn tls_only() -> Vec<HbaRule> {
        vec![
            rule(
                ConnType::HostSsl,
                "all",
                "postgres",
                "127.0.0.1/32",
                "scram-sha-256",
            ),
            rule(ConnType::Host, "all", "all", "all", "reject"),
        ]
    }

    #[test]
    fn switches_to_tls_when_the_apply_turns_it_on() {
        let Ok(Admission::OverTls(notes, handover)) =
            check(&current(), &tls_only(), &session(), true)
        else {
            panic!("the plan should switch to TLS");
        };
        assert!(notes.is_empty(), "{notes:?}");
        assert!(handover.probe.ssl);
        assert_eq!(handover.probe.user, "postgres");
        assert_eq!(
            handover.admitted_by,
            "rule 1 (hostssl all postgres 127.0.0.1/32 scram-sha-256)"
        );
    }

    #[test]
    fn names_the_tls_rule_when_it_cannot_switch() {
        // SSL stays off after the apply.
        let err = check(&current(), &tls_only(), &session(), false).unwrap_err();
        assert!(
            err.message
                .contains("rule 2 (host all all all reject) rejects it")
        );
        let hint = err.hint.unwrap();
        assert!(
            hint.starts_with("rule 1 (hostssl all postgres 127.0.0.1/32 scram-sha-256) admits it over TLS, but SSL is off"),
            "{hint}"
        );
        // sslmode=disable: the hint says which modes work.
        let mut plain = session();
        plain.tls_allowed = false;
        let err = check(&current(), &tls_only(), &plain, true).unwrap_err();
        let hint = err.hint.unwrap();
        assert!(
            hint.contains("admits it over TLS: connect with sslmode=prefer or require"),
            "{hint}"
        );
        // Over the Unix socket TLS is no way in: the usual hint.
        let mut socket = session();
        socket.probe.address = None;
        let err = check(&current(), &tls_only(), &socket, true).unwrap_err();
        assert!(err.hint.unwrap().starts_with("add a rule"));
    }

    #[test]
    fn a_rule_refusing_tls_too_is_a_lockout() {
        let new = vec![
            rule(ConnType::HostSsl, "all", "postgres", "127.0.0.1/32", "cert"),
            rule(ConnType::Host, "all", "all", "all", "reject"),
        ];
        let err = check(&current(), &new, &session(), true).unwrap_err();
        assert!(err.message.contains("rejects it"), "{}", err.message);
        assert!(err.hint.unwrap().starts_with("add a rule"));
    }
}
