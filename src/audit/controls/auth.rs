//! Authentication settings and stored passwords (CIS 5.5, 5.7, 5.12).

use super::{none_of, number, setting, setting_check, shown, verdict};
use crate::audit::facts::{AuditFacts, PasswordKind};
use crate::audit::{Area, Check, Control, Severity};

fn verifiers(facts: &AuditFacts) -> Check {
    if !facts.read_passwords {
        return Check::Skip("needs superuser (pg_authid is not readable)".to_owned());
    }
    let weak = facts
        .roles
        .iter()
        .filter_map(|role| match role.password {
            Some(PasswordKind::Md5) => Some(format!("{}: md5 verifier", role.name)),
            Some(PasswordKind::Plain) => Some(format!("{}: cleartext password", role.name)),
            _ => None,
        })
        .collect();
    none_of(weak, "every stored password is a SCRAM-SHA-256 verifier")
}

fn connection_limits(facts: &AuditFacts) -> Check {
    let unlimited = facts
        .roles
        .iter()
        .filter(|r| r.login && !r.superuser && r.connlimit < 0 && !r.name.starts_with("pg_"))
        .map(|r| format!("{}: connection limit -1", r.name))
        .collect();
    none_of(unlimited, "every login role has a connection limit")
}

/// Methods that never look at the stored password.
const EXTERNAL_METHODS: &[&str] = &[
    "cert", "peer", "ident", "gss", "sspi", "ldap", "radius", "pam", "bsd",
];

/// LOGIN roles with no stored password that no external-method rule
/// (cert, peer, …) admits: they can log in only if something like `trust`
/// lets them, or not at all.
fn login_without_password(facts: &AuditFacts) -> Check {
    if !facts.read_passwords {
        return Check::Skip("needs superuser (pg_authid is not readable)".to_owned());
    }
    let candidates: Vec<&crate::audit::facts::RoleFact> = facts
        .roles
        .iter()
        .filter(|r| r.login && r.password == Some(PasswordKind::None))
        .collect();
    if candidates.is_empty() {
        return Check::Pass(vec!["every login role has a password".to_owned()]);
    }
    let Some(rules) = &facts.hba_rules else {
        return Check::Skip(
            "needs superuser (pg_hba_file_rules is not readable, so cert and peer logins cannot be told apart)"
                .to_owned(),
        );
    };
    let memberships = facts.memberships();
    let external = |name: &str| {
        let groups = memberships.groups_of(name);
        rules.iter().any(|rule| {
            EXTERNAL_METHODS.contains(&rule.method.as_str())
                && rule.users.iter().any(|user| match user.strip_prefix('+') {
                    Some(group) => groups.contains(group),
                    None => user == "all" || user == name,
                })
        })
    };
    let offenders = candidates
        .iter()
        .filter(|r| !external(&r.name))
        .map(|r| {
            format!(
                "{}: LOGIN, no password, and no cert/peer rule for it",
                r.name
            )
        })
        .collect();
    none_of(
        offenders,
        "every login role has a password or a cert/peer rule",
    )
}

/// LOGIN roles whose VALID UNTIL has passed: dead accounts to remove.
fn expired(facts: &AuditFacts) -> Check {
    let stale = facts
        .roles
        .iter()
        .filter(|r| r.login && r.expired)
        .map(|r| format!("{}: password expired (VALID UNTIL is past)", r.name))
        .collect();
    none_of(stale, "no login role has an expired password")
}

/// authentication_timeout in seconds (pg_settings reports the unit `s`).
fn authentication_timeout(facts: &AuditFacts) -> Check {
    let value = match setting(facts, "authentication_timeout") {
        Ok(value) => value,
        Err(skip) => return skip,
    };
    let seconds = number(&value.value).map(|n| match value.unit.as_deref() {
        Some("ms") => n / 1000.0,
        Some("min") => n * 60.0,
        _ => n,
    });
    verdict(
        seconds.is_some_and(|s| s <= 60.0),
        vec![shown("authentication_timeout", value)],
    )
}

pub const CONTROLS: &[Control] = &[
    Control {
        id: "5.12-ext",
        area: Area::Authentication,
        title: "password_encryption is scram-sha-256",
        severity: Severity::High,
        rationale: "md5 verifiers can be replayed as passwords and are weak against brute force.",
        remedy: "settings { password_encryption = \"scram-sha-256\" }",
        check: |f| setting_check(f, "password_encryption", |v| v == "scram-sha-256"),
    },
    Control {
        id: "ext-password-verifiers",
        area: Area::Authentication,
        title: "no stored md5 or cleartext passwords",
        severity: Severity::High,
        rationale: "An md5 verifier is password-equivalent; rehash by setting the password again.",
        remedy: "role \"name\" { password = var.name_password } # pgfort stores SCRAM verifiers",
        check: verifiers,
    },
    Control {
        id: "5.5",
        area: Area::Authentication,
        title: "login roles have a connection limit",
        severity: Severity::Low,
        rationale: "A runaway or hostile client should not take every connection slot.",
        remedy: "role \"name\" { connection_limit = 20 }",
        check: connection_limits,
    },
    Control {
        id: "ext-login-without-password",
        area: Area::Authentication,
        title: "login roles have a password, or log in by certificate or peer",
        severity: Severity::Medium,
        rationale: "A login role with no password and no cert/peer rule gets in only through trust (anyone can be it) or is a dead account.",
        remedy: "role \"name\" { password = var.name_password } # or login = false",
        check: login_without_password,
    },
    Control {
        id: "ext-expired-passwords",
        area: Area::Authentication,
        title: "no login role has an expired password",
        severity: Severity::Low,
        rationale: "An expired login is a former account: remove it rather than leave it to be renewed by mistake.",
        remedy: "role \"name\" { login = false } # or remove the role",
        check: expired,
    },
    Control {
        id: "5.7-ext",
        area: Area::Authentication,
        title: "authentication_timeout is at most 60s",
        severity: Severity::Low,
        rationale: "Long authentication windows let idle clients hold connection slots.",
        remedy: "settings { authentication_timeout = \"30s\" }",
        check: authentication_timeout,
    },
];
