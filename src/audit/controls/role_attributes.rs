//! Powerful role attributes (CIS 4.2, 4.3, 4.7): few superusers, and
//! CREATEROLE, CREATEDB, REPLICATION and BYPASSRLS only with a reason (a
//! standby streaming as the role is REPLICATION's).

use super::none_of;
use crate::audit::facts::{AuditFacts, RoleFact};
use crate::audit::{Area, Check, Control, Severity};

/// Predefined `pg_*` roles are the server's own and never reported.
fn user_roles(facts: &AuditFacts) -> impl Iterator<Item = &RoleFact> {
    facts.roles.iter().filter(|r| !r.name.starts_with("pg_"))
}

fn holders(facts: &AuditFacts, attribute: &str, has: fn(&RoleFact) -> bool) -> Check {
    none_of(
        user_roles(facts)
            .filter(|r| !r.superuser && has(r))
            .map(|r| format!("{}: {attribute}", r.name))
            .collect(),
        &format!("no non-superuser holds {attribute}"),
    )
}

/// REPLICATION held by non-superusers, less the roles a standby is seen
/// streaming as: those have their reason, and 7.1 checks they hold
/// nothing else.
fn replication_holders(facts: &AuditFacts) -> Check {
    let streams = |role: &RoleFact| {
        facts
            .replicas
            .iter()
            .flatten()
            .any(|replica| replica.user == role.name)
    };
    let (used, unused): (Vec<&RoleFact>, Vec<&RoleFact>) = user_roles(facts)
        .filter(|r| !r.superuser && r.replication)
        .partition(|r| streams(r));
    if !unused.is_empty() && facts.replicas.is_none() {
        let names: Vec<&str> = unused.iter().map(|r| r.name.as_str()).collect();
        return Check::Skip(format!(
            "needs superuser or pg_read_all_stats (pg_stat_replication tells whether a standby streams as {})",
            names.join(", ")
        ));
    }
    if !unused.is_empty() {
        return Check::Fail(
            unused
                .iter()
                .map(|r| format!("{}: REPLICATION", r.name))
                .collect(),
        );
    }
    let mut evidence =
        vec!["no non-superuser holds REPLICATION but the roles standbys stream as".to_owned()];
    evidence.extend(
        used.iter()
            .map(|r| format!("{}: REPLICATION, a standby streams as it", r.name)),
    );
    Check::Pass(evidence)
}

fn superusers(facts: &AuditFacts) -> Check {
    let names: Vec<String> = user_roles(facts)
        .filter(|r| r.superuser)
        .map(|r| r.name.clone())
        .collect();
    let evidence = vec![format!(
        "{} superuser(s): {}",
        names.len(),
        names.join(", ")
    )];
    if names.len() <= 1 {
        Check::Pass(evidence)
    } else {
        Check::Fail(evidence)
    }
}

const ROLE_REMEDY: &str = "role \"name\" {\n  createrole  = false\n  createdb    = false\n  replication = false\n  bypassrls   = false\n}";

pub const CONTROLS: &[Control] = &[
    Control {
        id: "4.2",
        area: Area::Privileges,
        title: "at most one superuser",
        severity: Severity::High,
        rationale: "Each superuser bypasses every check; keep one for administration.",
        remedy: "role \"name\" { superuser = false }",
        check: superusers,
    },
    Control {
        id: "4.3-createrole",
        area: Area::Privileges,
        title: "no non-superuser has CREATEROLE",
        severity: Severity::Medium,
        rationale: "CREATEROLE can create and alter other roles; it needs a reason.",
        remedy: ROLE_REMEDY,
        check: |f| holders(f, "CREATEROLE", |r| r.createrole),
    },
    Control {
        id: "4.3-createdb",
        area: Area::Privileges,
        title: "no non-superuser has CREATEDB",
        severity: Severity::Low,
        rationale: "CREATEDB lets a role fill the disk with databases; it needs a reason.",
        remedy: ROLE_REMEDY,
        check: |f| holders(f, "CREATEDB", |r| r.createdb),
    },
    Control {
        id: "4.3-replication",
        area: Area::Privileges,
        title: "no non-superuser has REPLICATION unless a standby streams as it",
        severity: Severity::Medium,
        rationale: "REPLICATION can stream a copy of every database; only the role standbys log in as needs it.",
        remedy: ROLE_REMEDY,
        check: replication_holders,
    },
    Control {
        id: "4.7",
        area: Area::Privileges,
        title: "no non-superuser has BYPASSRLS",
        severity: Severity::High,
        rationale: "BYPASSRLS ignores every row-level security policy.",
        remedy: ROLE_REMEDY,
        check: |f| holders(f, "BYPASSRLS", |r| r.bypassrls),
    },
];
