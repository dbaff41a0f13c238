//! Extensions installed and never used: each is code that runs with the
//! server's privileges and functions any role may call, kept for nothing.

use super::in_every_database;
use crate::audit::facts::AuditFacts;
use crate::audit::{Area, Check, Control, Severity};

/// Extensions that leave no trace in the catalogs when used: their views
/// and functions are called at run time (by monitoring, administrators or
/// a background worker), or they act through hooks. That nothing depends
/// on them says nothing about their use. plpgsql is installed in every
/// database and needed by DO blocks. pgcrypto, uuid-ossp and the like are
/// not here: they are often left over, and reviewing them is the point.
const USED_AT_RUN_TIME: &[&str] = &[
    "plpgsql",
    "pg_stat_statements",
    "pgaudit",
    "pg_buffercache",
    "pg_prewarm",
    "pg_cron",
    "pg_stat_kcache",
    "pg_stat_monitor",
    "pg_wait_sampling",
    "pg_qualstats",
    "pg_repack",
    "pg_squeeze",
    "pg_partman",
    "pgstattuple",
    "pg_visibility",
    "pg_freespacemap",
    "pg_walinspect",
    "amcheck",
    "pglogical",
    "pg_tle",
    "citus",
    "timescaledb",
];

fn unused_extensions(facts: &AuditFacts) -> Check {
    in_every_database(
        facts,
        |db| {
            db.unreferenced_extensions
                .iter()
                .filter(|name| !USED_AT_RUN_TIME.contains(&name.as_str()))
                .map(|name| format!("{name} (nothing depends on it)"))
                .collect()
        },
        "every extension is used by an object, or is one used at run time",
    )
}

pub const CONTROLS: &[Control] = &[Control {
    id: "ext-unused-extensions",
    area: Area::Misc,
    title: "no extension is installed that nothing uses",
    severity: Severity::Info,
    rationale: "An extension's functions are callable by PUBLIC by default and its C code runs inside the server: one left over from a test or an old feature widens what an attacker can reach. No column, index, view, default or other extension depends on these.",
    remedy: "DROP EXTENSION name; in the database named, unless an application calls its functions at run time. Or declare the extensions you use and set manage { prune_extensions = true } so pgfort drops the rest.",
    check: unused_extensions,
}];
