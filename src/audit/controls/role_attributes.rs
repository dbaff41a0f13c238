//! Powerful role attributes (CIS 4.2, 4.3, 4.7): few superusers, and
//! CREATEROLE, CREATEDB, REPLICATION and BYPASSRLS only with a reason.

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
        title: "no non-superuser has REPLICATION",
        severity: Severity::Medium,
        rationale: "REPLICATION can stream a copy of every database.",
        remedy: ROLE_REMEDY,
        check: |f| holders(f, "REPLICATION", |r| r.replication),
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
