//! How much is logged (CIS 3.1.14-3.1.18): errors with their statements,
//! no debug output and no query trees.

use super::{bool_setting, setting_check};
use crate::audit::facts::AuditFacts;
use crate::audit::{Area, Check, Control, Severity};

/// Message levels from most to least verbose.
const LEVELS: [&str; 12] = [
    "debug5", "debug4", "debug3", "debug2", "debug1", "info", "notice", "warning", "error", "log",
    "fatal", "panic",
];

fn rank(level: &str) -> Option<usize> {
    let level = level.trim().to_ascii_lowercase();
    LEVELS.iter().position(|l| *l == level)
}

/// Whether `value` is a level from `low` to `high`, both included.
fn level_between(value: &str, low: &str, high: &str) -> bool {
    matches!((rank(value), rank(low), rank(high)), (Some(v), Some(l), Some(h)) if l <= v && v <= h)
}

/// The failure of a control about LOG-level messages (connections,
/// disconnections, statements) when `log_min_messages` is above LOG
/// (fatal, panic): the server writes none of them, whatever the control's
/// own setting says.
pub(crate) fn log_messages_suppressed(facts: &AuditFacts) -> Option<Check> {
    let setting = facts.setting("log_min_messages")?;
    let suppressed = matches!((rank(&setting.value), rank("log")), (Some(v), Some(log)) if v > log);
    suppressed.then(|| {
        Check::Fail(vec![format!(
            "log_min_messages = {}: LOG messages are not written at all",
            setting.value
        )])
    })
}

pub const CONTROLS: &[Control] = &[
    Control {
        id: "3.1.14",
        area: Area::Logging,
        title: "log_min_messages is warning or error",
        severity: Severity::Low,
        rationale: "Debug levels flood the log and can hide what matters; above error, errors and even connections go unlogged.",
        remedy: "settings { log_min_messages = \"warning\" }",
        check: |f| {
            setting_check(f, "log_min_messages", |v| {
                level_between(v, "warning", "error")
            })
        },
    },
    Control {
        id: "3.1.15",
        area: Area::Logging,
        title: "log_min_error_statement is error or more verbose",
        severity: Severity::Low,
        rationale: "The statements that caused errors must be logged: a level above error (log, fatal, panic) logs none of them.",
        remedy: "settings { log_min_error_statement = \"error\" }",
        check: |f| {
            setting_check(f, "log_min_error_statement", |v| {
                level_between(v, "debug5", "error")
            })
        },
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
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels() {
        assert!(level_between("warning", "warning", "error"));
        assert!(level_between("ERROR", "warning", "error"));
        assert!(!level_between("notice", "warning", "error"));
        assert!(!level_between("log", "warning", "error"));
        assert!(!level_between("fatal", "debug5", "error"));
        assert!(!level_between("bogus", "debug5", "panic"));
    }
}
