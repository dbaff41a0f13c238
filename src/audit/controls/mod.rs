//! The control table, one file per area, and the helpers they share for
//! reading settings. Every check is a pure function of the facts.

pub mod auth;
pub mod auth_hardening;
pub mod ciphers;
pub mod extensions;
pub mod files;
pub mod hba;
pub mod log_content;
pub mod log_detail;
pub mod log_files;
pub mod log_levels;
pub mod misc;
pub mod network;
pub mod operations;
pub mod pgbouncer;
pub mod predefined_roles;
pub mod privileges;
pub mod public_grants;
pub mod release;
pub mod replication;
pub mod role_attributes;
pub mod session_timeouts;
pub mod weak_passwords;

#[cfg(test)]
mod tests;

use super::facts::{AuditFacts, DatabaseFacts, SettingFact};
use super::{Check, Control};

/// Every control, grouped by area in report order.
static GROUPS: &[&[Control]] = &[
    auth::CONTROLS,
    auth_hardening::CONTROLS,
    weak_passwords::CONTROLS,
    hba::CONTROLS,
    network::CONTROLS,
    replication::CONTROLS,
    log_files::CONTROLS,
    log_levels::CONTROLS,
    log_content::CONTROLS,
    log_detail::CONTROLS,
    role_attributes::CONTROLS,
    privileges::CONTROLS,
    predefined_roles::CONTROLS,
    public_grants::CONTROLS,
    files::CONTROLS,
    operations::CONTROLS,
    session_timeouts::CONTROLS,
    release::CONTROLS,
    misc::CONTROLS,
    extensions::CONTROLS,
    pgbouncer::CONTROLS,
];

/// All controls in table order.
pub fn all() -> impl Iterator<Item = &'static Control> {
    GROUPS.iter().flat_map(|group| group.iter())
}

/// A control over what lives in each database: fails with `offenders`
/// of every database read (each named), passes naming the databases, and
/// skips while a connectable database could not be read (a pass would be
/// a guess there).
pub(crate) fn in_every_database(
    facts: &AuditFacts,
    offenders: impl Fn(&DatabaseFacts) -> Vec<String>,
    none: &str,
) -> Check {
    let found: Vec<String> = facts
        .databases
        .iter()
        .flat_map(|db| {
            offenders(db)
                .into_iter()
                .map(move |item| format!("database {}: {item}", db.name))
        })
        .collect();
    if !found.is_empty() {
        return Check::Fail(found);
    }
    if let Some(missing) = facts.unreadable_databases.first() {
        return Check::Skip(format!(
            "needs CONNECT to every database (database {} could not be read: {})",
            missing.name, missing.why
        ));
    }
    let names: Vec<&str> = facts.databases.iter().map(|db| db.name.as_str()).collect();
    let noun = if names.len() == 1 {
        "database"
    } else {
        "databases"
    };
    Check::Pass(vec![format!("{none} (in {noun} {})", names.join(", "))])
}

/// The skip for a setting pgfort cannot see: hidden from roles without
/// pg_read_all_settings, or absent on this server version.
pub(crate) fn invisible(name: &str) -> Check {
    Check::Skip(format!(
        "needs pg_read_all_settings (setting {name} is not visible)"
    ))
}

/// A setting, or the skip that says why it is missing.
pub(crate) fn setting<'a>(facts: &'a AuditFacts, name: &str) -> Result<&'a SettingFact, Check> {
    facts.setting(name).ok_or_else(|| invisible(name))
}

/// `name = value` (with the unit when there is one), as evidence.
pub(crate) fn shown(name: &str, setting: &SettingFact) -> String {
    if setting.value.is_empty() {
        return format!("{name} = \"\" (empty)");
    }
    match &setting.unit {
        Some(unit) if !unit.is_empty() => format!("{name} = {}{unit}", setting.value),
        _ => format!("{name} = {}", setting.value),
    }
}

/// Whether a boolean setting is on (PostgreSQL shows `on`/`off`).
pub(crate) fn is_on(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "on" | "true" | "yes" | "1"
    )
}

/// Passes when `pass(value)` holds, with the setting as evidence.
pub(crate) fn setting_check(facts: &AuditFacts, name: &str, pass: impl Fn(&str) -> bool) -> Check {
    match setting(facts, name) {
        Ok(value) => verdict(pass(&value.value), vec![shown(name, value)]),
        Err(skip) => skip,
    }
}

/// A boolean setting that must be `want`.
pub(crate) fn bool_setting(facts: &AuditFacts, name: &str, want: bool) -> Check {
    setting_check(facts, name, |value| is_on(value) == want)
}

/// Pass or fail with the same evidence.
pub(crate) fn verdict(pass: bool, evidence: Vec<String>) -> Check {
    if pass {
        Check::Pass(evidence)
    } else {
        Check::Fail(evidence)
    }
}

/// Fails with the offenders as evidence, passes with `none` when empty.
pub(crate) fn none_of(offenders: Vec<String>, none: &str) -> Check {
    if offenders.is_empty() {
        Check::Pass(vec![none.to_owned()])
    } else {
        Check::Fail(offenders)
    }
}

/// An octal mode setting such as `0600`.
pub(crate) fn octal(value: &str) -> Option<u32> {
    u32::from_str_radix(value.trim(), 8).ok()
}

/// A number setting.
pub(crate) fn number(value: &str) -> Option<f64> {
    value.trim().parse().ok()
}
