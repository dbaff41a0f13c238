//! Developer switches that must stay off in production (CIS 6.2) and WAL
//! archiving (7.4).

use super::{bool_setting, is_on, number, setting, setting_check, shown, verdict};
use crate::audit::facts::AuditFacts;
use crate::audit::{Area, Check, Control, Severity};

fn archiving(facts: &AuditFacts) -> Check {
    let mode = match setting(facts, "archive_mode") {
        Ok(mode) => mode,
        Err(skip) => return skip,
    };
    let command = facts
        .setting("archive_command")
        .map(|s| s.value.trim().to_owned())
        .unwrap_or_default();
    let library = facts
        .setting("archive_library")
        .map(|s| s.value.trim().to_owned())
        .unwrap_or_default();
    let on = is_on(&mode.value) || mode.value == "always";
    let target = !(command.is_empty() || command == "(disabled)") || !library.is_empty();
    let mut evidence = vec![shown("archive_mode", mode)];
    evidence.push(if target {
        "an archive_command or archive_library is set".to_owned()
    } else {
        "no archive_command or archive_library".to_owned()
    });
    verdict(on && target, evidence)
}

pub const CONTROLS: &[Control] = &[
    Control {
        id: "6.2-ignore-system-indexes",
        area: Area::Misc,
        title: "ignore_system_indexes is off",
        severity: Severity::Medium,
        rationale: "A debugging switch that slows every catalog lookup.",
        remedy: "settings { ignore_system_indexes = false }",
        check: |f| bool_setting(f, "ignore_system_indexes", false),
    },
    Control {
        id: "6.2-jit-debugging",
        area: Area::Misc,
        title: "jit_debugging_support is off",
        severity: Severity::Low,
        rationale: "Registers generated code with debuggers; only for developers.",
        remedy: "settings { jit_debugging_support = false } # requires restart",
        check: |f| bool_setting(f, "jit_debugging_support", false),
    },
    Control {
        id: "6.2-jit-profiling",
        area: Area::Misc,
        title: "jit_profiling_support is off",
        severity: Severity::Low,
        rationale: "Writes profiling data for generated code; only for developers.",
        remedy: "settings { jit_profiling_support = false } # requires restart",
        check: |f| bool_setting(f, "jit_profiling_support", false),
    },
    Control {
        id: "6.2-post-auth-delay",
        area: Area::Misc,
        title: "post_auth_delay is 0",
        severity: Severity::Low,
        rationale: "A delay after authentication is a debugging aid that holds connections.",
        remedy: "settings { post_auth_delay = 0 }",
        check: |f| setting_check(f, "post_auth_delay", |v| number(v) == Some(0.0)),
    },
    Control {
        id: "ext-fsync",
        area: Area::Misc,
        title: "fsync is on",
        severity: Severity::High,
        rationale: "Without fsync a crash can corrupt the whole cluster, audit trail included.",
        remedy: "settings { fsync = true }",
        check: |f| bool_setting(f, "fsync", true),
    },
    Control {
        id: "ext-full-page-writes",
        area: Area::Misc,
        title: "full_page_writes is on",
        severity: Severity::High,
        rationale: "Without full-page images a crash mid-write leaves torn pages that recovery cannot repair.",
        remedy: "settings { full_page_writes = true }",
        check: |f| bool_setting(f, "full_page_writes", true),
    },
    Control {
        id: "7.4",
        area: Area::Misc,
        title: "WAL archiving is on with an archive target",
        severity: Severity::Low,
        rationale: "Point-in-time recovery after a compromise needs archived WAL.",
        remedy: "settings {\n  archive_mode    = \"on\" # requires restart\n  archive_command = \"pgbackrest --stanza=main archive-push %p\"\n}",
        check: archiving,
    },
];
