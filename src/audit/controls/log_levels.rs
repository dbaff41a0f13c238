//! How much is logged (CIS 3.1.14-3.1.18): errors with their statements,
//! no debug output and no query trees.

use super::{bool_setting, setting_check};
use crate::audit::{Area, Control, Severity};

/// Message levels from most to least verbose.
const LEVELS: [&str; 12] = [
    "debug5", "debug4", "debug3", "debug2", "debug1", "info", "notice", "warning", "error", "log",
    "fatal", "panic",
];

fn level_at_least(value: &str, floor: &str) -> bool {
    let rank = |level: &str| LEVELS.iter().position(|l| *l == level);
    matches!((rank(&value.to_ascii_lowercase()), rank(floor)), (Some(v), Some(f)) if v >= f)
}

pub const CONTROLS: &[Control] = &[
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
}
