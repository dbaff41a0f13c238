//! A lexical check of policy expressions, for early, located errors: pgfort
//! pastes them into `USING (…)` and `WITH CHECK (…)`, and an expression
//! that closes the parenthesis or holds a `;` is a mistake worth reporting
//! before connecting. Safety does not rest on it: every statement is sent
//! alone in its own protocol message, so no text can start a second one,
//! and the server's parse of each policy is read back and checked (see
//! `inspect::canonical_sql`). The server's lexer is the only exact one.

/// Why an expression was refused, and where (byte offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExpressionError {
    pub message: String,
    pub offset: usize,
}

fn error(message: &str, offset: usize) -> ExpressionError {
    ExpressionError {
        message: message.to_owned(),
        offset,
    }
}

/// Checks that `text` is non-empty, has balanced parentheses outside
/// string literals, quoted identifiers and comments, no `;` outside them,
/// and no unterminated literal or comment.
pub(crate) fn check(text: &str) -> Result<(), ExpressionError> {
    if text.trim().is_empty() {
        return Err(error("the expression is empty", 0));
    }
    let bytes = text.as_bytes();
    let mut depth: usize = 0;
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        match bytes[i] {
            b'\'' => {
                let escapes =
                    i > 0 && matches!(bytes[i - 1], b'e' | b'E') && !ident_before(text, i - 1);
                i = end_of_quoted(text, i, b'\'', escapes)
                    .ok_or_else(|| error("unterminated string literal", i))?;
            }
            b'"' => {
                i = end_of_quoted(text, i, b'"', false)
                    .ok_or_else(|| error("unterminated quoted identifier", i))?;
            }
            b'-' if rest.starts_with("--") => {
                i = rest.find('\n').map_or(bytes.len(), |n| i + n + 1);
            }
            b'/' if rest.starts_with("/*") => {
                i = end_of_comment(text, i).ok_or_else(|| error("unterminated comment", i))?;
            }
            b'$' if !ident_before(text, i) => match dollar_tag(rest) {
                Some(tag) => {
                    let body = i + tag.len();
                    let close = text[body..]
                        .find(tag)
                        .ok_or_else(|| error("unterminated dollar-quoted string", i))?;
                    i = body + close + tag.len();
                }
                None => i += 1,
            },
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| error("unbalanced \")\"", i))?;
                i += 1;
            }
            b';' => return Err(error("\";\" is not allowed in an expression", i)),
            _ => i += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    if depth > 0 {
        return Err(error("unbalanced \"(\"", text.len()));
    }
    Ok(())
}

/// Whether the byte before `at` continues an identifier (so `$` or `E` is
/// part of a name, not the start of a token). PostgreSQL's lexer takes
/// every non-ASCII character as an identifier character (`→$a$` is one
/// name), so this does too.
fn ident_before(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || !c.is_ascii())
}

/// The index after the closing quote of the quoted text starting at
/// `start`; a doubled quote is an escaped one, and with `escapes` so is a
/// backslash-escaped one (`E'…'`).
fn end_of_quoted(text: &str, start: usize, quote: u8, escapes: bool) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if escapes => i += 2,
            b if b == quote => {
                if bytes.get(i + 1) == Some(&quote) {
                    i += 2;
                } else {
                    return Some(i + 1);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// The index after a (nested) block comment starting at `start`.
fn end_of_comment(text: &str, start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    while i < text.len() {
        let rest = &text[i..];
        if rest.starts_with("/*") {
            depth += 1;
            i += 2;
        } else if rest.starts_with("*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return Some(i);
            }
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    None
}

/// `$tag$` or `$$` at the start of `text`, if it opens a dollar quote
/// (`$1` is a parameter, not a quote).
fn dollar_tag(text: &str) -> Option<&str> {
    let after = &text[1..];
    let end = after.find('$')?;
    let tag = &after[..end];
    let valid = tag
        .chars()
        .next()
        .is_none_or(|c| c.is_alphabetic() || c == '_')
        && tag.chars().all(|c| c.is_alphanumeric() || c == '_');
    valid.then(|| &text[..end + 2])
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn ordinary_expressions_pass() {
        for text in [
            "owner_id = current_setting('app.user_id')::integer",
            "(owner_id = (current_setting('app.user_id'::text))::integer)",
            "body <> 'it''s ; fine)'",
            "\"Weird;Name)\" IS NOT NULL",
            "x = E'a\\'b;)'",
            "tenant = $t$; ) ($t$ -- comment ;\n",
            "a /* ; ( /* nested ) */ */ = 1",
            "EXISTS (SELECT 1 FROM members m WHERE m.id = owner_id)",
            "titre = 'été' AND größe > 1 AND \"naïve\" IS NULL",
        ] {
            assert_eq!(check(text), Ok(()), "{text}");
        }
    }

    #[test]
    fn escapes_from_the_parenthesis_are_refused() {
        for (text, message) in [
            ("true) WITH CHECK (false", "unbalanced \")\""),
            ("true); DROP TABLE t; --", "unbalanced \")\""),
            (
                "true; DROP TABLE t",
                "\";\" is not allowed in an expression",
            ),
            ("(true", "unbalanced \"(\""),
            ("x = 'open", "unterminated string literal"),
            ("x = \"open", "unterminated quoted identifier"),
            ("x /* open", "unterminated comment"),
            ("x = $q$ open", "unterminated dollar-quoted string"),
            ("  ", "the expression is empty"),
        ] {
            assert_eq!(
                check(text).map_err(|e| e.message),
                Err(message.to_owned()),
                "{text}"
            );
        }
    }
}
