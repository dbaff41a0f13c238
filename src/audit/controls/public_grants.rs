//! What PUBLIC, every role present and future, is given beyond
//! PostgreSQL's defaults in the connected database: running SECURITY
//! DEFINER functions, creating objects in a schema, and privileges on
//! objects not created yet.

use super::in_every_database;
use crate::audit::facts::AuditFacts;
use crate::audit::{Area, Check, Control, Severity};

fn public_definers(facts: &AuditFacts) -> Check {
    in_every_database(
        facts,
        |db| {
            db.definer_functions
                .iter()
                .filter(|f| f.public_execute)
                .map(|f| {
                    format!(
                        "{} (owner {}): EXECUTE granted to PUBLIC",
                        f.signature, f.owner
                    )
                })
                .collect()
        },
        "no SECURITY DEFINER function is executable by PUBLIC",
    )
}

fn public_create(facts: &AuditFacts) -> Check {
    in_every_database(
        facts,
        |db| {
            db.public_create_schemas
                .iter()
                // Schema public has its own control (4.10-ext).
                .filter(|schema| schema.as_str() != "public")
                .map(|schema| format!("schema {schema}: PUBLIC may CREATE"))
                .collect()
        },
        "PUBLIC may create in no schema (public aside: 4.10-ext)",
    )
}

fn public_defaults(facts: &AuditFacts) -> Check {
    in_every_database(
        facts,
        |db| {
            db.public_default_privileges
                .iter()
                .map(|entry| format!("default privileges {entry} to PUBLIC"))
                .collect()
        },
        "no default privilege gives PUBLIC more than PostgreSQL's defaults",
    )
}

pub const CONTROLS: &[Control] = &[
    Control {
        id: "ext-public-definers",
        area: Area::Privileges,
        title: "SECURITY DEFINER functions are not executable by PUBLIC",
        severity: Severity::High,
        rationale: "A SECURITY DEFINER function runs with its owner's rights; PostgreSQL grants EXECUTE on every new function to PUBLIC, so unless revoked, any role can call it as its owner.",
        remedy: "REVOKE EXECUTE ON FUNCTION schema.name(args) FROM PUBLIC, then GRANT EXECUTE to the roles that need it (the evidence names each function).",
        check: public_definers,
    },
    Control {
        id: "ext-public-create-schemas",
        area: Area::Privileges,
        title: "PUBLIC may not create in any schema",
        severity: Severity::High,
        rationale: "A role that can create objects in a schema on another's search_path can shadow its functions and operators and run code as whoever calls them.",
        remedy: "REVOKE CREATE ON SCHEMA name FROM PUBLIC; pgfort grant blocks then give CREATE to the owner role alone.",
        check: public_create,
    },
    Control {
        id: "ext-public-default-privileges",
        area: Area::Privileges,
        title: "default privileges give PUBLIC nothing extra",
        severity: Severity::Medium,
        rationale: "A default privilege to PUBLIC opens every future table, sequence or schema to all roles, including those created later for other purposes.",
        remedy: "ALTER DEFAULT PRIVILEGES FOR ROLE owner [IN SCHEMA s] REVOKE ... FROM PUBLIC, and give the privileges to a group role instead: a grant block on all tables with owners = [\"owner\"] (pgfort grants to future tables too).",
        check: public_defaults,
    },
];
