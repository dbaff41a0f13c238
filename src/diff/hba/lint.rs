//! Warnings about declared rules that work but weaken the server: trust
//! over the network, rules open to the whole internet, weak password
//! methods, rules an earlier rule hides, remote superuser logins.

use ipnet::IpNet;

use crate::model::{ConnType, HbaAddress, HbaRule};

/// One warning per finding, naming the rule by position and text.
pub(crate) fn lint(rules: &[HbaRule], superusers: &[String]) -> Vec<String> {
    let mut warnings = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let name = || format!("hba rule {} ({})", index + 1, rule.line());
        let remote = rule.conn_type != ConnType::Local;
        let admits = rule.method != "reject";
        if remote && rule.method == "trust" {
            warnings.push(format!(
                "{}: trust over the network lets anyone who can reach the server log in without a password",
                name()
            ));
        }
        if admits && is_everywhere(&rule.address) {
            warnings.push(format!(
                "{}: admits connections from any address; narrow the address or make sure the method is strong",
                name()
            ));
        }
        if matches!(rule.method.as_str(), "md5" | "password") {
            warnings.push(format!(
                "{}: method {} is weaker than scram-sha-256{}",
                name(),
                rule.method,
                if rule.method == "password" {
                    " (the password is sent in clear text)"
                } else {
                    ""
                }
            ));
        }
        if let Some(earlier) = rules[..index].iter().position(|e| shadows(e, rule)) {
            warnings.push(format!(
                "{}: never used, rule {} ({}) matches every connection it would",
                name(),
                earlier + 1,
                rules[earlier].line()
            ));
        }
        if remote && admits && !is_loopback(&rule.address) && admits_superuser(rule, superusers) {
            warnings.push(format!(
                "{}: admits a superuser from a remote address; prefer local or loopback-only rules for superusers",
                name()
            ));
        }
    }
    warnings
}

fn is_everywhere(address: &HbaAddress) -> bool {
    match address {
        HbaAddress::All => true,
        HbaAddress::Net(net) => net.prefix_len() == 0,
        _ => false,
    }
}

fn is_loopback(address: &HbaAddress) -> bool {
    match address {
        HbaAddress::Net(net) => net.network().is_loopback() && net.broadcast().is_loopback(),
        HbaAddress::SameHost => true,
        _ => false,
    }
}

fn admits_superuser(rule: &HbaRule, superusers: &[String]) -> bool {
    rule.users
        .iter()
        .any(|user| user == "all" || superusers.iter().any(|s| s == user))
}

/// Whether `earlier` matches every connection `later` matches.
fn shadows(earlier: &HbaRule, later: &HbaRule) -> bool {
    let types = earlier.conn_type == later.conn_type
        || (earlier.conn_type == ConnType::Host && later.conn_type != ConnType::Local);
    types
        && databases_cover(&earlier.databases, &later.databases)
        && covers(&earlier.users, &later.users)
        && address_covers(&earlier.address, &later.address)
}

/// As [`covers`], but `all` does not match replication connections: only
/// a `replication` entry does.
fn databases_cover(earlier: &[String], later: &[String]) -> bool {
    let replication = |list: &[String]| list.iter().any(|d| d == "replication");
    (!replication(later) || replication(earlier)) && covers(earlier, later)
}

fn covers(earlier: &[String], later: &[String]) -> bool {
    let plain = |item: &String| !item.starts_with(['@', '+', '/']);
    earlier.iter().any(|item| item == "all")
        || later
            .iter()
            .all(|item| plain(item) && earlier.contains(item) && item != "all")
}

fn address_covers(earlier: &HbaAddress, later: &HbaAddress) -> bool {
    match (earlier, later) {
        (HbaAddress::None, HbaAddress::None) | (HbaAddress::All, _) => true,
        (HbaAddress::Net(a), HbaAddress::Net(b)) => net_contains(a, b),
        (a, b) => a == b,
    }
}

fn net_contains(outer: &IpNet, inner: &IpNet) -> bool {
    outer.contains(inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::hba::simulate::tests::rule;

    #[test]
    fn all_does_not_shadow_replication() {
        let all = rule(
            ConnType::Host,
            "all",
            "all",
            "127.0.0.1/32",
            "scram-sha-256",
        );
        let replication = rule(
            ConnType::Host,
            "replication",
            "all",
            "127.0.0.1/32",
            "scram-sha-256",
        );
        assert!(!shadows(&all, &replication));
        assert!(shadows(&replication, &replication.clone()));
        assert!(shadows(&all, &all.clone()));
    }

    #[test]
    fn flags_weak_open_and_shadowed_rules() {
        let rules = vec![
            rule(ConnType::Host, "all", "all", "10.0.0.0/8", "md5"),
            rule(
                ConnType::HostSsl,
                "app",
                "app",
                "10.1.0.0/16",
                "scram-sha-256",
            ),
            rule(ConnType::Host, "all", "all", "0.0.0.0/0", "trust"),
            rule(ConnType::Host, "all", "all", "127.0.0.1/32", "reject"),
        ];
        let warnings = lint(&rules, &["postgres".to_owned()]).join("\n");
        assert!(
            warnings.contains("rule 1") && warnings.contains("md5"),
            "{warnings}"
        );
        assert!(
            warnings.contains("hba rule 2") && warnings.contains("never used"),
            "{warnings}"
        );
        assert!(warnings.contains("trust over the network"), "{warnings}");
        assert!(warnings.contains("any address"), "{warnings}");
        assert!(warnings.contains("superuser"), "{warnings}");
        assert!(
            warnings.contains("hba rule 4 (host all all 127.0.0.1/32 reject): never"),
            "{warnings}"
        );
    }

    #[test]
    fn a_clean_rule_set_has_no_warnings() {
        let rules = vec![
            rule(ConnType::Local, "all", "postgres", "", "peer"),
            rule(
                ConnType::Host,
                "all",
                "postgres",
                "127.0.0.1/32",
                "scram-sha-256",
            ),
            rule(
                ConnType::HostSsl,
                "app",
                "app",
                "10.1.0.0/16",
                "scram-sha-256",
            ),
            rule(ConnType::Host, "all", "all", "all", "reject"),
        ];
        assert_eq!(lint(&rules, &["postgres".to_owned()]), Vec::<String>::new());
    }
}
