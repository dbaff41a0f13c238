//! Sessions that sit idle: inside a transaction they hold locks and the
//! oldest snapshot (vacuum cannot clean behind it); outside one they hold
//! a connection slot and a backend's memory.

use super::{number, setting, shown, verdict};
use crate::audit::facts::AuditFacts;
use crate::audit::{Area, Check, Control, Severity};

/// A timeout setting is on: a positive number (0 disables it).
fn timeout_set(facts: &AuditFacts, name: &str) -> Check {
    match setting(facts, name) {
        Ok(value) => verdict(
            number(&value.value).is_some_and(|n| n > 0.0),
            vec![shown(name, value)],
        ),
        Err(skip) => skip,
    }
}

fn idle_session(facts: &AuditFacts) -> Check {
    if facts.version_num != 0 && facts.version_num < 140_000 {
        return Check::Skip(
            "not applicable: idle_session_timeout exists from PostgreSQL 14".to_owned(),
        );
    }
    timeout_set(facts, "idle_session_timeout")
}

pub const CONTROLS: &[Control] = &[
    Control {
        id: "ext-idle-in-transaction",
        area: Area::Operations,
        title: "idle_in_transaction_session_timeout is set",
        severity: Severity::Medium,
        rationale: "A session left idle in a transaction keeps its locks and holds back vacuum for every table until someone notices; a timeout ends it.",
        remedy: "settings { idle_in_transaction_session_timeout = \"10min\" }",
        check: |f| timeout_set(f, "idle_in_transaction_session_timeout"),
    },
    Control {
        id: "ext-idle-session-timeout",
        area: Area::Operations,
        title: "idle_session_timeout is set",
        severity: Severity::Low,
        rationale: "Forgotten sessions hold connection slots and memory; a timeout (longer than a pooler's idle recycling) frees them.",
        remedy: "settings { idle_session_timeout = \"1h\" }",
        check: idle_session,
    },
];
