//! Streaming replication (CIS 7.1, 7.5): standbys log in as a role that
//! can replicate and do nothing else, and a standby reaches its primary
//! over TLS that checks the primary's certificate.

use super::verdict;
use crate::audit::conninfo;
use crate::audit::facts::{AuditFacts, RoleFact};
use crate::audit::{Area, Check, Control, Severity};

/// What a role may do beyond replicating, which a standby's login never
/// needs.
fn other_powers(role: &RoleFact) -> Vec<&'static str> {
    [
        ("SUPERUSER", role.superuser),
        ("CREATEROLE", role.createrole),
        ("CREATEDB", role.createdb),
        ("BYPASSRLS", role.bypassrls),
    ]
    .into_iter()
    .filter_map(|(power, held)| held.then_some(power))
    .collect()
}

fn replication_role(facts: &AuditFacts) -> Check {
    // pg_roles is readable by everyone: these fail even when
    // pg_stat_replication is not.
    let mut offenders: Vec<String> = facts
        .roles
        .iter()
        .filter(|r| r.replication && !r.superuser && !r.name.starts_with("pg_"))
        .filter_map(|r| {
            let powers = other_powers(r);
            (!powers.is_empty()).then(|| {
                format!(
                    "{}: replication role with other powers ({})",
                    r.name,
                    powers.join(", ")
                )
            })
        })
        .collect();
    let Some(replicas) = &facts.replicas else {
        if offenders.is_empty() {
            return Check::Skip(
                "needs superuser or pg_read_all_stats (pg_stat_replication)".to_owned(),
            );
        }
        return Check::Fail(offenders);
    };
    let mut streaming = Vec::new();
    for replica in replicas {
        let role = facts.roles.iter().find(|r| r.name == replica.user);
        let powers = role.map(other_powers).unwrap_or_default();
        if powers.is_empty() {
            streaming.push(format!(
                "{}: streams as {} (REPLICATION only)",
                replica.name, replica.user
            ));
        } else {
            offenders.push(format!(
                "{}: streams as {}, which has {}",
                replica.name,
                replica.user,
                powers.join(", ")
            ));
        }
    }
    if !offenders.is_empty() {
        return Check::Fail(offenders);
    }
    if streaming.is_empty() {
        return Check::Skip("not applicable: no standby streams from this server".to_owned());
    }
    Check::Pass(streaming)
}

/// The sslmodes that check the primary's certificate; the others
/// (`require` included) accept whoever answers at the address.
const VERIFYING: &[&str] = &["verify-ca", "verify-full"];

fn primary_conninfo(facts: &AuditFacts) -> Check {
    if !facts.in_recovery {
        return Check::Skip("not applicable: this server is not a standby".to_owned());
    }
    let Some(setting) = facts.setting("primary_conninfo") else {
        return Check::Skip(
            "needs superuser or pg_read_all_settings (primary_conninfo is not visible)".to_owned(),
        );
    };
    if setting.value.trim().is_empty() {
        return Check::Skip(
            "not applicable: primary_conninfo is empty (this standby streams from no primary)"
                .to_owned(),
        );
    }
    // The string may hold a password: only host, port and sslmode are
    // ever shown.
    let Some(target) = conninfo::parse(&setting.value) else {
        return Check::Fail(vec![
            "primary_conninfo could not be parsed (not shown: it may hold a password)".to_owned(),
        ]);
    };
    let mut shown = format!("primary_conninfo: {}", target.describe());
    if target.sslmode.is_none() {
        shown.push_str(" (no sslmode: libpq's default, prefer, falls back to plain text)");
    }
    let verifies = target
        .sslmode
        .as_deref()
        .is_some_and(|mode| VERIFYING.contains(&mode.to_ascii_lowercase().as_str()));
    verdict(verifies, vec![shown.trim_end().to_owned()])
}

pub const CONTROLS: &[Control] = &[
    Control {
        id: "7.1",
        area: Area::Authentication,
        title: "standbys stream as a replication-only role",
        severity: Severity::Medium,
        rationale: "A standby's password sits in a file on another host; if it belongs to a superuser, or to a role that can also create roles or databases or bypass row security, stealing it gives far more than a copy of the WAL.",
        remedy: "role \"replicator\" {\n  login       = true\n  replication = true\n  password    = var.replicator_password\n}\n# then connect the standbys as it: primary_conninfo = 'host=… user=replicator …'",
        check: replication_role,
    },
    Control {
        id: "7.5",
        area: Area::Network,
        title: "a standby connects to its primary with sslmode verify-ca or verify-full",
        severity: Severity::High,
        rationale: "Replication carries every row and the replication role's password; without a verified certificate anyone who can intercept the link, or answer at the primary's address, reads or feeds it.",
        remedy: "settings { primary_conninfo = \"host=primary.example.com user=replicator sslmode=verify-full sslrootcert=/etc/postgresql/root.crt\" } # on the standby; keep the password in ~/.pgpass",
        check: primary_conninfo,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::facts::SettingFact;
    use crate::audit::fixtures::hardened;

    fn with_conninfo(value: &str) -> AuditFacts {
        let mut facts = hardened();
        facts.settings.insert(
            "primary_conninfo".to_owned(),
            SettingFact {
                value: value.to_owned(),
                unit: None,
            },
        );
        facts
    }

    #[test]
    fn only_verifying_sslmodes_pass_and_nothing_secret_is_shown() {
        for (conninfo, pass) in [
            ("host=p sslmode=verify-full password=hunter2", true),
            ("postgres://r:hunter2@p:5433?sslmode=VERIFY-CA", true),
            ("host=p sslmode=require password=hunter2", false),
            ("host=p user=r password=hunter2", false),
            ("host=p password='hunter2", false),
        ] {
            let check = primary_conninfo(&with_conninfo(conninfo));
            let (Check::Pass(evidence) | Check::Fail(evidence)) = &check else {
                panic!("{conninfo}: {check:?}");
            };
            assert_eq!(matches!(check, Check::Pass(_)), pass, "{conninfo}");
            assert!(!evidence.concat().contains("hunter2"), "{evidence:?}");
            assert!(!evidence.concat().contains("user"), "{evidence:?}");
        }
    }

    #[test]
    fn a_primary_and_an_archive_only_standby_are_not_applicable() {
        let mut facts = with_conninfo("host=p");
        facts.in_recovery = false;
        assert!(
            matches!(primary_conninfo(&facts), Check::Skip(r) if r.starts_with("not applicable"))
        );
        let facts = with_conninfo("");
        assert!(
            matches!(primary_conninfo(&facts), Check::Skip(r) if r.starts_with("not applicable"))
        );
    }

    #[test]
    fn no_standby_and_no_powerful_replication_role_is_not_applicable() {
        let mut facts = hardened();
        facts.replicas = Some(Vec::new());
        assert!(
            matches!(replication_role(&facts), Check::Skip(r) if r.starts_with("not applicable"))
        );
        // A replication role with other powers fails without any standby,
        // and without pg_stat_replication.
        facts.roles.push(RoleFact {
            name: "etl".to_owned(),
            replication: true,
            createdb: true,
            ..facts.roles[0].clone()
        });
        facts.replicas = None;
        assert!(matches!(replication_role(&facts), Check::Fail(e) if e[0].contains("CREATEDB")));
    }
}
