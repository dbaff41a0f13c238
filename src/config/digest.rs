//! A digest of everything a configuration was computed from: the text of
//! its files and the resolved value of every variable. A saved plan records
//! it so that people can tell which configuration a plan came from, without
//! the plan holding any secret.

use std::num::NonZeroU32;

use ring::{digest, pbkdf2};

use super::source::SourceFile;
use super::variables::Resolved;

/// PBKDF2 iterations for sensitive values: as many as a SCRAM verifier
/// uses, so the digest is no cheaper a guessing oracle than the verifiers a
/// saved plan already holds.
const SENSITIVE_ITERATIONS: NonZeroU32 = match NonZeroU32::new(4096) {
    Some(n) => n,
    None => panic!("4096 is not zero"),
};

/// Separates this use of SHA-256 from any other.
const DOMAIN: &[u8] = b"pgfort configuration digest 1\0";

/// SHA-256, in hex, over the files (by file name, in the order read) and
/// the variables (by name). Sensitive values enter only through a slow,
/// name-salted PBKDF2, never as themselves.
pub(crate) fn digest(files: &[SourceFile], variables: &[Resolved]) -> String {
    let mut context = digest::Context::new(&digest::SHA256);
    context.update(DOMAIN);
    for file in files {
        let name = file
            .path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        field(&mut context, b"file", name.as_bytes());
        field(&mut context, b"text", file.text.as_bytes());
    }
    let mut variables: Vec<&Resolved> = variables.iter().collect();
    variables.sort_by(|a, b| a.name.cmp(&b.name));
    for variable in variables {
        // hcl values always serialize; the fallback keeps the digest total.
        let value = serde_json::to_vec(&variable.value).unwrap_or_default();
        field(&mut context, b"variable", variable.name.as_bytes());
        if variable.sensitive {
            let mut stretched = [0u8; 32];
            pbkdf2::derive(
                pbkdf2::PBKDF2_HMAC_SHA256,
                SENSITIVE_ITERATIONS,
                variable.name.as_bytes(),
                &value,
                &mut stretched,
            );
            field(&mut context, b"sensitive", &stretched);
        } else {
            field(&mut context, b"value", &value);
        }
    }
    hex(context.finish().as_ref())
}

/// A tag and a length-prefixed value, so no two inputs hash the same bytes.
fn field(context: &mut digest::Context, tag: &[u8], value: &[u8]) {
    context.update(tag);
    context.update(&(value.len() as u64).to_be_bytes());
    context.update(value);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use hcl::Value;

    use super::*;

    fn file(name: &str, text: &str) -> SourceFile {
        SourceFile::new(PathBuf::from("/some/dir").join(name), text.to_owned())
    }

    fn var(name: &str, value: &str, sensitive: bool) -> Resolved {
        Resolved {
            name: name.to_owned(),
            value: Value::from(value),
            sensitive,
            unknown: false,
        }
    }

    #[test]
    fn follows_files_and_variables_but_not_the_directory() {
        let files = [file("main.hcl", "role \"a\" {}\n")];
        let base = digest(&files, &[var("pw", "one", true), var("db", "app", false)]);
        assert_eq!(base.len(), 64);
        let moved = [SourceFile::new(
            PathBuf::from("/elsewhere/main.hcl"),
            "role \"a\" {}\n".to_owned(),
        )];
        assert_eq!(
            base,
            digest(&moved, &[var("db", "app", false), var("pw", "one", true)]),
            "neither the directory nor the order of variables matters"
        );
        assert_ne!(
            base,
            digest(&files, &[var("pw", "two", true), var("db", "app", false)])
        );
        assert_ne!(
            base,
            digest(&files, &[var("pw", "one", true), var("db", "other", false)])
        );
        let edited = [file("main.hcl", "role \"b\" {}\n")];
        assert_ne!(
            base,
            digest(&edited, &[var("pw", "one", true), var("db", "app", false)])
        );
    }
}
