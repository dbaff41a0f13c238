//! The pg_hba.conf token grammar, so that every token pgfort writes reads
//! back as exactly one token with exactly the meaning it had in the model.
//!
//! The server (`next_token` in hba.c) splits a line at unquoted blanks
//! (space, tab, carriage return) and commas, drops everything after an
//! unquoted `#`, and strips double quotes; a token whose first character is
//! a quote is "quoted", and a quoted keyword (`all`, `replication`, …) or a
//! quoted `+group` / `@file` loses its meaning. A line ends at a newline.
//! So: control characters (newlines above all) and double quotes are never
//! written (no version-independent escape exists for the latter); anything
//! else that is not a plain character is written inside double quotes.
//! Tokens are kept under 256 bytes, the limit of PostgreSQL 13 and 14.

/// The longest token the oldest supported servers read whole.
const MAX_TOKEN: usize = 255;

/// Words that mean something bare in the database or user column.
pub const KEYWORDS: &[&str] = &["all", "sameuser", "samerole", "samegroup", "replication"];

/// Every authentication option PostgreSQL 13 and newer accept.
pub const OPTION_NAMES: &[&str] = &[
    "clientcert",
    "clientname",
    "compat_realm",
    "include_realm",
    "krb_realm",
    "ldapbasedn",
    "ldapbinddn",
    "ldapbindpasswd",
    "ldapport",
    "ldapprefix",
    "ldapscheme",
    "ldapsearchattribute",
    "ldapsearchfilter",
    "ldapserver",
    "ldapsuffix",
    "ldaptls",
    "ldapurl",
    "map",
    "pam_use_hostname",
    "pamservice",
    "radiusidentifiers",
    "radiusports",
    "radiussecrets",
    "radiusservers",
    "upn_username",
];

/// Options whose value is a credential: accepted from sensitive variables
/// and never shown.
pub const SECRET_OPTIONS: &[&str] = &["ldapbindpasswd", "radiussecrets"];

/// Whether option `name` carries a credential.
pub fn is_secret_option(name: &str) -> bool {
    SECRET_OPTIONS.contains(&name)
}

/// Why a value cannot be written as a pg_hba.conf token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("{what} is empty")]
    Empty { what: String },
    #[error("{what} holds a control character (a newline would start a new rule)")]
    Control { what: String },
    #[error("{what} holds a double quote, which pg_hba.conf cannot represent on every version")]
    Quote { what: String },
    #[error("{what} is longer than {MAX_TOKEN} bytes, which PostgreSQL 13 and 14 cut off")]
    TooLong { what: String },
    #[error("option name \"{name}\" is not a plain word (lower-case letters, digits, _)")]
    OptionName { name: String },
    #[error("\"{name}\" is not an authentication option PostgreSQL knows")]
    UnknownOption { name: String },
    #[error("{what} \"{text}\" is not a plain word")]
    NotPlain { what: String, text: String },
}

impl TokenError {
    /// How to fix it, for configuration errors.
    pub fn hint(&self) -> String {
        match self {
            TokenError::Empty { .. } => "write a value".to_owned(),
            TokenError::Control { .. } | TokenError::Quote { .. } => {
                "remove the character; pg_hba.conf has no escape for it".to_owned()
            }
            TokenError::TooLong { .. } => "shorten the value".to_owned(),
            TokenError::OptionName { .. } | TokenError::UnknownOption { .. } => format!(
                "options are written name = \"value\", with one of: {}",
                OPTION_NAMES.join(", ")
            ),
            TokenError::NotPlain { .. } => "use letters, digits, '.', '-' and '_'".to_owned(),
        }
    }
}

/// Characters written bare: none of them is a separator, a quote or a
/// comment, in any position.
fn plain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '$' | '+' | '@' | '/' | ':')
}

/// Refuses what no token can hold (control characters, double quotes).
fn check_text(text: &str, what: &str) -> Result<(), TokenError> {
    let what = what.to_owned();
    if text.is_empty() {
        return Err(TokenError::Empty { what });
    }
    if text.chars().any(char::is_control) {
        return Err(TokenError::Control { what });
    }
    if text.contains('"') {
        return Err(TokenError::Quote { what });
    }
    Ok(())
}

fn check_length(token: String, what: &str) -> Result<String, TokenError> {
    if token.len() > MAX_TOKEN {
        return Err(TokenError::TooLong {
            what: what.to_owned(),
        });
    }
    Ok(token)
}

/// `text` quoted when it is not all plain characters.
fn quote_if_needed(text: &str) -> String {
    if text.chars().all(plain_char) {
        text.to_owned()
    } else {
        format!("\"{text}\"")
    }
}

/// One database or user entry as a token. Keywords, `+group`, `@file` and
/// `/regex` keep their meaning: the prefix stays outside the quotes (a
/// token is "quoted" only when it starts with a quote), and a regular
/// expression is recognised quoted too.
pub fn name_token(item: &str, what: &str) -> Result<String, TokenError> {
    check_text(item, what)?;
    if KEYWORDS.contains(&item) {
        return Ok(item.to_owned());
    }
    let prefixed = item
        .strip_prefix('+')
        .map(|rest| ('+', rest))
        .or_else(|| item.strip_prefix('@').map(|rest| ('@', rest)));
    let token = match prefixed {
        Some((prefix, rest)) if !rest.is_empty() => format!("{prefix}{}", quote_if_needed(rest)),
        _ => quote_if_needed(item),
    };
    check_length(token, what)
}

/// A whole database or user column: entries joined by commas.
pub fn list_token(items: &[String], what: &str) -> Result<String, TokenError> {
    if items.is_empty() {
        return Err(TokenError::Empty {
            what: what.to_owned(),
        });
    }
    let tokens = items
        .iter()
        .map(|item| name_token(item, what))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(tokens.join(","))
}

/// A column that must be one plain word (type, method, address, netmask):
/// nothing here is ever quoted, since quoting changes keywords.
pub fn word_token(text: &str, what: &str) -> Result<String, TokenError> {
    check_text(text, what)?;
    if !text.chars().all(plain_char) || text.starts_with(['+', '@']) {
        return Err(TokenError::NotPlain {
            what: what.to_owned(),
            text: text.escape_debug().to_string(),
        });
    }
    check_length(text.to_owned(), what)
}

/// Refuses an option name that is not a plain identifier the server knows.
pub fn check_option_name(name: &str) -> Result<(), TokenError> {
    let mut chars = name.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !identifier {
        return Err(TokenError::OptionName {
            name: name.escape_debug().to_string(),
        });
    }
    if !OPTION_NAMES.contains(&name) {
        return Err(TokenError::UnknownOption {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// Refuses an option value no token can hold.
pub fn check_option_value(name: &str, value: &str) -> Result<(), TokenError> {
    check_text(value, &format!("the value of option {name}"))
}

/// `name=value`, the value quoted when it holds anything but plain
/// characters (`map="m#ap"`: the server strips the quotes and reads
/// `map=m#ap`, as pg_hba_file_rules then reports it).
pub fn option_token(name: &str, value: &str) -> Result<String, TokenError> {
    check_option_name(name)?;
    check_option_value(name, value)?;
    check_length(
        format!("{name}={}", quote_if_needed(value)),
        &format!("option {name}"),
    )
}

/// For display only: the option with a secret value replaced.
pub fn shown_option(name: &str, value: &str) -> String {
    if is_secret_option(name) {
        return format!("{name}={}", super::REDACTED);
    }
    match option_token(name, value) {
        Ok(token) => token,
        Err(_) => format!("{}={:?}", name.escape_debug(), value),
    }
}

/// A file's text with every secret option value replaced, for plans and
/// saved plans. Follows the server's tokenizer: an option is a token (at
/// the start of a line, or after an unquoted blank or comma) that begins
/// with `name=`; its value runs to the next unquoted blank or `#`.
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        out.push_str(&redact_line(line));
    }
    out
}

fn redact_line(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut in_quote = false;
    let mut at_token_start = true;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if !in_quote && c == '#' {
            out.extend(&chars[i..]);
            break;
        }
        if at_token_start && !in_quote {
            let rest: String = chars[i..].iter().collect();
            if let Some(name) = SECRET_OPTIONS
                .iter()
                .find(|name| rest.starts_with(&format!("{name}=")))
            {
                out.push_str(name);
                out.push('=');
                out.push_str(super::REDACTED);
                i += name.chars().count() + 1;
                let mut quoted = false;
                while i < chars.len() {
                    let v = chars[i];
                    // Commas too: a hand-written `radiussecrets=a,b` is
                    // a list of secrets, even if the server reads it apart.
                    if !quoted && (is_blank(v) || v == '#' || v == '\n') {
                        break;
                    }
                    if v == '"' {
                        quoted = !quoted;
                    }
                    i += 1;
                }
                at_token_start = false;
                continue;
            }
        }
        if c == '"' {
            in_quote = !in_quote;
        }
        at_token_start = !in_quote && (is_blank(c) || c == ',');
        out.push(c);
        i += 1;
    }
    out
}

/// `pg_isblank`: what separates tokens besides commas.
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r')
}

#[cfg(test)]
#[path = "hba_token_tests.rs"]
mod tests;
