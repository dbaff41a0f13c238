//! Where logs go and how they are kept (CIS 3.1.2-3.1.9): a destination,
//! the collector, a directory, private files and bounded rotation.

use super::{bool_setting, is_on, number, octal, setting, setting_check, shown, verdict};
use crate::audit::facts::AuditFacts;
use crate::audit::{Area, Check, Control, Severity};

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
];
