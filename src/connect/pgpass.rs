//! The libpq password file (`~/.pgpass` or PGPASSFILE): lines of
//! `host:port:database:user:password`, `*` matching anything, `\:` and
//! `\\` escapes, `#` comments. Like libpq, a file readable by group or
//! others is ignored with a warning.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::model::Secret;

use super::ConnectionSettings;

/// The password for a single-host `settings`, if the file has a line
/// matching it and may be trusted.
pub(super) fn lookup(path: &Path, settings: &ConnectionSettings) -> Option<Secret> {
    let text = read_trusted(path)?;
    // libpq matches socket connections against the name "localhost".
    let host = if ConnectionSettings::is_socket(&settings.host) || settings.host.is_empty() {
        "localhost"
    } else {
        settings.host.as_str()
    };
    let port = settings.port.to_string();
    let wanted = [
        host,
        port.as_str(),
        settings.dbname.as_str(),
        settings.user.as_str(),
    ];
    text.lines()
        .find_map(|line| match_line(line.trim_end_matches('\r'), &wanted))
}

/// The file's text, or `None` when it is absent, unreadable, not a plain
/// file, or open to group or others.
fn read_trusted(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        tracing::warn!(path = %path.display(), "password file is not a plain file; ignoring it");
        return None;
    }
    if meta.permissions().mode() & 0o077 != 0 {
        tracing::warn!(
            path = %path.display(),
            "password file has group or world access; permissions should be u=rw (0600) \
             or less; ignoring it"
        );
        return None;
    }
    match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "could not read password file");
            None
        }
    }
}

/// The password of `line` when its first four fields match `wanted`.
fn match_line(line: &str, wanted: &[&str; 4]) -> Option<Secret> {
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let mut rest = line;
    for value in wanted {
        rest = match_field(rest, value)?;
    }
    // The password runs to the next unescaped ':' or the end of the line.
    let mut password = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            ':' => break,
            '\\' => match chars.next() {
                Some(escaped) => password.push(escaped),
                None => password.push('\\'),
            },
            c => password.push(c),
        }
    }
    Some(Secret::new(password))
}

/// Matches one field (up to its unescaped ':') against `value` and returns
/// what follows the ':'.
fn match_field<'a>(field: &'a str, value: &str) -> Option<&'a str> {
    if let Some(rest) = field.strip_prefix("*:") {
        return Some(rest);
    }
    let mut expected = value.chars();
    let mut chars = field.char_indices();
    while let Some((i, c)) = chars.next() {
        let literal = match c {
            ':' => {
                return expected.next().is_none().then(|| &field[i + 1..]);
            }
            '\\' => chars.next()?.1,
            c => c,
        };
        if expected.next() != Some(literal) {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::SslMode;
    use std::io::Write as _;

    fn settings(host: &str, port: u16, dbname: &str, user: &str) -> ConnectionSettings {
        ConnectionSettings {
            host: host.into(),
            port,
            user: user.into(),
            password: None,
            dbname: dbname.into(),
            sslmode: SslMode::Prefer,
            sslrootcert: None,
            hostaddr: None,
            sslcert: None,
            sslkey: None,
            connect_timeout: None,
        }
    }

    fn file(contents: &str, mode: u32) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(contents.as_bytes()).unwrap();
        std::fs::set_permissions(f.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        f
    }

    fn found(f: &tempfile::NamedTempFile, s: &ConnectionSettings) -> Option<String> {
        lookup(f.path(), s).map(|p| p.expose().to_string())
    }

    const FILE: &str = "\
# comment:*:*:*:nope
db.example.com:5432:app:alice:alice-pw
db.example.com:*:*:bob:bob\\:pw\\\\x
localhost:5433:*:*:socket-pw
h\\:x:*:*:*:colon-host
*:*:*:carol:carol-pw:trailing
*:*:*:*:fallback
";

    #[test]
    fn first_matching_line_wins_with_wildcards_and_escapes() {
        let f = file(FILE, 0o600);
        let s = |h, p, d, u| settings(h, p, d, u);
        assert_eq!(
            found(&f, &s("db.example.com", 5432, "app", "alice")).as_deref(),
            Some("alice-pw")
        );
        assert_eq!(
            found(&f, &s("db.example.com", 5432, "other", "alice")).as_deref(),
            Some("fallback")
        );
        assert_eq!(
            found(&f, &s("db.example.com", 6000, "x", "bob")).as_deref(),
            Some("bob:pw\\x")
        );
        assert_eq!(
            found(&f, &s("h:x", 1, "d", "u")).as_deref(),
            Some("colon-host")
        );
        assert_eq!(
            found(&f, &s("other", 1, "d", "carol")).as_deref(),
            Some("carol-pw")
        );
        // A prefix of a field is not a match.
        assert_eq!(
            found(&f, &s("db.example.co", 5432, "app", "alice")).as_deref(),
            Some("fallback")
        );
    }

    #[test]
    fn sockets_match_localhost() {
        let f = file(FILE, 0o600);
        let socket = settings("/var/run/postgresql", 5433, "any", "dave");
        assert_eq!(found(&f, &socket).as_deref(), Some("socket-pw"));
        let tcp = settings("127.0.0.1", 5433, "any", "dave");
        assert_eq!(found(&f, &tcp).as_deref(), Some("fallback"));
    }

    #[test]
    fn group_or_world_access_makes_the_file_ignored() {
        let s = settings("h", 5432, "d", "u");
        assert_eq!(found(&file(FILE, 0o600), &s).as_deref(), Some("fallback"));
        assert_eq!(found(&file(FILE, 0o400), &s).as_deref(), Some("fallback"));
        assert_eq!(found(&file(FILE, 0o640), &s), None);
        assert_eq!(found(&file(FILE, 0o604), &s), None);
    }

    #[test]
    fn missing_file_or_no_match_gives_none() {
        let s = settings("h", 5432, "d", "u");
        assert!(lookup(Path::new("/nonexistent/pgpass"), &s).is_none());
        assert_eq!(found(&file("a:1:b:c:pw\n\n#x\n", 0o600), &s), None);
        let dir = tempfile::tempdir().unwrap();
        assert!(lookup(dir.path(), &s).is_none());
    }

    #[test]
    fn crlf_lines_and_empty_passwords() {
        let f = file("h:5432:d:u:pw\r\n", 0o600);
        assert_eq!(
            found(&f, &settings("h", 5432, "d", "u")).as_deref(),
            Some("pw")
        );
        let f = file("h:5432:d:u\n", 0o600);
        assert_eq!(
            found(&f, &settings("h", 5432, "d", "u")),
            None,
            "too few fields"
        );
    }
}
