//! Membership of the predefined roles that reach past SQL (CIS 4.9):
//! running programs as the server's OS user, reading and writing its
//! files, reading or writing every table. Followed through groups: a role
//! in `ops`, itself in `pg_execute_server_program`, has that power.

use super::none_of;
use crate::audit::facts::AuditFacts;
use crate::audit::{Area, Check, Control, Severity};

/// The predefined roles whose members may leave the database's own
/// privilege system (PostgreSQL 14 added the last two).
const POWERFUL: &[&str] = &[
    "pg_execute_server_program",
    "pg_read_server_files",
    "pg_write_server_files",
    "pg_read_all_data",
    "pg_write_all_data",
];

fn powerful_members(facts: &AuditFacts) -> Check {
    let memberships = facts.memberships();
    let offenders = facts
        .roles
        .iter()
        // Superusers have every power anyway (4.2 reports them), and the
        // predefined roles may contain one another.
        .filter(|role| !role.superuser && !role.name.starts_with("pg_"))
        .filter_map(|role| {
            let groups = memberships.groups_of(&role.name);
            let held: Vec<&str> = POWERFUL
                .iter()
                .copied()
                .filter(|power| groups.contains(power))
                .collect();
            (!held.is_empty()).then(|| format!("{}: member of {}", role.name, held.join(", ")))
        })
        .collect();
    none_of(
        offenders,
        "no role but superusers is a member of pg_execute_server_program, pg_read_server_files, pg_write_server_files, pg_read_all_data or pg_write_all_data",
    )
}

pub const CONTROLS: &[Control] = &[Control {
    id: "4.9",
    area: Area::Privileges,
    title: "no role holds the server-file, program or all-data predefined roles",
    severity: Severity::High,
    rationale: "pg_execute_server_program runs commands as the server's OS user, pg_read/write_server_files reach every file it can, and pg_read/write_all_data bypass every table grant: each is a superuser in all but name.",
    remedy: "role \"name\" { member_of = [\"app_readers\"] } # pgfort revokes the memberships a declared role does not list",
    check: powerful_members,
}];
