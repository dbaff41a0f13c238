//! What an OpenSSL cipher string (`ssl_ciphers`) lets through, judged by
//! its semantics rather than its spelling: `ALL:!kRSA` excludes static RSA
//! yet admits anonymous suites. The string is read left to right as
//! OpenSSL does: an element adds the suites it selects (a `+`-joined
//! element selects those matching every term), `-X` removes them for now,
//! `!X` removes them for good, `+X` only reorders. A weak class is
//! admitted when some element that can select it comes in and no `!`
//! (nor a later `-`) takes it out.
//!
//! The model errs on the side of admitting: an element is taken to select
//! a class unless one of its terms rules the class out.

/// A class of suites no server should offer.
struct WeakClass {
    /// What the evidence calls it.
    name: &'static str,
    /// Keywords that remove the class when written `!X` or `-X`.
    removed_by: &'static [&'static str],
    /// Whether a selecting term can never match a suite of the class.
    ruled_out_by: fn(&str) -> bool,
}

/// Terms naming a symmetric cipher: the suites they select use it, so
/// none has another cipher, or none at all.
const CIPHERS: &[&str] = &[
    "AES",
    "AES128",
    "AES256",
    "AESGCM",
    "AESCCM",
    "AESCCM8",
    "CHACHA20",
    "CAMELLIA",
    "CAMELLIA128",
    "CAMELLIA256",
    "ARIA",
    "ARIA128",
    "ARIA256",
    "ARIAGCM",
    "SEED",
    "IDEA",
    "3DES",
    "DES",
    "RC4",
    "RC2",
];

/// A TLS 1.3 suite name or a full suite name such as
/// `ECDHE-RSA-AES128-GCM-SHA256`: judged by its parts.
fn suite_name(term: &str) -> bool {
    term.starts_with("TLS_") || term.contains('-')
}

/// Terms selecting only unencrypted suites, which have no cipher at all.
fn no_cipher(term: &str) -> bool {
    matches!(term, "ENULL" | "NULL")
}

fn is_cipher_other_than(term: &str, cipher: &str) -> bool {
    CIPHERS.contains(&term) && term != cipher
}

const CLASSES: &[WeakClass] = &[
    WeakClass {
        name: "anonymous (aNULL) suites, open to a man in the middle",
        removed_by: &["ANULL", "ADH", "AECDH"],
        ruled_out_by: |t| {
            matches!(
                t,
                "RSA"
                    | "ARSA"
                    | "KRSA"
                    | "ECDSA"
                    | "AECDSA"
                    | "DSS"
                    | "ADSS"
                    | "EECDH"
                    | "DHE"
                    | "EDH"
                    | "PSK"
                    | "APSK"
                    | "DEFAULT"
                    | "SUITEB128"
                    | "SUITEB128ONLY"
                    | "SUITEB192"
            ) || (suite_name(t) && !t.starts_with("ADH") && !t.starts_with("AECDH"))
        },
    },
    WeakClass {
        name: "unencrypted (eNULL) suites",
        removed_by: &["ENULL", "NULL"],
        ruled_out_by: |t| {
            matches!(t, "ALL" | "DEFAULT" | "HIGH" | "MEDIUM" | "LOW")
                || CIPHERS.contains(&t)
                || (suite_name(t) && !t.contains("NULL"))
        },
    },
    WeakClass {
        name: "export-grade suites",
        removed_by: &["EXPORT", "EXP"],
        ruled_out_by: |t| {
            matches!(
                t,
                "HIGH" | "MEDIUM" | "DEFAULT" | "ECDHE" | "EECDH" | "KECDHE"
            ) || no_cipher(t)
                || (CIPHERS.contains(&t) && !matches!(t, "DES" | "RC4" | "RC2"))
                || (suite_name(t) && !t.contains("EXP"))
        },
    },
    WeakClass {
        name: "single DES suites",
        removed_by: &["DES"],
        ruled_out_by: |t| {
            matches!(t, "HIGH" | "MEDIUM" | "DEFAULT")
                || no_cipher(t)
                || is_cipher_other_than(t, "DES")
                || (suite_name(t) && !t.contains("-DES-") && !t.starts_with("DES-"))
        },
    },
    WeakClass {
        name: "3DES suites (Sweet32)",
        removed_by: &["3DES", "DES"],
        ruled_out_by: |t| {
            t == "HIGH"
                || no_cipher(t)
                || is_cipher_other_than(t, "3DES")
                || (suite_name(t) && !t.contains("CBC3"))
        },
    },
    WeakClass {
        name: "RC4 suites",
        removed_by: &["RC4"],
        ruled_out_by: |t| {
            matches!(t, "HIGH" | "DEFAULT")
                || no_cipher(t)
                || is_cipher_other_than(t, "RC4")
                || (suite_name(t) && !t.contains("RC4"))
        },
    },
    WeakClass {
        name: "MD5-authenticated suites",
        removed_by: &["MD5"],
        ruled_out_by: |t| {
            matches!(t, "HIGH" | "DEFAULT" | "SHA1" | "SHA" | "SHA256" | "SHA384")
                || (CIPHERS.contains(&t) && !matches!(t, "DES" | "3DES" | "RC4" | "RC2" | "IDEA"))
                || (suite_name(t) && !t.contains("MD5"))
        },
    },
    WeakClass {
        name: "static RSA key exchange (no forward secrecy)",
        removed_by: &["KRSA", "RSA"],
        ruled_out_by: |t| {
            matches!(
                t,
                "ECDHE"
                    | "EECDH"
                    | "KECDHE"
                    | "KEECDH"
                    | "DHE"
                    | "EDH"
                    | "KDHE"
                    | "KEDH"
                    | "ADH"
                    | "AECDH"
                    | "ANULL"
            ) || t.starts_with("TLS_")
                || t.starts_with("ECDHE-")
                || t.starts_with("DHE-")
                || t.starts_with("EDH-")
        },
    },
];

/// The weak classes `ciphers` admits, by name; empty when it admits none.
pub(crate) fn weak_classes(ciphers: &str) -> Vec<&'static str> {
    let elements: Vec<String> = ciphers
        .split([':', ',', ' '])
        .map(|e| e.trim().to_ascii_uppercase())
        .filter(|e| !e.is_empty())
        .collect();
    CLASSES
        .iter()
        .filter(|class| admits(class, &elements))
        .map(|class| class.name)
        .collect()
}

fn admits(class: &WeakClass, elements: &[String]) -> bool {
    let mut admitted = false;
    let mut banned = false;
    for element in elements {
        if let Some(removed) = element.strip_prefix('!') {
            banned |= class.removed_by.contains(&removed);
        } else if let Some(removed) = element.strip_prefix('-') {
            admitted &= !class.removed_by.contains(&removed);
        } else if element.starts_with('+') || element.starts_with('@') {
            // Reordering and options (@STRENGTH, @SECLEVEL=n) select nothing.
        } else if !element.split('+').any(|term| (class.ruled_out_by)(term)) {
            admitted = true;
        }
    }
    admitted && !banned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cipher_strings_are_judged_by_what_they_admit() {
        let cases: &[(&str, &[&str])] = &[
            // pgfort's remedy, and the same with DHE and TLS 1.3 names.
            ("ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!kRSA", &[]),
            ("ECDHE+AESGCM:!aNULL:!kRSA", &[]),
            ("EECDH+AESGCM:DHE+AESGCM", &[]),
            (
                "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384",
                &[],
            ),
            // Excluding static RSA leaves the anonymous suites in, and
            // every weak cipher ALL holds.
            (
                "ALL:!kRSA",
                &["anonymous", "export", "single DES", "3DES", "RC4", "MD5"],
            ),
            // ECDHE alone includes anonymous AECDH suites.
            ("ECDHE+AESGCM:!kRSA", &["anonymous"]),
            // PostgreSQL's default: 3DES, RC4 (MEDIUM) and static RSA.
            (
                "HIGH:MEDIUM:+3DES:!aNULL",
                &["3DES", "RC4", "MD5", "static RSA"],
            ),
            ("HIGH:!aNULL:!MD5", &["static RSA"]),
            ("HIGH:!aNULL:!kRSA", &[]),
            // Everything bad at once.
            (
                "ALL:COMPLEMENTOFALL",
                &[
                    "anonymous",
                    "unencrypted",
                    "export",
                    "single DES",
                    "3DES",
                    "RC4",
                    "MD5",
                    "static RSA",
                ],
            ),
            // Removed for now, then added back: admitted.
            ("HIGH:-aNULL:ADH+AESGCM:!kRSA", &["anonymous"]),
            // Removed for good: a later element cannot bring it back.
            ("HIGH:!aNULL:ADH+AESGCM:!kRSA", &[]),
            (
                "aNULL",
                &[
                    "anonymous",
                    "unencrypted",
                    "export",
                    "single DES",
                    "3DES",
                    "RC4",
                    "MD5",
                ],
            ),
            ("eNULL:!aNULL", &["unencrypted", "MD5", "static RSA"]),
            ("DEFAULT:!kRSA", &["3DES"]),
            ("RC4-SHA", &["RC4", "static RSA"]),
            ("@SECLEVEL=2:ECDHE+AESGCM:!aNULL", &[]),
        ];
        for (ciphers, expected) in cases {
            let found = weak_classes(ciphers);
            let mut names: Vec<&str> = Vec::new();
            for class in &found {
                let short = expected
                    .iter()
                    .find(|e| class.to_ascii_lowercase().contains(&e.to_ascii_lowercase()));
                match short {
                    Some(short) => names.push(short),
                    None => panic!("{ciphers}: unexpected {class} (found {found:?})"),
                }
            }
            assert_eq!(names.len(), expected.len(), "{ciphers}: {found:?}");
        }
    }
}
