//! Guessable passwords, found offline: each LOGIN role's stored verifier
//! is recomputed for a short list of the passwords attackers try first and
//! for variants of the role's own name, with the verifier's own salt and
//! iteration count. No login is attempted and nothing is sent to the
//! server; the report names the role, never the password.

use crate::audit::facts::{AuditFacts, LoginVerifier, RoleFact};
use crate::audit::{Area, Check, Control, Severity};
use crate::model::Secret;

/// The passwords tried first in every credential-stuffing list, and the
/// ones PostgreSQL set-ups are known for.
const COMMON: &[&str] = &[
    "postgres",
    "postgresql",
    "password",
    "Password1",
    "password1",
    "123456",
    "12345678",
    "123456789",
    "1234",
    "qwerty",
    "admin",
    "administrator",
    "root",
    "changeme",
    "secret",
    "letmein",
    "welcome",
    "test",
    "guest",
    "default",
    "pass",
    "passw0rd",
    "P@ssw0rd",
    "abc123",
    "iloveyou",
    "",
];

/// At most this many roles' SCRAM verifiers are tested (one PBKDF2 per
/// candidate, about a millisecond each): the most privileged first. md5
/// verifiers cost nothing to test and are all tested.
const SCRAM_ROLES_CHECKED: usize = 50;

/// The role's name and the variants people derive from it.
fn name_variants(role: &str) -> Vec<String> {
    let mut capitalised = role.to_owned();
    if let Some(first) = capitalised.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    let mut variants = vec![
        role.to_owned(),
        capitalised,
        role.to_ascii_uppercase(),
        format!("{role}1"),
        format!("{role}123"),
        format!("{role}!"),
        format!("{role}{role}"),
        role.chars().rev().collect(),
    ];
    variants.sort();
    variants.dedup();
    variants
}

fn candidates(role: &str) -> Vec<Secret> {
    COMMON
        .iter()
        .map(|common| (*common).to_owned())
        .chain(name_variants(role))
        .map(Secret::new)
        .collect()
}

/// How much a role can do: superusers first, then roles with powers.
fn privilege_rank(role: Option<&RoleFact>) -> u8 {
    match role {
        Some(r) if r.superuser => 0,
        Some(r) if r.createrole || r.replication || r.bypassrls || r.createdb => 1,
        _ => 2,
    }
}

fn weak_passwords(facts: &AuditFacts) -> Check {
    let Some(verifiers) = &facts.login_verifiers else {
        return Check::Skip("needs superuser (pg_authid is not readable)".to_owned());
    };
    let role_fact = |name: &str| facts.roles.iter().find(|r| r.name == name);
    let (md5, mut scram): (Vec<&LoginVerifier>, Vec<&LoginVerifier>) = verifiers
        .iter()
        .filter(|v| v.verifier.expose().starts_with("md5") || is_scram(v))
        .partition(|v| v.verifier.expose().starts_with("md5"));
    scram.sort_by_key(|v| (privilege_rank(role_fact(&v.role)), v.role.clone()));
    let skipped = scram.len().saturating_sub(SCRAM_ROLES_CHECKED);
    scram.truncate(SCRAM_ROLES_CHECKED);
    let tested: Vec<&LoginVerifier> = md5.into_iter().chain(scram).collect();
    let guessed = crate::parallel::map(&tested, 2, |v| {
        crate::password::matches_any(v.verifier.expose(), &v.role, &candidates(&v.role))
    });
    let mut found: Vec<String> = tested
        .iter()
        .zip(guessed)
        .filter(|(_, guessed)| *guessed)
        .map(|(v, _)| {
            format!(
                "{}: the password is a common one or derived from the role name (found offline from its verifier)",
                v.role
            )
        })
        .collect();
    found.sort();
    if !found.is_empty() {
        return Check::Fail(found);
    }
    let mut evidence = vec![format!(
        "{} login role(s) tested against {} common passwords and variants of their names: none guessed",
        tested.len(),
        COMMON.len()
    )];
    if skipped > 0 {
        evidence.push(format!(
            "{skipped} less privileged role(s) with SCRAM verifiers not tested (at most {SCRAM_ROLES_CHECKED}, most privileged first)"
        ));
    }
    Check::Pass(evidence)
}

fn is_scram(verifier: &LoginVerifier) -> bool {
    verifier.verifier.expose().starts_with("SCRAM-SHA-256$")
}

pub const CONTROLS: &[Control] = &[Control {
    id: "ext-weak-passwords",
    area: Area::Authentication,
    title: "no login role has a guessable password",
    severity: Severity::Critical,
    rationale: "A password from the lists attackers try first, or the role's own name, falls to the first scan of the port; pgfort tests each stored verifier offline, with its salt, and reports the role only.",
    remedy: "role \"name\" { password = var.name_password } # a long random value, given outside the files",
    check: weak_passwords,
}];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_of_the_name_are_distinct() {
        let variants = name_variants("app");
        for expected in [
            "app", "App", "APP", "app1", "app123", "app!", "appapp", "ppa",
        ] {
            assert!(variants.contains(&expected.to_owned()), "{expected}");
        }
        assert_eq!(name_variants("a"), ["A", "a", "a!", "a1", "a123", "aa"]);
    }

    fn login(name: &str, superuser: bool, password: &str) -> (RoleFact, LoginVerifier) {
        let verifier = crate::password::verifier_with(&Secret::new(password), b"salt", 1);
        let mut role = crate::audit::fixtures::hardened().roles[1].clone();
        role.name = name.to_owned();
        role.superuser = superuser;
        let verifier = LoginVerifier {
            role: name.to_owned(),
            verifier: Secret::new(verifier),
        };
        (role, verifier)
    }

    #[test]
    fn the_most_privileged_roles_are_tested_first_within_the_cap() {
        let mut facts = crate::audit::fixtures::hardened();
        let mut logins: Vec<(RoleFact, LoginVerifier)> = (0..SCRAM_ROLES_CHECKED + 5)
            .map(|i| login(&format!("u{i:03}"), false, "Wd7p-Ns2c-Qh5e-Mv9j"))
            .collect();
        // Last by name, first by privilege: tested, and guessed.
        logins.push(login("zz_admin", true, "zz_admin123"));
        facts.roles = logins.iter().map(|(r, _)| r.clone()).collect();
        facts.login_verifiers = Some(logins.into_iter().map(|(_, v)| v).collect());
        let Check::Fail(found) = weak_passwords(&facts) else {
            panic!("the superuser's name-derived password is found");
        };
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("zz_admin: "), "{found:?}");
        assert!(!found[0].contains("zz_admin123"), "never the password");

        facts.login_verifiers.as_mut().unwrap().pop();
        let Check::Pass(evidence) = weak_passwords(&facts) else {
            panic!("strong passwords pass");
        };
        assert!(
            evidence[1].starts_with("5 less privileged role(s)"),
            "{evidence:?}"
        );
    }
}
