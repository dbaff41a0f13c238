//! Logging (CIS 3.1, 3.2, 7.2): enough is logged to reconstruct who did
//! what, logs are kept safely, and nothing leaks query trees.

use super::{bool_setting, is_on, number, octal, setting, setting_check, shown, verdict};
use crate::audit::facts::AuditFacts;
use crate::audit::{Area, Check, Control, Severity};

/// Message levels from most to least verbose.
const LEVELS: [&str; 12] = [
    "debug5", "debug4", "debug3", "debug2", "debug1", "info", "notice", "warning", "error", "log",
    "fatal", "panic",
];

fn level_at_least(value: &str, floor: &str) -> bool {
    let rank = |level: &str| LEVELS.iter().position(|l| *l == level);
    matches!((rank(&value.to_ascii_lowercase()), rank(floor)), (Some(v), Some(f)) if v >= f)
}

/// PostgreSQL 18 turned log_connections into a list; empty or off is off.
fn connections_logged(value: &str) -> bool {
    let value = value.trim().to_ascii_lowercase();
    !(value.is_empty() || matches!(value.as_str(), "off" | "false" | "no" | "0"))
}

fn logging_collector(facts: &AuditFacts) -> Check {
    let collector = match setting(facts, "logging_collector") {
        Ok(value) => value,
        Err(skip) => return skip,
    };
    let destination = facts
        .setting("log_destination")
        .map(|d| d.value.clone())
        .unwrap_or_default();
    let syslog = destination.contains("syslog") || destination.contains("eventlog");
    verdict(
        is_on(&collector.value) || syslog,
        vec![
            shown("logging_collector", collector),
            format!("log_destination = {destination}"),
        ],
    )
}

fn log_line_prefix(facts: &AuditFacts) -> Check {
    let prefix = match setting(facts, "log_line_prefix") {
        Ok(value) => value,
        Err(skip) => return skip,
    };
    let has = |escapes: &[&str]| escapes.iter().any(|e| prefix.value.contains(e));
    let wanted: [(&str, &[&str]); 6] = [
        ("a time (%m, %t or %n)", &["%m", "%t", "%n"]),
        ("the process (%p or %c)", &["%p", "%c"]),
        ("the database (%d)", &["%d"]),
        ("the user (%u)", &["%u"]),
        ("the application (%a)", &["%a"]),
        ("the client host (%h)", &["%h"]),
    ];
    let mut evidence = vec![format!("log_line_prefix = {:?}", prefix.value)];
    let missing: Vec<String> = wanted
        .iter()
        .filter(|(_, escapes)| !has(escapes))
        .map(|(what, _)| format!("missing {what}"))
        .collect();
    let pass = missing.is_empty();
    evidence.extend(missing);
    verdict(pass, evidence)
}

fn pgaudit(facts: &AuditFacts) -> Check {
    if !facts.available_extensions.iter().any(|e| e == "pgaudit") {
        return Check::Skip("not applicable: pgaudit is not available on this server".to_owned());
    }
    let preload = facts
        .setting("shared_preload_libraries")
        .map(|s| s.value.clone())
        .unwrap_or_default();
    let log = facts
        .setting("pgaudit.log")
        .map(|s| s.value.to_ascii_lowercase())
        .unwrap_or_default();
    let preloaded = preload.split(',').any(|l| l.trim() == "pgaudit");
    let covers = |class: &str| {
        log.split(',')
            .any(|c| matches!(c.trim(), "all") || c.trim() == class)
    };
    verdict(
        preloaded && covers("ddl") && covers("write"),
        vec![
            format!("shared_preload_libraries = {preload}"),
            format!("pgaudit.log = {log}"),
        ],
    )
}

pub const CONTROLS: &[Control] = &[
    Control {
        id: "3.1.2",
        area: Area::Logging,
        title: "log_destination is set",
        severity: Severity::Medium,
        rationale: "Without a destination the server's messages go nowhere.",
        remedy: "settings { log_destination = \"stderr\" }",
        check: |f| setting_check(f, "log_destination", |v| !v.trim().is_empty()),
    },
    Control {
        id: "3.1.3",
        area: Area::Logging,
        title: "logging_collector is on (unless logging to syslog)",
        severity: Severity::Medium,
        rationale: "The collector captures stderr into rotated files instead of losing it.",
        remedy: "settings { logging_collector = true } # requires restart",
        check: logging_collector,
    },
    Control {
        id: "3.1.4",
        area: Area::Logging,
        title: "log_directory is set",
        severity: Severity::Low,
        rationale: "Log files need a known place to be collected and protected.",
        remedy: "settings { log_directory = \"log\" }",
        check: |f| setting_check(f, "log_directory", |v| !v.trim().is_empty()),
    },
    Control {
        id: "3.1.6",
        area: Area::Logging,
        title: "log_file_mode is 0600",
        severity: Severity::Medium,
        rationale: "Logs hold statements and user names; only the server account should read them.",
        remedy: "settings { log_file_mode = \"0600\" }",
        check: |f| setting_check(f, "log_file_mode", |v| octal(v) == Some(0o600)),
    },
    Control {
        id: "3.1.7",
        area: Area::Logging,
        title: "log_truncate_on_rotation is on",
        severity: Severity::Low,
        rationale: "Time-based rotation should overwrite old files rather than grow them without bound.",
        remedy: "settings { log_truncate_on_rotation = true }",
        check: |f| bool_setting(f, "log_truncate_on_rotation", true),
    },
    Control {
        id: "3.1.8",
        area: Area::Logging,
        title: "log_rotation_age is not zero",
        severity: Severity::Low,
        rationale: "Rotating by age keeps log files a manageable size for review.",
        remedy: "settings { log_rotation_age = \"1d\" }",
        check: |f| {
            setting_check(f, "log_rotation_age", |v| {
                number(v).is_some_and(|n| n > 0.0)
            })
        },
    },
    Control {
        id: "3.1.9",
        area: Area::Logging,
        title: "log_rotation_size is not zero",
        severity: Severity::Low,
        rationale: "Rotating by size stops one file from filling the disk.",
        remedy: "settings { log_rotation_size = \"100MB\" }",
        check: |f| {
            setting_check(f, "log_rotation_size", |v| {
                number(v).is_some_and(|n| n > 0.0)
            })
        },
    },
    Control {
        id: "3.1.14",
        area: Area::Logging,
        title: "log_min_messages is warning or stricter",
        severity: Severity::Low,
        rationale: "Debug levels flood the log and can hide what matters.",
        remedy: "settings { log_min_messages = \"warning\" }",
        check: |f| setting_check(f, "log_min_messages", |v| level_at_least(v, "warning")),
    },
    Control {
        id: "3.1.15",
        area: Area::Logging,
        title: "log_min_error_statement is error or stricter",
        severity: Severity::Low,
        rationale: "Statements that caused errors should be logged; more is noise.",
        remedy: "settings { log_min_error_statement = \"error\" }",
        check: |f| setting_check(f, "log_min_error_statement", |v| level_at_least(v, "error")),
    },
    Control {
        id: "3.1.16",
        area: Area::Logging,
        title: "debug_print_parse is off",
        severity: Severity::Low,
        rationale: "Parse trees in the log expose query contents and bloat logs.",
        remedy: "settings { debug_print_parse = false }",
        check: |f| bool_setting(f, "debug_print_parse", false),
    },
    Control {
        id: "3.1.17",
        area: Area::Logging,
        title: "debug_print_rewritten is off",
        severity: Severity::Low,
        rationale: "Rewritten query trees in the log expose query contents.",
        remedy: "settings { debug_print_rewritten = false }",
        check: |f| bool_setting(f, "debug_print_rewritten", false),
    },
    Control {
        id: "3.1.18",
        area: Area::Logging,
        title: "debug_print_plan is off",
        severity: Severity::Low,
        rationale: "Plan trees in the log expose query contents.",
        remedy: "settings { debug_print_plan = false }",
        check: |f| bool_setting(f, "debug_print_plan", false),
    },
    Control {
        id: "3.1.20",
        area: Area::Logging,
        title: "log_connections is on",
        severity: Severity::High,
        rationale: "Connection attempts are the first thing an incident review needs.",
        remedy: "settings { log_connections = true }",
        check: |f| setting_check(f, "log_connections", connections_logged),
    },
    Control {
        id: "3.1.21",
        area: Area::Logging,
        title: "log_disconnections is on",
        severity: Severity::Medium,
        rationale: "Session ends and durations complete the connection record.",
        remedy: "settings { log_disconnections = true }",
        check: |f| bool_setting(f, "log_disconnections", true),
    },
    Control {
        id: "3.1.23",
        area: Area::Logging,
        title: "log_hostname is off",
        severity: Severity::Low,
        rationale: "Reverse DNS per connection costs time and records spoofable names.",
        remedy: "settings { log_hostname = false }",
        check: |f| bool_setting(f, "log_hostname", false),
    },
    Control {
        id: "3.1.24",
        area: Area::Logging,
        title: "log_line_prefix names time, process, database, user, application and host",
        severity: Severity::Medium,
        rationale: "Log lines are only evidence when they say who, where and when.",
        remedy: "settings { log_line_prefix = \"%m [%p] %q%u@%d app=%a host=%h \" }",
        check: log_line_prefix,
    },
    Control {
        id: "3.1.25",
        area: Area::Logging,
        title: "log_statement logs at least DDL",
        severity: Severity::Medium,
        rationale: "Schema and role changes must leave a trace.",
        remedy: "settings { log_statement = \"ddl\" }",
        check: |f| setting_check(f, "log_statement", |v| v.trim() != "none"),
    },
    Control {
        id: "3.2",
        area: Area::Logging,
        title: "pgaudit is preloaded and logs ddl and write",
        severity: Severity::Low,
        rationale: "pgaudit records object-level access that log_statement cannot.",
        remedy: "settings {\n  shared_preload_libraries = \"pgaudit\" # requires restart\n  \"pgaudit.log\"           = \"ddl, write\"\n}",
        check: pgaudit,
    },
    Control {
        id: "7.2",
        area: Area::Logging,
        title: "log_replication_commands is on",
        severity: Severity::Low,
        rationale: "Replication connections can copy the whole cluster; they should be logged.",
        remedy: "settings { log_replication_commands = true }",
        check: |f| bool_setting(f, "log_replication_commands", true),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels() {
        assert!(level_at_least("warning", "warning"));
        assert!(level_at_least("ERROR", "warning"));
        assert!(!level_at_least("notice", "warning"));
        assert!(!level_at_least("bogus", "warning"));
    }

    #[test]
    fn connection_lists() {
        assert!(connections_logged("on"));
        assert!(connections_logged("receipt,authentication"));
        assert!(!connections_logged(""));
        assert!(!connections_logged("off"));
    }
}
