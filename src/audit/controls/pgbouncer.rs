//! PgBouncer in front of the server: the instances the configuration
//! declares, judged from their files on this host. Skipped without a
//! configuration that declares one (`pgfort audit DIR`).

use std::collections::BTreeMap;

use crate::audit::facts::{AuditFacts, PgBouncerFact};
use crate::audit::{Area, Check, Control, Severity};

/// At most this many roles may administer PgBouncer.
const MAX_ADMIN_USERS: usize = 3;

/// Runs `judge` on every declared PgBouncer: `Ok((passed, evidence))`, or
/// `Err(why)` when it cannot be judged (the control then skips).
fn each(
    facts: &AuditFacts,
    judge: impl Fn(&PgBouncerFact, &BTreeMap<String, String>) -> Result<(bool, String), String>,
) -> Check {
    if facts.pgbouncers.is_empty() {
        return Check::Skip(
            "needs a configuration declaring a pgbouncer block (pgfort audit DIR), on PgBouncer's host"
                .to_owned(),
        );
    }
    let (mut passed, mut failed) = (Vec::new(), Vec::new());
    for pgbouncer in &facts.pgbouncers {
        let name = &pgbouncer.name;
        let Some(settings) = &pgbouncer.settings else {
            return Check::Skip(format!(
                "pgbouncer \"{name}\": pgbouncer.ini cannot be read on this host"
            ));
        };
        match judge(pgbouncer, settings) {
            Ok((true, evidence)) => passed.push(format!("pgbouncer \"{name}\": {evidence}")),
            Ok((false, evidence)) => failed.push(format!("pgbouncer \"{name}\": {evidence}")),
            Err(why) => return Check::Skip(format!("pgbouncer \"{name}\": {why}")),
        }
    }
    match failed.is_empty() {
        true => Check::Pass(passed),
        false => Check::Fail(failed),
    }
}

fn value<'a>(settings: &'a BTreeMap<String, String>, key: &str) -> &'a str {
    settings.get(key).map_or("", String::as_str)
}

fn list(text: &str) -> Vec<&str> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .collect()
}

fn auth_type(facts: &AuditFacts) -> Check {
    each(facts, |_, settings| {
        // PgBouncer's own default.
        let kind = settings.get("auth_type").map_or("md5", String::as_str);
        Ok((
            !matches!(kind, "trust" | "plain" | "any"),
            format!("auth_type = {kind}"),
        ))
    })
}

fn auth_file_mode(facts: &AuditFacts) -> Check {
    each(facts, |pgbouncer, _| match pgbouncer.auth_file_mode {
        Some(mode) => Ok((
            mode & 0o007 == 0,
            format!("auth file mode = {:04o}", mode & 0o777),
        )),
        None => Err("its auth file cannot be read on this host".to_owned()),
    })
}

fn is_loopback(address: &str) -> bool {
    address == "localhost"
        || address == "::1"
        || address
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn client_tls(facts: &AuditFacts) -> Check {
    each(facts, |_, settings| {
        let listen = value(settings, "listen_addr");
        let exposed: Vec<&str> = list(listen)
            .into_iter()
            .filter(|address| !is_loopback(address))
            .collect();
        let mode = settings
            .get("client_tls_sslmode")
            .map_or("disable", String::as_str);
        if exposed.is_empty() {
            return Ok((true, format!("listen_addr = \"{listen}\" (loopback only)")));
        }
        Ok((
            matches!(mode, "require" | "verify-ca" | "verify-full"),
            format!("listen_addr = {listen}, client_tls_sslmode = {mode}"),
        ))
    })
}

fn admin_users(facts: &AuditFacts) -> Check {
    each(facts, |_, settings| {
        let admins = list(value(settings, "admin_users"));
        let superusers: Vec<&str> = admins
            .iter()
            .copied()
            .filter(|admin| {
                facts
                    .roles
                    .iter()
                    .any(|role| role.name == *admin && role.superuser)
            })
            .collect();
        let evidence = format!("admin_users = \"{}\"", admins.join(","));
        if !superusers.is_empty() {
            return Ok((
                false,
                format!("{evidence}: superuser(s) {}", superusers.join(", ")),
            ));
        }
        Ok((admins.len() <= MAX_ADMIN_USERS, evidence))
    })
}

pub const CONTROLS: &[Control] = &[
    Control {
        id: "ext-pgbouncer-auth-type",
        area: Area::Authentication,
        title: "PgBouncer authenticates clients (auth_type is not trust, plain or any)",
        severity: Severity::Critical,
        rationale: "With trust or any, PgBouncer admits anyone who names a role and logs in to the server on their behalf; plain sends passwords in clear.",
        remedy: "in the pgbouncer block: settings = { auth_type = \"scram-sha-256\" }",
        check: auth_type,
    },
    Control {
        id: "ext-pgbouncer-auth-file-mode",
        area: Area::Files,
        title: "PgBouncer's auth file is not readable by other OS users",
        severity: Severity::High,
        rationale: "The auth file holds the SCRAM verifiers PgBouncer logs in to the server with.",
        remedy: "chmod 0600 the auth file (pgfort writes it 0600)",
        check: auth_file_mode,
    },
    Control {
        id: "ext-pgbouncer-client-tls",
        area: Area::Network,
        title: "PgBouncer requires TLS from clients when it listens beyond loopback",
        severity: Severity::High,
        rationale: "Without TLS, queries, results and authentication exchanges cross the network in clear.",
        remedy: "in the pgbouncer block: tls { ca = \"main\", dns_names = [\"pgbouncer.internal\"] } (a certificate from a declared authority, client_tls_sslmode = require), or settings = { client_tls_sslmode = \"require\", client_tls_cert_file = \"…\", client_tls_key_file = \"…\" }",
        check: client_tls,
    },
    Control {
        id: "ext-pgbouncer-admin-users",
        area: Area::Privileges,
        title: "PgBouncer's admin_users are few and not server superusers",
        severity: Severity::Medium,
        rationale: "The admin console can pause, kill and reconfigure every pool; a superuser's verifier in PgBouncer's auth file widens what a stolen file gives.",
        remedy: "in the pgbouncer block: settings = { admin_users = [\"pgbouncer_admin\"] } (a dedicated role, not a superuser)",
        check: admin_users,
    },
];
