//! Where logs go and how they are kept (CIS 3.1.2-3.1.9): a destination,
//! the collector, a directory outside the data directory, private files
//! and bounded rotation.

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

/// `path` with `.` and `..` resolved and no trailing slash, textually
/// (symbolic links are the server host's to know).
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Whether `log_directory` lies inside `data_directory` (a relative
/// directory is taken from it).
fn inside(log_directory: &str, data_directory: &str) -> bool {
    if !log_directory.starts_with('/') {
        return true;
    }
    let (log, data) = (normalize(log_directory), normalize(data_directory));
    data == "/" || log == data || log.starts_with(&format!("{data}/"))
}

fn logs_outside_data(facts: &AuditFacts) -> Check {
    let collector = match setting(facts, "logging_collector") {
        Ok(value) => value,
        Err(skip) => return skip,
    };
    if !is_on(&collector.value) {
        return Check::Skip(format!(
            "not applicable: {} (no log files written)",
            shown("logging_collector", collector)
        ));
    }
    let (Some(directory), Some(data)) = (
        facts.setting("log_directory"),
        facts.setting("data_directory"),
    ) else {
        return Check::Skip(
            "needs superuser or pg_read_all_settings (log_directory and data_directory are not visible)"
                .to_owned(),
        );
    };
    let mut evidence = vec![
        shown("log_directory", directory),
        shown("data_directory", data),
    ];
    let inside = inside(&directory.value, &data.value);
    if inside && !directory.value.starts_with('/') {
        evidence.push("a relative log_directory is taken from data_directory".to_owned());
    }
    verdict(!inside, evidence)
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
        id: "ext-logs-outside-data",
        area: Area::Logging,
        title: "log files are written outside the data directory",
        severity: Severity::Low,
        rationale: "Logs inside the data directory are copied by pg_basebackup to every standby and backup, and growing logs fill the disk the database needs to write.",
        remedy: "settings { log_directory = \"/var/log/postgresql\" } # requires the directory, owned by the postgres user",
        check: logs_outside_data,
    },
];

#[cfg(test)]
mod tests {
    use super::inside;

    #[test]
    fn relative_and_nested_directories_are_inside() {
        let data = "/var/lib/postgresql/17/main";
        for log in [
            "log",
            "pg_log/",
            "",
            "/var/lib/postgresql/17/main",
            "/var/lib/postgresql/17/main/log",
            "/var/lib/postgresql/17/main/./log/",
            "/var/log/../lib/postgresql/17/main/log",
        ] {
            assert!(inside(log, data), "{log}");
        }
        for log in [
            "/var/log/postgresql",
            "/var/lib/postgresql/17/main-logs",
            "/var/lib/postgresql/17/main/../log",
        ] {
            assert!(!inside(log, &format!("{data}/")), "{log}");
        }
    }
}
