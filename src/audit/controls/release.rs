//! Whether the server still gets security fixes: its major version's end
//! of life, and its minor release against the newest one pgfort knows.
//! The table ships with pgfort (no network); a newer pgfort knows newer
//! releases.

use crate::audit::facts::AuditFacts;
use crate::audit::{Area, Check, Control, Severity};

/// When the release table below was last brought up to date.
const TABLE_DATE: &str = "2026-08";

/// One major version: its end of life (the PostgreSQL versioning policy:
/// five years after its release) and the newest minor release known.
struct Major {
    major: u32,
    end_of_life: &'static str,
    latest_minor: u32,
}

/// Oldest first. Majors before the first are all past their end of life.
const MAJORS: &[Major] = &[
    Major {
        major: 13,
        end_of_life: "2025-11-13",
        latest_minor: 23,
    },
    Major {
        major: 14,
        end_of_life: "2026-11-12",
        latest_minor: 23,
    },
    Major {
        major: 15,
        end_of_life: "2027-11-11",
        latest_minor: 18,
    },
    Major {
        major: 16,
        end_of_life: "2028-11-09",
        latest_minor: 14,
    },
    Major {
        major: 17,
        end_of_life: "2029-11-08",
        latest_minor: 10,
    },
    Major {
        major: 18,
        end_of_life: "2030-11-14",
        latest_minor: 4,
    },
];

/// (major, minor) from `server_version_num` (10 and later: MMmmmm).
fn version(facts: &AuditFacts) -> Option<(u32, u32)> {
    (facts.version_num >= 100_000)
        .then_some((facts.version_num / 10_000, facts.version_num % 10_000))
}

fn supported_major(facts: &AuditFacts) -> Check {
    let Some((major, _)) = version(facts) else {
        return Check::Fail(vec![format!(
            "server_version_num {}: a release before PostgreSQL 10, long past its end of life",
            facts.version_num
        )]);
    };
    let Some(known) = MAJORS.iter().find(|m| m.major == major) else {
        return match MAJORS.first() {
            Some(oldest) if major < oldest.major => Check::Fail(vec![format!(
                "PostgreSQL {major} is past its end of life: no more security fixes"
            )]),
            _ => Check::Pass(vec![format!(
                "PostgreSQL {major} is newer than pgfort's release table ({TABLE_DATE})"
            )]),
        };
    };
    if facts.today.is_empty() {
        return Check::Skip("the server did not say today's date".to_owned());
    }
    // ISO dates compare as text.
    if facts.today.as_str() >= known.end_of_life {
        Check::Fail(vec![format!(
            "PostgreSQL {major} reached its end of life on {}: no more security fixes",
            known.end_of_life
        )])
    } else {
        Check::Pass(vec![format!(
            "PostgreSQL {major} is supported until {}",
            known.end_of_life
        )])
    }
}

fn latest_minor(facts: &AuditFacts) -> Check {
    let Some((major, minor)) = version(facts) else {
        return Check::Skip("not applicable: a release before PostgreSQL 10".to_owned());
    };
    let Some(known) = MAJORS.iter().find(|m| m.major == major) else {
        return Check::Skip(format!(
            "not applicable: PostgreSQL {major} is not in pgfort's release table ({TABLE_DATE})"
        ));
    };
    if minor < known.latest_minor {
        Check::Fail(vec![format!(
            "{major}.{minor} runs; {major}.{} or later is out (pgfort's release table, {TABLE_DATE})",
            known.latest_minor
        )])
    } else {
        Check::Pass(vec![format!(
            "{major}.{minor}: the newest minor release pgfort knows ({TABLE_DATE}) or later"
        )])
    }
}

pub const CONTROLS: &[Control] = &[
    Control {
        id: "ext-supported-major",
        area: Area::Operations,
        title: "the major version still gets security fixes",
        severity: Severity::High,
        rationale: "After its end of life a major version gets no fixes, security ones included; every later vulnerability stays open.",
        remedy: "Upgrade to a supported major version (pg_upgrade, or logical replication for little downtime).",
        check: supported_major,
    },
    Control {
        id: "ext-latest-minor",
        area: Area::Operations,
        title: "the newest minor release is installed",
        severity: Severity::Medium,
        rationale: "Minor releases carry the security and data-corruption fixes; they change no behaviour on purpose and need only a restart.",
        remedy: "Install the newest minor release of the same major version from your package source and restart.",
        check: latest_minor,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(version_num: u32, today: &str) -> AuditFacts {
        AuditFacts {
            version_num,
            today: today.to_owned(),
            ..AuditFacts::default()
        }
    }

    fn status(check: Check) -> &'static str {
        match check {
            Check::Pass(_) => "pass",
            Check::Fail(_) => "fail",
            Check::Skip(_) => "skip",
        }
    }

    #[test]
    fn end_of_life_is_judged_on_the_server_date() {
        let table = [
            (130_023, "2025-11-12", "pass"),
            (130_023, "2025-11-13", "fail"),
            (140_023, "2026-12-03", "fail"),
            (150_018, "2026-12-03", "pass"),
            (120_022, "2024-01-01", "fail"),
            (90_624, "2026-12-03", "fail"),
            (190_001, "2026-12-03", "pass"),
            (150_018, "", "skip"),
        ];
        for (version, today, expected) in table {
            assert_eq!(
                status(supported_major(&facts(version, today))),
                expected,
                "{version} {today}"
            );
        }
    }

    #[test]
    fn a_minor_behind_the_table_fails() {
        let table = [
            (150_012, "fail"),
            (150_018, "pass"),
            (150_019, "pass"),
            (180_004, "pass"),
            (180_001, "fail"),
            (190_000, "skip"),
        ];
        for (version, expected) in table {
            assert_eq!(
                status(latest_minor(&facts(version, "2026-12-03"))),
                expected,
                "{version}"
            );
        }
        let Check::Fail(evidence) = latest_minor(&facts(150_012, "2026-12-03")) else {
            panic!("behind");
        };
        assert_eq!(
            evidence,
            ["15.12 runs; 15.18 or later is out (pgfort's release table, 2026-08)"]
        );
    }
}
