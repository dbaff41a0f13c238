//! Libraries that make password logins harder to attack: auth_delay
//! slows each failed attempt, passwordcheck (or credcheck) refuses weak
//! passwords sent in clear text. Both work only when preloaded.

use super::{number, verdict};
use crate::audit::facts::{AuditFacts, SettingFact};
use crate::audit::{Area, Check, Control, Severity};

/// The smallest delay after a failed login that slows guessing enough.
const MIN_AUTH_DELAY_MS: f64 = 500.0;

/// The preloaded libraries by name: `'$libdir/auth_delay.so'` counts as
/// `auth_delay`.
pub(crate) fn preloaded(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|entry| {
            let entry = entry.trim().trim_matches('"');
            let base = entry.rsplit('/').next().unwrap_or(entry);
            base.strip_suffix(".so").unwrap_or(base).to_owned()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// shared_preload_libraries, or the skip for a role that cannot see it.
fn preload_setting(facts: &AuditFacts) -> Result<&SettingFact, Check> {
    facts.setting("shared_preload_libraries").ok_or_else(|| {
        Check::Skip(
            "needs superuser or pg_read_all_settings (shared_preload_libraries is not visible)"
                .to_owned(),
        )
    })
}

fn preload_line(setting: &SettingFact) -> String {
    format!("shared_preload_libraries = \"{}\"", setting.value)
}

/// A delay setting in milliseconds.
fn milliseconds(setting: &SettingFact) -> Option<f64> {
    number(&setting.value).map(|n| match setting.unit.as_deref() {
        Some("s") => n * 1000.0,
        Some("min") => n * 60_000.0,
        _ => n,
    })
}

fn auth_delay(facts: &AuditFacts) -> Check {
    let preload = match preload_setting(facts) {
        Ok(preload) => preload,
        Err(skip) => return skip,
    };
    let mut evidence = vec![preload_line(preload)];
    if !preloaded(&preload.value).iter().any(|l| l == "auth_delay") {
        evidence.push("auth_delay is not preloaded".to_owned());
        return Check::Fail(evidence);
    }
    let delay = facts.setting("auth_delay.milliseconds");
    evidence.push(match delay {
        Some(delay) => format!("auth_delay.milliseconds = {}", delay.value),
        None => "auth_delay.milliseconds is not set (no delay)".to_owned(),
    });
    verdict(
        delay
            .and_then(milliseconds)
            .is_some_and(|ms| ms >= MIN_AUTH_DELAY_MS),
        evidence,
    )
}

/// Modules that check a new password's strength when it arrives in
/// clear text.
const PASSWORD_CHECKERS: &[&str] = &["passwordcheck", "credcheck"];

fn password_check(facts: &AuditFacts) -> Check {
    let preload = match preload_setting(facts) {
        Ok(preload) => preload,
        Err(skip) => return skip,
    };
    let loaded = preloaded(&preload.value);
    let checker = PASSWORD_CHECKERS
        .iter()
        .find(|checker| loaded.iter().any(|l| l == *checker));
    let mut evidence = vec![preload_line(preload)];
    if checker.is_none() {
        evidence.push("neither passwordcheck nor credcheck is preloaded".to_owned());
    }
    verdict(checker.is_some(), evidence)
}

pub const CONTROLS: &[Control] = &[
    Control {
        id: "ext-auth-delay",
        area: Area::Authentication,
        title: "auth_delay is preloaded and waits at least 500ms after a failed login",
        severity: Severity::Low,
        rationale: "A pause before each failed authentication is answered caps how fast a client can guess passwords, at no cost to logins that succeed.",
        remedy: "extension \"auth_delay\" {} # preloads the library; requires restart\n\nsettings {\n  auth_delay = { milliseconds = 500 }\n}",
        check: auth_delay,
    },
    Control {
        id: "ext-password-check",
        area: Area::Authentication,
        title: "passwordcheck or credcheck is preloaded",
        severity: Severity::Low,
        rationale: "Clients other than pgfort may set passwords in clear text (CREATE ROLE … PASSWORD 'x'); a checker refuses short ones and ones that contain the role's name. pgfort itself sends SCRAM verifiers, which no checker can read.",
        remedy: "extension \"passwordcheck\" {} # preloads the library; requires restart\n# credcheck (a separate package) adds rules of your own",
        check: password_check,
    },
];

#[cfg(test)]
mod tests {
    use super::preloaded;

    #[test]
    fn library_names_are_read_through_paths_and_quotes() {
        assert_eq!(
            preloaded("pg_stat_statements, \"$libdir/auth_delay.so\" ,passwordcheck,"),
            ["pg_stat_statements", "auth_delay", "passwordcheck"]
        );
        assert!(preloaded("").is_empty());
    }
}
