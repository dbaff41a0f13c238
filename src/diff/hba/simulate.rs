//! First-match evaluation of pg_hba rules, offline: which rule would the
//! server pick for a connection, and which earlier rules could not be
//! evaluated without the server (host names, samenet, regular expressions,
//! included files, group membership nobody told us about).

use std::net::IpAddr;

use crate::model::{ConnType, HbaAddress, HbaProbe, HbaRule};

/// What is known beyond the probe itself.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Context<'a> {
    /// Roles the probe's user is a member of; `None`: unknown.
    pub member_of: Option<&'a [String]>,
    /// The server's address, for `samehost`.
    pub server_address: Option<IpAddr>,
}

/// The result of a first-match search.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Outcome {
    /// Index of the first rule that surely matches; `None`: none does, and
    /// the server rejects the connection.
    pub rule: Option<usize>,
    /// Earlier rules that might match, but only the server can tell.
    pub uncertain: Vec<usize>,
}

impl Outcome {
    /// The method the connection meets (`reject` when no rule matches).
    pub fn method<'r>(&self, rules: &'r [HbaRule]) -> &'r str {
        self.rule
            .and_then(|index| rules.get(index))
            .map_or("reject", |rule| rule.method.as_str())
    }
}

pub(crate) fn first_match(rules: &[HbaRule], probe: &HbaProbe, context: Context<'_>) -> Outcome {
    let mut outcome = Outcome::default();
    for (index, rule) in rules.iter().enumerate() {
        match matches(rule, probe, context) {
            Some(true) => {
                outcome.rule = Some(index);
                return outcome;
            }
            Some(false) => {}
            None => outcome.uncertain.push(index),
        }
    }
    outcome
}

/// `Some(matches)`, or `None` when only the server can tell.
pub(crate) fn matches(rule: &HbaRule, probe: &HbaProbe, context: Context<'_>) -> Option<bool> {
    let type_matches = match (rule.conn_type, probe.address) {
        (ConnType::Local, None) => true,
        (ConnType::Local, Some(_)) | (_, None) => false,
        (ConnType::Host | ConnType::HostNoGssEnc, Some(_)) => true,
        (ConnType::HostSsl, Some(_)) => probe.ssl,
        (ConnType::HostNoSsl, Some(_)) => !probe.ssl,
        (ConnType::HostGssEnc, Some(_)) => false,
    };
    if !type_matches {
        return Some(false);
    }
    let address = match (&rule.address, probe.address) {
        (HbaAddress::None, _) | (_, None) => Some(true),
        (HbaAddress::SameHost, Some(ip)) if context.server_address == Some(ip) => Some(true),
        (address, Some(ip)) => address.contains(ip),
    };
    let database = any(&rule.databases, |item| {
        database_matches(item, probe, context)
    });
    let user = any(&rule.users, |item| user_matches(item, &probe.user, context));
    all3(address, database, user)
}

/// Three-valued AND: false wins, then unknown.
fn all3(a: Option<bool>, b: Option<bool>, c: Option<bool>) -> Option<bool> {
    let parts = [a, b, c];
    if parts.contains(&Some(false)) {
        return Some(false);
    }
    if parts.contains(&None) {
        return None;
    }
    Some(true)
}

/// Three-valued OR over a list: true wins, then unknown.
fn any(items: &[String], test: impl Fn(&str) -> Option<bool>) -> Option<bool> {
    let mut unknown = false;
    for item in items {
        match test(item) {
            Some(true) => return Some(true),
            Some(false) => {}
            None => unknown = true,
        }
    }
    if unknown { None } else { Some(false) }
}

fn database_matches(item: &str, probe: &HbaProbe, context: Context<'_>) -> Option<bool> {
    match item {
        "all" => Some(true),
        "sameuser" => Some(probe.database == probe.user),
        "samerole" | "samegroup" => member(&probe.database, &probe.user, context),
        // Only replication connections; pgfort and checks are not.
        "replication" => Some(false),
        _ if item.starts_with('@') || item.starts_with('/') => None,
        name => Some(name == probe.database),
    }
}

fn user_matches(item: &str, user: &str, context: Context<'_>) -> Option<bool> {
    if item == "all" {
        return Some(true);
    }
    if let Some(group) = item.strip_prefix('+') {
        return member(group, user, context);
    }
    if item.starts_with('@') || item.starts_with('/') {
        return None;
    }
    Some(item == user)
}

fn member(group: &str, user: &str, context: Context<'_>) -> Option<bool> {
    if group == user {
        return Some(true);
    }
    context
        .member_of
        .map(|roles| roles.iter().any(|role| role == group))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::HbaAddress;

    pub(crate) fn rule(
        conn: ConnType,
        db: &str,
        user: &str,
        address: &str,
        method: &str,
    ) -> HbaRule {
        HbaRule {
            conn_type: conn,
            databases: vec![db.to_owned()],
            users: vec![user.to_owned()],
            address: if address.is_empty() {
                HbaAddress::None
            } else {
                HbaAddress::parse(address, None).unwrap()
            },
            method: method.to_owned(),
            options: vec![],
            comment: None,
        }
    }

    fn probe(user: &str, address: Option<&str>, ssl: bool) -> HbaProbe {
        HbaProbe {
            user: user.into(),
            database: "app".into(),
            address: address.map(|a| a.parse().unwrap()),
            ssl,
        }
    }

    #[test]
    fn first_match_wins_and_no_match_rejects() {
        let rules = vec![
            rule(ConnType::Local, "all", "all", "", "peer"),
            rule(
                ConnType::HostSsl,
                "all",
                "all",
                "0.0.0.0/0",
                "scram-sha-256",
            ),
            rule(ConnType::Host, "app", "app", "10.1.0.0/16", "scram-sha-256"),
            rule(ConnType::Host, "all", "all", "all", "reject"),
        ];
        let none = Context::default();
        assert_eq!(
            first_match(&rules, &probe("x", None, false), none).rule,
            Some(0)
        );
        assert_eq!(
            first_match(&rules, &probe("x", Some("8.8.8.8"), true), none).rule,
            Some(1)
        );
        assert_eq!(
            first_match(&rules, &probe("app", Some("10.1.2.3"), false), none).rule,
            Some(2)
        );
        let other = first_match(&rules, &probe("x", Some("10.1.2.3"), false), none);
        assert_eq!(other.method(&rules), "reject");
        assert_eq!(
            first_match(&rules[2..3], &probe("x", Some("1.1.1.1"), false), none).rule,
            None
        );
    }

    #[test]
    fn what_needs_the_server_is_uncertain() {
        let rules = vec![
            rule(ConnType::Host, "all", "+staff", "all", "reject"),
            rule(ConnType::Host, "all", "all", "db.example.com", "reject"),
            rule(ConnType::Host, "all", "all", "all", "scram-sha-256"),
        ];
        let outcome = first_match(
            &rules,
            &probe("a", Some("10.0.0.1"), false),
            Context::default(),
        );
        assert_eq!(outcome.rule, Some(2));
        assert_eq!(outcome.uncertain, vec![0, 1]);
        let roles = vec!["staff".to_owned()];
        let known = Context {
            member_of: Some(&roles),
            server_address: None,
        };
        assert_eq!(
            first_match(&rules, &probe("a", Some("10.0.0.1"), false), known).rule,
            Some(0)
        );
    }
}
