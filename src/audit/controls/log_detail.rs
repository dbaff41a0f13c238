//! What log lines say and where syslog files them (CIS 3.1.5, 3.1.10-12,
//! 3.1.19, 3.1.22 and extras): dated file names, the error's source,
//! readable trees, checkpoints and lock waits, UTC time stamps, and
//! syslog's own settings when logs go there.

use super::log_levels::log_messages_suppressed;
use super::{bool_setting, setting, setting_check, shown, verdict};
use crate::audit::facts::AuditFacts;
use crate::audit::{Area, Check, Control, Severity};

/// A syslog control: not applicable unless `log_destination` includes
/// syslog.
fn when_syslog(facts: &AuditFacts, check: impl Fn() -> Check) -> Check {
    match setting(facts, "log_destination") {
        Ok(destination) if destination.value.contains("syslog") => check(),
        Ok(destination) => Check::Skip(format!(
            "not applicable: {} (no syslog)",
            shown("log_destination", destination)
        )),
        Err(skip) => skip,
    }
}

fn syslog_facility(facts: &AuditFacts) -> Check {
    when_syslog(facts, || {
        setting_check(facts, "syslog_facility", |v| {
            v.trim().to_ascii_lowercase().starts_with("local")
        })
    })
}

/// A log level a client may be sent: not debug output.
fn client_level(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "notice" | "warning" | "error"
    )
}

fn log_on(facts: &AuditFacts, name: &str) -> Check {
    log_messages_suppressed(facts).unwrap_or_else(|| bool_setting(facts, name, true))
}

/// The names PostgreSQL's time zone database gives UTC.
const UTC_NAMES: &[&str] = &[
    "utc",
    "etc/utc",
    "gmt",
    "etc/gmt",
    "uct",
    "etc/uct",
    "universal",
    "etc/universal",
    "zulu",
    "etc/zulu",
];

fn log_filename(facts: &AuditFacts) -> Check {
    match setting(facts, "log_filename") {
        // A strftime escape: one file per period, not one growing file.
        Ok(value) => verdict(
            value.value.contains('%'),
            vec![shown("log_filename", value)],
        ),
        Err(skip) => skip,
    }
}

pub const CONTROLS: &[Control] = &[
    Control {
        id: "3.1.5",
        area: Area::Logging,
        title: "log_filename is dated",
        severity: Severity::Low,
        rationale: "A time pattern in the file name gives one file per period, so rotation and retention work and old logs are found by date.",
        remedy: "settings { log_filename = \"postgresql-%Y-%m-%d_%H%M%S.log\" }",
        check: log_filename,
    },
    Control {
        id: "3.1.10",
        area: Area::Logging,
        title: "syslog_facility is a local facility",
        severity: Severity::Low,
        rationale: "LOCAL0-LOCAL7 let syslog file PostgreSQL's lines apart from the system's.",
        remedy: "settings { syslog_facility = \"LOCAL1\" }",
        check: syslog_facility,
    },
    Control {
        id: "3.1.11",
        area: Area::Logging,
        title: "syslog_sequence_numbers is on",
        severity: Severity::Low,
        rationale: "Sequence numbers show when syslog dropped or merged lines.",
        remedy: "settings { syslog_sequence_numbers = true }",
        check: |f| when_syslog(f, || bool_setting(f, "syslog_sequence_numbers", true)),
    },
    Control {
        id: "3.1.12",
        area: Area::Logging,
        title: "syslog_split_messages is on",
        severity: Severity::Low,
        rationale: "Long messages are split rather than truncated by syslog's line limit.",
        remedy: "settings { syslog_split_messages = true }",
        check: |f| when_syslog(f, || bool_setting(f, "syslog_split_messages", true)),
    },
    Control {
        id: "3.1.19",
        area: Area::Logging,
        title: "debug_pretty_print is on",
        severity: Severity::Info,
        rationale: "Should a debug_print_* setting be turned on, its trees are indented and readable.",
        remedy: "settings { debug_pretty_print = true }",
        check: |f| bool_setting(f, "debug_pretty_print", true),
    },
    Control {
        id: "3.1.22",
        area: Area::Logging,
        title: "log_error_verbosity is verbose",
        severity: Severity::Low,
        rationale: "Verbose error lines carry the SQLSTATE and the source location, which an investigation needs.",
        remedy: "settings { log_error_verbosity = \"verbose\" }",
        check: |f| {
            setting_check(f, "log_error_verbosity", |v| {
                v.eq_ignore_ascii_case("verbose")
            })
        },
    },
    Control {
        id: "ext-client-min-messages",
        area: Area::Logging,
        title: "client_min_messages sends no debug output",
        severity: Severity::Low,
        rationale: "Debug messages sent to clients reveal server internals to any session.",
        remedy: "settings { client_min_messages = \"notice\" }",
        check: |f| setting_check(f, "client_min_messages", client_level),
    },
    Control {
        id: "ext-log-checkpoints",
        area: Area::Logging,
        title: "log_checkpoints is on",
        severity: Severity::Low,
        rationale: "Checkpoint lines time I/O stalls and show when WAL settings are too small (on by default from PostgreSQL 15).",
        remedy: "settings { log_checkpoints = true }",
        check: |f| log_on(f, "log_checkpoints"),
    },
    Control {
        id: "ext-log-timezone",
        area: Area::Logging,
        title: "log_timezone is UTC",
        severity: Severity::Info,
        rationale: "Log lines stamped in UTC line up across servers in different zones and across daylight-saving changes, so events can be put in order.",
        remedy: "settings { log_timezone = \"UTC\" }",
        check: |f| {
            setting_check(f, "log_timezone", |v| {
                UTC_NAMES.contains(&v.trim().to_ascii_lowercase().as_str())
            })
        },
    },
    Control {
        id: "ext-log-lock-waits",
        area: Area::Logging,
        title: "log_lock_waits is on",
        severity: Severity::Low,
        rationale: "A session waiting longer than deadlock_timeout for a lock is logged with who holds it: the trace of blocking and of lock-based attacks.",
        remedy: "settings { log_lock_waits = true }",
        check: |f| log_on(f, "log_lock_waits"),
    },
];
