//! Client authentication rules as the server loaded them
//! (`pg_hba_file_rules`, CIS 5.3, 5.4 and extras 5.8-5.11).

use std::net::IpAddr;

use super::none_of;
use crate::audit::facts::{AuditFacts, HbaRuleFact};
use crate::audit::{Area, Check, Control, Severity};

/// More addresses than a /16 is a wide rule.
const WIDE: u128 = 65_536;

fn rules(facts: &AuditFacts) -> Result<&[HbaRuleFact], Check> {
    facts.hba_rules.as_deref().ok_or_else(|| {
        Check::Skip("needs superuser (pg_hba_file_rules is not readable)".to_owned())
    })
}

/// `line 90: host all all 0.0.0.0/0 trust`.
pub(crate) fn describe(rule: &HbaRuleFact) -> String {
    let address = match (&rule.address, &rule.netmask) {
        (Some(a), Some(m)) => match prefix_len(m) {
            Some(p) => format!(" {a}/{p}"),
            None => format!(" {a} {m}"),
        },
        (Some(a), None) => format!(" {a}"),
        _ => String::new(),
    };
    format!(
        "line {}: {} {} {}{} {}",
        rule.line,
        rule.kind,
        rule.databases.join(","),
        rule.users.join(","),
        address,
        rule.method
    )
}

fn prefix_len(netmask: &str) -> Option<u32> {
    match netmask.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => Some(u32::from(v4).count_ones()),
        IpAddr::V6(v6) => Some(u128::from(v6).count_ones()),
    }
}

/// How many addresses a host rule admits; `None` for host names.
fn covered(rule: &HbaRuleFact) -> Option<u128> {
    let address = rule.address.as_deref()?;
    if address == "all" {
        return Some(u128::MAX);
    }
    let bits = match address.parse::<IpAddr>().ok()? {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    };
    let prefix = prefix_len(rule.netmask.as_deref()?)?;
    if prefix == 0 {
        return Some(u128::MAX);
    }
    let free = bits - prefix.min(bits);
    Some(if free >= 128 {
        u128::MAX
    } else {
        1u128 << free
    })
}

fn is_host(rule: &HbaRuleFact) -> bool {
    rule.kind.starts_with("host")
}

/// A rule whose every address is a loopback one (127.0.0.0/8, ::1): its
/// connections never cross a network, so neither eavesdropping nor a
/// remote login is possible through it.
fn loopback_only(rule: &HbaRuleFact) -> bool {
    let (Some(address), Some(netmask)) = (&rule.address, &rule.netmask) else {
        return false;
    };
    let (Ok(address), Some(prefix)) = (address.parse::<IpAddr>(), prefix_len(netmask)) else {
        return false;
    };
    match address {
        IpAddr::V4(v4) => v4.octets()[0] == 127 && prefix >= 8,
        IpAddr::V6(v6) => v6.is_loopback() && prefix == 128,
    }
}

fn admits(rule: &HbaRuleFact) -> bool {
    rule.method != "reject"
}

fn offending(facts: &AuditFacts, bad: impl Fn(&HbaRuleFact) -> bool, none: &str) -> Check {
    match rules(facts) {
        Ok(rules) => none_of(
            rules.iter().filter(|r| bad(r)).map(describe).collect(),
            none,
        ),
        Err(skip) => skip,
    }
}

fn remote_method(facts: &AuditFacts, method: &str) -> Check {
    offending(
        facts,
        |r| is_host(r) && r.method == method,
        &format!("no host rule uses {method}"),
    )
}

fn ssl_bypass(facts: &AuditFacts) -> Check {
    let rules = match rules(facts) {
        Ok(rules) => rules,
        Err(skip) => return skip,
    };
    if !rules.iter().any(|r| r.kind == "hostssl") {
        return Check::Pass(vec!["no hostssl rules (see 6.8-hostssl)".to_owned()]);
    }
    none_of(
        rules
            .iter()
            .filter(|r| {
                matches!(r.kind.as_str(), "host" | "hostnossl") && admits(r) && !loopback_only(r)
            })
            .map(describe)
            .collect(),
        "every TCP rule that admits requires SSL",
    )
}

/// A rule's user field names a superuser: `all`, the name, or `+group`
/// of which a superuser is a member, directly or through other groups (as
/// the server follows them).
fn superuser_remote(facts: &AuditFacts) -> Check {
    let memberships = facts.memberships();
    let superusers: Vec<(&str, std::collections::BTreeSet<&str>)> = facts
        .roles
        .iter()
        .filter(|r| r.superuser)
        .map(|r| (r.name.as_str(), memberships.groups_of(&r.name)))
        .collect();
    let names_superuser = |user: &str| {
        user == "all"
            || superusers
                .iter()
                .any(|(name, groups)| match user.strip_prefix('+') {
                    Some(group) => groups.contains(group),
                    None => *name == user,
                })
    };
    offending(
        facts,
        |r| {
            is_host(r)
                && admits(r)
                && !loopback_only(r)
                && r.users.iter().any(|u| names_superuser(u))
        },
        "no host rule admits a superuser",
    )
}

/// The rule shape the hba controls ask for. The `hba` block is the whole
/// file, so the example says where the other rules go.
pub(crate) const HBA_REMEDY: &str = "hba {
  rule {
    type     = \"hostssl\"
    database = \"app\"
    user     = \"+app_users\"
    address  = \"10.0.1.0/24\" # the clients' network, as narrow as it can be
    method   = \"scram-sha-256\"
  }
  # ... every other rule, in order: the block is the whole file
}";

const LOCAL_REMEDY: &str = "hba {
  rule {
    type   = \"local\"
    method = \"peer\" # or scram-sha-256
  }
  # ... every other rule, in order: the block is the whole file
}";

const SSL_ONLY_REMEDY: &str = "hba {
  # ... the local, loopback and hostssl rules, in order
  rule {
    type    = \"host\"
    address = \"all\"
    method  = \"reject\" # no plain TCP beyond the rules above
  }
}";

const SUPERUSER_REMEDY: &str = "hba {
  # ... the local and loopback rules
  rule {
    type    = \"host\"
    user    = \"postgres\" # each superuser
    address = \"all\"
    method  = \"reject\"
  }
  # ... then the rules for remote clients
}";

pub const CONTROLS: &[Control] = &[
    Control {
        id: "5.3",
        area: Area::Authentication,
        title: "local (socket) rules do not use trust",
        severity: Severity::High,
        rationale: "trust lets any local OS user connect as any role, including superusers.",
        remedy: LOCAL_REMEDY,
        check: |f| {
            offending(
                f,
                |r| r.kind == "local" && r.method == "trust",
                "no local trust rule",
            )
        },
    },
    Control {
        id: "5.4-trust",
        area: Area::Authentication,
        title: "no host rule uses trust",
        severity: Severity::Critical,
        rationale: "trust over TCP admits anyone who can reach the port, without a password.",
        remedy: HBA_REMEDY,
        check: |f| remote_method(f, "trust"),
    },
    Control {
        id: "5.4-password",
        area: Area::Authentication,
        title: "no host rule uses cleartext password",
        severity: Severity::High,
        rationale: "password sends the password in clear text on the wire.",
        remedy: HBA_REMEDY,
        check: |f| remote_method(f, "password"),
    },
    Control {
        id: "5.4-ident",
        area: Area::Authentication,
        title: "no host rule uses ident",
        severity: Severity::High,
        rationale: "ident over TCP trusts whatever the client's host says.",
        remedy: HBA_REMEDY,
        check: |f| remote_method(f, "ident"),
    },
    Control {
        id: "5.4-md5",
        area: Area::Authentication,
        title: "no host rule uses md5",
        severity: Severity::Medium,
        rationale: "md5 authentication is weak; scram-sha-256 is the safe default.",
        remedy: HBA_REMEDY,
        check: |f| remote_method(f, "md5"),
    },
    Control {
        id: "5.8-ext",
        area: Area::Authentication,
        title: "no non-SSL host rule admits clients when hostssl rules exist",
        severity: Severity::Medium,
        rationale: "A host rule next to hostssl rules lets clients fall back to plain TCP. Loopback-only rules are exempt: their traffic never leaves the host.",
        remedy: SSL_ONLY_REMEDY,
        check: ssl_bypass,
    },
    Control {
        id: "5.9-ext",
        area: Area::Authentication,
        title: "no rule admits the whole internet (/0)",
        severity: Severity::Critical,
        rationale: "A /0 rule leaves only the password between the internet and the data.",
        remedy: HBA_REMEDY,
        check: |f| {
            offending(
                f,
                |r| is_host(r) && admits(r) && covered(r) == Some(u128::MAX),
                "no /0 rule",
            )
        },
    },
    Control {
        id: "5.9-ext-wide",
        area: Area::Authentication,
        title: "no rule admits more than 65,536 addresses",
        severity: Severity::Medium,
        rationale: "Networks wider than a /16 are rarely all clients of one database.",
        remedy: HBA_REMEDY,
        check: |f| {
            offending(
                f,
                |r| {
                    is_host(r)
                        && admits(r)
                        && covered(r).is_some_and(|n| n > WIDE && n != u128::MAX)
                },
                "no rule wider than a /16",
            )
        },
    },
    Control {
        id: "5.10-ext",
        area: Area::Authentication,
        title: "host rules name their databases and users",
        severity: Severity::Low,
        rationale: "Rules for `all` admit every role to every database; least privilege names them.",
        remedy: HBA_REMEDY,
        check: |f| {
            offending(
                f,
                |r| {
                    is_host(r)
                        && admits(r)
                        && (r.databases.iter().any(|d| d == "all")
                            || r.users.iter().any(|u| u == "all"))
                },
                "no host rule for all databases or all users",
            )
        },
    },
    Control {
        id: "5.11-ext",
        area: Area::Authentication,
        title: "no host rule admits a superuser remotely",
        severity: Severity::High,
        rationale: "Superusers should connect only from the server itself (the local socket or loopback), never over the network.",
        remedy: SUPERUSER_REMEDY,
        check: superuser_remote,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(address: &str, netmask: &str) -> HbaRuleFact {
        HbaRuleFact {
            line: 1,
            kind: "host".to_owned(),
            databases: vec!["all".to_owned()],
            users: vec!["all".to_owned()],
            address: Some(address.to_owned()),
            netmask: Some(netmask.to_owned()),
            method: "scram-sha-256".to_owned(),
        }
    }

    #[test]
    fn superuser_through_a_group() {
        let mut facts = crate::audit::fixtures::hardened();
        let mut dba = rule("10.0.0.0", "255.255.255.0");
        dba.users = vec!["+dba".to_owned()];
        dba.databases = vec!["app".to_owned()];
        facts.hba_rules = Some(vec![dba]);
        assert!(matches!(superuser_remote(&facts), Check::Pass(_)));
        for role in &mut facts.roles {
            if role.superuser {
                role.member_of.push("dba".to_owned());
            }
        }
        assert!(matches!(superuser_remote(&facts), Check::Fail(_)));
    }

    #[test]
    fn superuser_through_nested_groups() {
        // postgres -> ops -> admins, and `host all +admins 10.1.2.0/24`.
        let mut facts = crate::audit::fixtures::hardened();
        let mut admins = rule("10.1.2.0", "255.255.255.0");
        admins.users = vec!["+admins".to_owned()];
        facts.hba_rules = Some(vec![admins]);
        let mut ops = facts.roles[0].clone();
        ops.name = "ops".to_owned();
        ops.superuser = false;
        ops.login = false;
        ops.member_of = vec!["admins".to_owned()];
        facts.roles.push(ops);
        assert!(matches!(superuser_remote(&facts), Check::Pass(_)));
        for role in &mut facts.roles {
            if role.superuser {
                role.member_of.push("ops".to_owned());
            }
        }
        assert!(matches!(superuser_remote(&facts), Check::Fail(_)));
    }

    #[test]
    fn loopback_rules_are_not_remote() {
        let mut facts = crate::audit::fixtures::hardened();
        let mut local = rule("127.0.0.1", "255.255.255.255");
        local.users = vec!["postgres".to_owned()];
        let mut ssl = rule("10.0.0.0", "255.255.255.0");
        ssl.kind = "hostssl".to_owned();
        ssl.users = vec!["app".to_owned()];
        facts.hba_rules = Some(vec![local.clone(), ssl.clone()]);
        assert!(matches!(superuser_remote(&facts), Check::Pass(_)));
        assert!(matches!(ssl_bypass(&facts), Check::Pass(_)));
        let mut wide = local;
        wide.address = Some("127.0.0.0".to_owned());
        wide.netmask = Some("254.0.0.0".to_owned());
        facts.hba_rules = Some(vec![wide, ssl]);
        assert!(matches!(superuser_remote(&facts), Check::Fail(_)));
        assert!(matches!(ssl_bypass(&facts), Check::Fail(_)));
    }

    #[test]
    fn coverage() {
        assert_eq!(covered(&rule("127.0.0.1", "255.255.255.255")), Some(1));
        assert_eq!(covered(&rule("10.0.0.0", "255.0.0.0")), Some(1 << 24));
        assert_eq!(covered(&rule("0.0.0.0", "0.0.0.0")), Some(u128::MAX));
        assert_eq!(covered(&rule("::", "::")), Some(u128::MAX));
        assert_eq!(
            describe(&rule("10.0.0.0", "255.0.0.0")),
            "line 1: host all all 10.0.0.0/8 scram-sha-256"
        );
    }
}
