//! Object privileges (CIS 4.5, 4.10 and extras): nothing granted to PUBLIC
//! that lets anyone write or read, no hijackable definer functions, no
//! untrusted languages, no grant options handed out.

use super::in_every_database;
use crate::audit::facts::{AuditFacts, DatabaseFacts, PrivilegeFact};
use crate::audit::{Area, Check, Control, Severity};

fn definer_functions(facts: &AuditFacts) -> Check {
    in_every_database(
        facts,
        |db| {
            db.definer_functions
                .iter()
                .filter(|f| !f.pins_search_path)
                .map(|f| format!("{} (owner {}): no search_path", f.signature, f.owner))
                .collect()
        },
        "every SECURITY DEFINER function pins search_path",
    )
}

/// `=UC/owner` or `=C/owner`: PUBLIC (empty grantee) may CREATE.
/// Works on its own: PUBLIC's privileges in the database become what the
/// grants say, so CREATE on schema public goes and the rest stays.
const PUBLIC_CREATE_REMEDY: &str = "manage { public_privileges = true }

database \"postgres\" {} # each database the evidence names

grant {
  to         = [\"public\"]
  privileges = [\"CONNECT\", \"TEMPORARY\"]
  on         = { database = \"postgres\" }
}

grant {
  to         = [\"public\"]
  privileges = [\"USAGE\"]
  on         = { database = \"postgres\", schema = \"public\" }
}";

/// The ACL items of schema public in `db` that let PUBLIC create.
pub(crate) fn public_creators(db: &DatabaseFacts) -> Vec<String> {
    db.public_schema_acl
        .iter()
        .flatten()
        .filter(|item| {
            item.strip_prefix('=')
                .and_then(|rest| rest.split('/').next())
                .is_some_and(|privileges| privileges.contains('C'))
        })
        .map(|item| format!("schema public: {item}"))
        .collect()
}

fn public_create(facts: &AuditFacts) -> Check {
    in_every_database(
        facts,
        public_creators,
        "PUBLIC cannot create in schema public (or there is none)",
    )
}

fn listed(
    facts: &AuditFacts,
    items: impl Fn(&DatabaseFacts) -> &[PrivilegeFact],
    none: &str,
) -> Check {
    in_every_database(
        facts,
        |db| {
            items(db)
                .iter()
                .map(|p| format!("{}: {} on {}", p.grantee, p.privilege, p.object))
                .collect()
        },
        none,
    )
}

pub const CONTROLS: &[Control] = &[
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
        remedy: PUBLIC_CREATE_REMEDY,
        check: public_create,
    },
    Control {
        id: "ext-untrusted-languages",
        area: Area::Privileges,
        title: "no untrusted procedural languages",
        severity: Severity::Medium,
        rationale: "Untrusted languages (plpython3u, plperlu) run code as the server's OS user.",
        remedy: "DROP EXTENSION <language> unless a reviewed function needs it (only superusers can write functions in it).",
        check: |f| {
            in_every_database(
                f,
                |db| {
                    db.untrusted_languages
                        .iter()
                        .map(|l| format!("language {l}"))
                        .collect()
                },
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
                f,
                |db| &db.public_table_privileges,
                "no table privilege granted to PUBLIC",
            )
        },
    },
    Control {
        id: "ext-grant-options",
        area: Area::Privileges,
        title: "no grant options on tables held by non-owners",
        severity: Severity::Medium,
        rationale: "WITH GRANT OPTION lets a role hand privileges on to others outside review.",
        remedy: "grant {\n  to         = [\"app_readwrite\"]\n  privileges = [\"SELECT\"]\n  on         = { database = \"app\", schema = \"app\", all = \"tables\" }\n} # pgfort grants without GRANT OPTION and revokes the rest",
        check: |f| {
            listed(
                f,
                |db| &db.grant_options,
                "no grant option held by a non-owner",
            )
        },
    },
];
