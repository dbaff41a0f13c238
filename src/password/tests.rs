//! Fixtures are `pg_authid.rolpassword` values produced by a PostgreSQL 15
//! server with `password_encryption = 'scram-sha-256'`.

use super::*;

/// `CREATE ROLE x PASSWORD 'secret'`.
const SECRET: &str = "SCRAM-SHA-256$4096:Pv7YpHWuW6TivJYjqH1WGw==$dSAdWRcOYiem4WASN/R9fQfe3pFiNx5q2A6hULltyMk=:+IlMHs2/9K/+FloCTQNeKjKzSvZ1pSzpSHRLdfAM78Y=";
/// `CREATE ROLE y PASSWORD 'pässwörd'` (UTF-8).
const UMLAUTS: &str = "SCRAM-SHA-256$4096:fOwYSRjZ5hg6lRzYpt8dyA==$YVI6llsf/3QzZ4JDnS5nvzN+fJFV5rqhe0qzBkpshzU=:EowSrCiVG9bRUWe9p2MHN3I6OVDRyQK4v7679+d2yCk=";
/// `U&'a\00A0b'`: SASLprep maps the no-break space to a plain space.
const NBSP: &str = "SCRAM-SHA-256$4096:9RsAwZx3U7BjZFo7p43Vwg==$RJq6aHStuZX4O4OjY9VEoE/xUrBOn0GJ1xjenVmpY4M=:Yc8Wz5edCuIq0JAAbJbn4R+7AwcLL7MmzrL7cynMF9g=";
/// `U&'\FB01x'`: SASLprep (NFKC) turns the ligature into "fi".
const LIGATURE: &str = "SCRAM-SHA-256$4096:IAaq38cxSsvwZs+3PHsM8Q==$H1GgPTqBqjnArsBD4BTTrW++JWlkSRzXOltLuPeVpxw=:eFfKPJGKydm8X+KBvdTX1IesbQidk9s0cn4lX4Sq4l8=";
/// `E'bell\x07'`: a control character makes SASLprep fail, so the raw
/// bytes are hashed.
const BELL: &str = "SCRAM-SHA-256$4096:wpp4IoFUJBWOXE7hqzlm5A==$U3ARhsniIH8RF40DfenGreDZiYhAJuZF5cAeYXA4Sis=:xB+sDpkEsFH30DztZxVO2645UiudsUU9TbJSWrQKQtA=";
/// `password_encryption = 'md5'`, role z, password 'secret'.
const MD5: &str = "md5d246fccfddef6d33431ccc1f896cc184";

fn s(value: &str) -> Secret {
    Secret::new(value)
}

#[test]
fn matches_a_server_computed_verifier() {
    assert!(matches(SECRET, &s("secret")));
    assert!(!matches(SECRET, &s("Secret")));
    assert!(!matches(SECRET, &s("")));
}

#[test]
fn matches_non_ascii_passwords_after_saslprep() {
    assert!(matches(UMLAUTS, &s("pässwörd")));
    assert!(!matches(UMLAUTS, &s("passwort")));
    assert!(matches(NBSP, &s("a\u{00A0}b")));
    assert!(matches(NBSP, &s("a b")), "SASLprep maps NBSP to space");
    assert!(matches(LIGATURE, &s("\u{FB01}x")));
    assert!(matches(LIGATURE, &s("fix")), "NFKC folds the ligature");
}

#[test]
fn falls_back_to_raw_bytes_when_saslprep_fails() {
    assert!(matches(BELL, &s("bell\u{7}")));
    assert!(!matches(BELL, &s("bell")));
}

#[test]
fn non_scram_and_malformed_never_match() {
    assert!(!matches(MD5, &s("secret")));
    assert!(!matches("secret", &s("secret")));
    assert!(!matches("", &s("")));
    assert!(!matches(
        "SCRAM-SHA-256$4096:Pv7YpHWuW6TivJYjqH1WGw==",
        &s("secret")
    ));
    assert!(!matches(&SECRET.replace("4096", "0"), &s("secret")));
    assert!(!matches(&SECRET.replace("4096", "x"), &s("secret")));
    assert!(!matches(&SECRET.replace("Pv7Y", "P!7Y"), &s("secret")));
    // A truncated key is malformed, not a mismatch to compute.
    assert!(!matches(&SECRET[..SECRET.len() - 4], &s("secret")));
}

#[test]
fn other_iteration_counts_are_honoured() {
    // A different count with the same salt gives different keys.
    assert!(!matches(&SECRET.replace("4096", "4097"), &s("secret")));
}

#[test]
fn make_verifier_round_trips_with_fresh_salts() {
    let password = s("correct horse battery staple");
    let a = make_verifier(&password);
    let b = make_verifier(&password);
    assert!(a.starts_with("SCRAM-SHA-256$4096:"));
    assert_ne!(a, b, "each verifier gets a fresh salt");
    assert!(matches(&a, &password));
    assert!(matches(&b, &password));
    assert!(!matches(&a, &s("correct horse battery stapler")));
    assert!(!a.contains("correct horse"));
    let salt = a["SCRAM-SHA-256$4096:".len()..]
        .split('$')
        .next()
        .unwrap_or_default();
    assert_eq!(B64.decode(salt).map(|v| v.len()).ok(), Some(16));
}

#[test]
fn make_verifier_round_trips_non_ascii() {
    let password = s("pässwörd\u{FB01}");
    assert!(matches(&make_verifier(&password), &password));
}

#[test]
fn matches_many_keeps_order() {
    let secret = s("secret");
    let umlauts = s("pässwörd");
    let wrong = s("wrong");
    let mut pairs: Vec<(&str, &Secret)> = Vec::new();
    let mut expected = Vec::new();
    for i in 0..24 {
        match i % 4 {
            0 => pairs.push((SECRET, &secret)),
            1 => pairs.push((UMLAUTS, &umlauts)),
            2 => pairs.push((SECRET, &wrong)),
            _ => pairs.push((MD5, &secret)),
        }
        expected.push(i % 4 < 2);
    }
    assert_eq!(matches_many(&pairs), expected);
    // Small inputs take the sequential path.
    assert_eq!(matches_many(&pairs[..3]), vec![true, true, false]);
    assert!(matches_many(&[]).is_empty());
}

#[test]
fn any_candidate_is_found_behind_scram_and_md5_verifiers() {
    let list = [s("hunter2"), s("secret"), s("letmein")];
    assert!(matches_any(SECRET, "x", &list));
    assert!(!matches_any(SECRET, "x", &list[..1]));
    assert!(matches_any(MD5, "z", &list));
    // md5 verifiers are salted with the role name.
    assert!(!matches_any(MD5, "y", &list));
    assert!(!matches_any(MD5, "z", &[s("Secret")]));
    assert!(!matches_any("plain text", "z", &list));
    assert!(!matches_any(SECRET, "x", &[]));
}
