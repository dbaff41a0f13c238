//! Writing a server file over SQL, byte for byte. `COPY … TO` in text
//! format escapes backslashes and tabs, so each line goes out as one CSV
//! value with a delimiter and quote character no pg_hba line contains;
//! empty lines are NULL (printed as nothing). Overwriting an existing file
//! keeps its mode; a new file gets the server's default mode.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::quote::literal;

/// Whether `text` survives [`copy_to_file`] unchanged: it ends with a
/// newline (or is empty) and holds no character CSV would quote.
pub fn writable(text: &str) -> bool {
    (text.is_empty() || text.ends_with('\n'))
        && !text.contains(['\r', '\u{1}', '\u{2}'])
        && !text.lines().any(|line| line == "\\.")
}

/// `COPY` that writes `text` to `path` on the server. Check [`writable`]
/// first; the caller confirms the bytes with `pg_read_file` afterwards.
pub fn copy_to_file(path: &str, text: &str) -> String {
    copy_lines(text, &literal(path))
}

/// [`copy_to_file`] for a file only the server's user may read (a private
/// key): `COPY … TO` creates files with mode 0644, so the bytes go through
/// a shell with umask 077 instead (`TO PROGRAM`, superuser only), and an
/// existing file is made 0600 too.
pub fn copy_to_private_file(path: &str, text: &str) -> String {
    let quoted = shell_quote(path);
    let command = format!("umask 077 && cat > {quoted} && chmod 600 {quoted}");
    copy_lines(text, &format!("PROGRAM {}", literal(&command)))
}

fn copy_lines(text: &str, destination: &str) -> String {
    let lines = text.lines().count();
    format!(
        "COPY (SELECT NULLIF(line, '') FROM unnest(string_to_array(convert_from(decode({}, 'base64'), 'UTF8'), E'\\n')) WITH ORDINALITY AS t(line, n) WHERE n <= {lines} ORDER BY n) TO {destination} WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')",
        literal(&B64.encode(text.as_bytes())),
    )
}

/// A POSIX shell word: single-quoted, embedded quotes closed and escaped.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Reads a server file's text (superuser or pg_read_server_files).
pub fn read_file(path: &str) -> String {
    format!("SELECT pg_catalog.pg_read_file({})", literal(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_text_is_written_over_sql() {
        assert!(writable("host all all all reject\n\n# x\n"));
        assert!(writable(""));
        assert!(!writable("no final newline"));
        assert!(!writable("crlf\r\n"));
        let sql = copy_to_file("/d/pg_hba.conf", "a\n");
        assert!(
            sql.contains("'YQo='") && sql.contains("n <= 1") && sql.contains("'/d/pg_hba.conf'")
        );
        let private = copy_to_private_file("/d/server.key", "k\n");
        assert!(
            private.contains(
                "TO PROGRAM 'umask 077 && cat > ''/d/server.key'' && chmod 600 ''/d/server.key'''"
            ),
            "{private}"
        );
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
