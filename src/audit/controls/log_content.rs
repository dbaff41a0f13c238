//! Who did what (CIS 3.1.20-3.1.25, 3.2, 7.2): connections, sessions,
//! statements and replication commands, with lines that name their source.

use super::log_levels::log_messages_suppressed;
use super::{bool_setting, setting, setting_check, verdict};
use crate::audit::facts::AuditFacts;
use crate::audit::{Area, Check, Control, Severity};

/// PostgreSQL 18 turned log_connections into a list; empty or off is off.
fn connections_logged(value: &str) -> bool {
    let value = value.trim().to_ascii_lowercase();
    !(value.is_empty() || matches!(value.as_str(), "off" | "false" | "no" | "0"))
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
        // Absent is not "not applicable": nothing records object access.
        return Check::Fail(vec![format!(
            "pgaudit is not installed on this server (install the postgresql-{}-pgaudit package or build it for this version)",
            facts.version_num / 10_000
        )]);
    }
    let preload = match setting(facts, "shared_preload_libraries") {
        Ok(preload) => preload.value.clone(),
        Err(skip) => return skip,
    };
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
        id: "3.1.20",
        area: Area::Logging,
        title: "log_connections is on",
        severity: Severity::High,
        rationale: "Connection attempts are the first thing an incident review needs.",
        remedy: "settings { log_connections = true }",
        check: |f| {
            log_messages_suppressed(f)
                .unwrap_or_else(|| setting_check(f, "log_connections", connections_logged))
        },
    },
    Control {
        id: "3.1.21",
        area: Area::Logging,
        title: "log_disconnections is on",
        severity: Severity::Medium,
        rationale: "Session ends and durations complete the connection record.",
        remedy: "settings { log_disconnections = true }",
        check: |f| {
            log_messages_suppressed(f)
                .unwrap_or_else(|| bool_setting(f, "log_disconnections", true))
        },
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
        check: |f| {
            log_messages_suppressed(f)
                .unwrap_or_else(|| setting_check(f, "log_statement", |v| v.trim() != "none"))
        },
    },
    Control {
        id: "3.2",
        area: Area::Logging,
        title: "pgaudit is installed, preloaded and logs ddl and write",
        severity: Severity::Medium,
        rationale: "pgaudit records object-level access that log_statement cannot.",
        remedy: "extension \"pgaudit\" {\n  database = \"postgres\" # also preloads the library; requires restart\n}\n\nsettings {\n  pgaudit = { log = \"ddl, write\" }\n}",
        check: |f| log_messages_suppressed(f).unwrap_or_else(|| pgaudit(f)),
    },
    Control {
        id: "7.2",
        area: Area::Logging,
        title: "log_replication_commands is on",
        severity: Severity::Low,
        rationale: "Replication connections can copy the whole cluster; they should be logged.",
        remedy: "settings { log_replication_commands = true }",
        check: |f| {
            log_messages_suppressed(f)
                .unwrap_or_else(|| bool_setting(f, "log_replication_commands", true))
        },
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_lists() {
        assert!(connections_logged("on"));
        assert!(connections_logged("receipt,authentication"));
        assert!(!connections_logged(""));
        assert!(!connections_logged("off"));
    }

    #[test]
    fn pgaudit_missing_from_the_server_fails() {
        let mut facts = crate::audit::fixtures::hardened();
        facts.available_extensions.retain(|e| e != "pgaudit");
        match pgaudit(&facts) {
            Check::Fail(evidence) => assert!(evidence[0].contains("pgaudit is not installed")),
            other => panic!("{other:?}"),
        }
    }
}
