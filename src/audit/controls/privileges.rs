//! Who may do what (CIS 4.2-4.10 and extras): few superusers, no stray
//! powerful attributes, nothing granted to PUBLIC that lets anyone write.

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

fn definer_functions(facts: &AuditFacts) -> Check {
    none_of(
        facts
            .definer_functions
            .iter()
            .filter(|f| !f.pins_search_path)
            .map(|f| format!("{} (owner {}): no search_path", f.signature, f.owner))
            .collect(),
        "every SECURITY DEFINER function pins search_path",
    )
}

/// `=UC/owner` or `=C/owner`: PUBLIC (empty grantee) may CREATE.
fn public_create(facts: &AuditFacts) -> Check {
    let Some(acl) = &facts.public_schema_acl else {
        return Check::Pass(vec![format!(
            "no schema public in database {}",
            facts.current_database
        )]);
    };
    let open: Vec<String> = acl
        .iter()
        .filter(|item| {
            item.strip_prefix('=')
                .and_then(|rest| rest.split('/').next())
                .is_some_and(|privileges| privileges.contains('C'))
        })
        .map(|item| format!("schema public in {}: {item}", facts.current_database))
        .collect();
    none_of(open, "PUBLIC cannot create in schema public")
}

fn listed(items: &[crate::audit::facts::PrivilegeFact], none: &str) -> Check {
    none_of(
        items
            .iter()
            .map(|p| format!("{}: {} on {}", p.grantee, p.privilege, p.object))
            .collect(),
        none,
    )
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
    Control {
        id: "4.5",
        area: Area::Privileges,
        title: "SECURITY DEFINER functions pin search_path",
        severity: Severity::High,
        rationale: "Without a fixed search_path a caller can hijack a definer function's lookups.",
        remedy: "ALTER FUNCTION … SET search_path = pg_catalog, pg_temp; (in the function's migration)",
        check: definer_functions,
    },
    Control {
        id: "4.10-ext",
        area: Area::Privileges,
        title: "PUBLIC cannot create in schema public",
        severity: Severity::High,
        rationale: "CREATE on public lets any role plant objects that shadow others (CVE-2018-1058).",
        remedy: "manage { public_privileges = true }\n\ngrant {\n  to         = [\"app_owner\"]\n  privileges = [\"USAGE\", \"CREATE\"]\n  on         = { database = \"app\", schema = \"public\" }\n}",
        check: public_create,
    },
    Control {
        id: "ext-untrusted-languages",
        area: Area::Privileges,
        title: "no untrusted procedural languages",
        severity: Severity::Medium,
        rationale: "Untrusted languages (plpython3u, plperlu) run code as the server's OS user.",
        remedy: "DROP EXTENSION <language>; or keep it and remove it from every function owner but the superuser",
        check: |f| {
            none_of(
                f.untrusted_languages
                    .iter()
                    .map(|l| format!("language {l}"))
                    .collect(),
                "no untrusted language besides internal and c",
            )
        },
    },
    Control {
        id: "ext-public-table-privileges",
        area: Area::Privileges,
        title: "no table privileges granted to PUBLIC",
        severity: Severity::High,
        rationale: "A privilege granted to PUBLIC is granted to every current and future role.",
        remedy: "manage { public_privileges = true }\n\ngrant {\n  to         = [\"app_readonly\"]\n  privileges = [\"SELECT\"]\n  on         = { database = \"app\", schema = \"app\", all = \"tables\" }\n}",
        check: |f| {
            listed(
                &f.public_table_privileges,
                "no table privilege granted to PUBLIC",
            )
        },
    },
    Control {
        id: "ext-grant-options",
        area: Area::Privileges,
        title: "no grant options held by non-owners",
        severity: Severity::Medium,
        rationale: "WITH GRANT OPTION lets a role hand privileges on to others outside review.",
        remedy: "grant {\n  to         = [\"app_readwrite\"]\n  privileges = [\"SELECT\"]\n  on         = { database = \"app\", schema = \"app\", all = \"tables\" }\n} # pgfort grants without GRANT OPTION and revokes the rest",
        check: |f| listed(&f.grant_options, "no grant option held by a non-owner"),
    },
];
