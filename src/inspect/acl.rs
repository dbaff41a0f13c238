//! Access control lists read as the server prints them (`aclitem[]` as
//! text) and parsed here, once per distinct list.
//!
//! Thousands of tables usually share a handful of distinct lists, so the
//! catalog queries return one row per object with its list, instead of one
//! row per object and privilege joined to the managed roles on the server
//! (which, at 10,000 tables, cost more server time than every other read
//! together). The grammar is PostgreSQL's `aclitemout` inside `array_out`:
//!
//! ```text
//! list    = "{" [ element *( "," element ) ] "}"
//! element = item | '"' item-with-\-escapes '"'
//! item    = [ role ] "=" *( letter [ "*" ] ) "/" role      (no role: PUBLIC)
//! role    = name | '"' name-with-""-doubled '"'
//! ```
//!
//! Anything else is an error: a list pgfort cannot read must never pass as
//! "no privileges".

use std::collections::{HashMap, HashSet};

use crate::model::PUBLIC;

/// A list the server returned that does not follow the grammar above.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read the access control list {text:?}: {reason}")]
pub struct AclError {
    pub text: String,
    pub reason: &'static str,
}

/// One privilege a managed grantee holds, from one list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AclEntry {
    /// A role name or [`PUBLIC`].
    pub grantee: String,
    /// Upper case, e.g. `SELECT`.
    pub privilege: &'static str,
    pub grantable: bool,
}

/// Parses lists and keeps only the privileges of managed grantees (and
/// PUBLIC's when it counts), remembering each distinct list it has read.
pub(super) struct AclReader<'a> {
    managed: HashSet<&'a str>,
    include_public: bool,
    parsed: HashMap<String, Vec<AclEntry>>,
}

impl<'a> AclReader<'a> {
    pub fn new(managed_roles: &'a [String], include_public: bool) -> Self {
        AclReader {
            managed: managed_roles.iter().map(String::as_str).collect(),
            include_public,
            parsed: HashMap::new(),
        }
    }

    /// The managed privileges in `text` other than `owner`'s own (the
    /// owner's are implicit and never managed).
    pub fn entries<'s>(
        &'s mut self,
        text: &str,
        owner: &'s str,
    ) -> Result<impl Iterator<Item = &'s AclEntry> + 's, AclError> {
        if !self.parsed.contains_key(text) {
            let entries = parse_list(text)?
                .into_iter()
                .filter(|entry| self.counts(&entry.grantee))
                .collect();
            self.parsed.insert(text.to_owned(), entries);
        }
        let entries = self.parsed.get(text).map(Vec::as_slice).unwrap_or(&[]);
        Ok(entries.iter().filter(move |entry| entry.grantee != owner))
    }

    fn counts(&self, grantee: &str) -> bool {
        match grantee {
            PUBLIC => self.include_public,
            role => self.managed.contains(role),
        }
    }
}

/// Every privilege in a list, in the order the server printed them.
fn parse_list(text: &str) -> Result<Vec<AclEntry>, AclError> {
    let fail = |reason| AclError {
        text: text.to_owned(),
        reason,
    };
    let inner = text
        .strip_prefix('{')
        .and_then(|rest| rest.strip_suffix('}'))
        .ok_or_else(|| fail("expected a list in braces"))?;
    let mut entries = Vec::new();
    let mut rest = inner;
    while !rest.is_empty() {
        let (element, after) = split_element(rest).map_err(fail)?;
        parse_item(&element, &mut entries).map_err(fail)?;
        rest = match after.strip_prefix(',') {
            Some(next) if !next.is_empty() => next,
            Some(_) => return Err(fail("a list may not end with a comma")),
            None if after.is_empty() => after,
            None => return Err(fail("expected a comma between items")),
        };
    }
    Ok(entries)
}

/// The first element of an array's inner text, unquoted, and what follows
/// it.
fn split_element(text: &str) -> Result<(String, &str), &'static str> {
    let Some(quoted) = text.strip_prefix('"') else {
        let end = text.find(',').unwrap_or(text.len());
        return Ok((text[..end].to_owned(), &text[end..]));
    };
    let mut element = String::new();
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((element, &quoted[i + 1..])),
            '\\' => match chars.next() {
                Some((_, escaped)) => element.push(escaped),
                None => break,
            },
            c => element.push(c),
        }
    }
    Err("an item's quotes are not closed")
}

/// Adds the privileges of one `grantee=privileges/grantor` item.
fn parse_item(item: &str, entries: &mut Vec<AclEntry>) -> Result<(), &'static str> {
    let (grantee, rest) = parse_role(item)?;
    let rest = rest
        .strip_prefix('=')
        .ok_or("expected '=' after the grantee")?;
    let (letters, grantor) = rest.split_once('/').ok_or("expected '/' and a grantor")?;
    let (_, after_grantor) = parse_role(grantor)?;
    if grantor.is_empty() || !after_grantor.is_empty() {
        return Err("expected one grantor after '/'");
    }
    let grantee = match grantee.as_str() {
        "" => PUBLIC.to_owned(),
        _ => grantee,
    };
    let mut letters = letters.chars().peekable();
    while let Some(letter) = letters.next() {
        let privilege = privilege_of(letter).ok_or("unknown privilege letter")?;
        let grantable = letters.next_if_eq(&'*').is_some();
        entries.push(AclEntry {
            grantee: grantee.clone(),
            privilege,
            grantable,
        });
    }
    Ok(())
}

/// A role name, unquoted (`""` inside quotes is one quote), and what
/// follows it. Unquoted names end at `=` or `/`.
fn parse_role(text: &str) -> Result<(String, &str), &'static str> {
    let Some(quoted) = text.strip_prefix('"') else {
        let end = text.find(['=', '/']).unwrap_or(text.len());
        if text[..end].contains('"') {
            return Err("a quote inside an unquoted role name");
        }
        return Ok((text[..end].to_owned(), &text[end..]));
    };
    let mut name = String::new();
    let mut rest = quoted;
    loop {
        let end = rest
            .find('"')
            .ok_or("a role name's quotes are not closed")?;
        name.push_str(&rest[..end]);
        rest = &rest[end + 1..];
        match rest.strip_prefix('"') {
            Some(after) => {
                name.push('"');
                rest = after;
            }
            None => return Ok((name, rest)),
        }
    }
}

/// The privilege a letter of `aclitemout` stands for.
fn privilege_of(letter: char) -> Option<&'static str> {
    Some(match letter {
        'a' => "INSERT",
        'r' => "SELECT",
        'w' => "UPDATE",
        'd' => "DELETE",
        'D' => "TRUNCATE",
        'x' => "REFERENCES",
        't' => "TRIGGER",
        'X' => "EXECUTE",
        'U' => "USAGE",
        'C' => "CREATE",
        'T' => "TEMPORARY",
        'c' => "CONNECT",
        's' => "SET",
        'A' => "ALTER SYSTEM",
        'm' => "MAINTAIN",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(grantee: &str, privilege: &'static str, grantable: bool) -> AclEntry {
        AclEntry {
            grantee: grantee.to_owned(),
            privilege,
            grantable,
        }
    }

    #[test]
    fn reads_plain_items_grant_options_and_public() {
        let parsed = parse_list("{owner=arwdDxt/owner,readers=r*/owner,=X/owner}").unwrap();
        assert_eq!(parsed.len(), 9);
        assert_eq!(parsed[0], entry("owner", "INSERT", false));
        assert_eq!(parsed[7], entry("readers", "SELECT", true));
        assert_eq!(parsed[8], entry(PUBLIC, "EXECUTE", false));
    }

    #[test]
    fn reads_quoted_names_at_both_levels() {
        // The role `we"ird, name` as array_out prints it: aclitemout
        // doubles the quote, array_out escapes quotes and backslashes.
        let text = r#"{"\"we\"\"ird, name\"=r/\"o=w/ner\"",plain=U*C/"o=w/ner"}"#;
        let parsed = parse_list(text).unwrap();
        assert_eq!(
            parsed,
            vec![
                entry("we\"ird, name", "SELECT", false),
                entry("plain", "USAGE", true),
                entry("plain", "CREATE", false),
            ]
        );
    }

    #[test]
    fn reads_an_empty_list() {
        assert_eq!(parse_list("{}").unwrap(), vec![]);
    }

    #[test]
    fn rejects_what_is_not_an_acl() {
        for text in [
            "",
            "readers=r/owner",
            "{readers=r/owner",
            "{readers=r/owner,}",
            "{readers}",
            "{readers=r}",
            "{readers=q/owner}",
            "{\"readers=r/owner}",
            "{\"\\\"readers=r/owner\"}",
            "{readers=r/owner/extra}",
            "{readers=r/}",
            "{readers=r/owner\"x\"}",
        ] {
            assert!(parse_list(text).is_err(), "{text:?} was accepted");
        }
    }

    #[test]
    fn keeps_managed_grantees_and_public_only_when_it_counts() {
        let managed = vec!["readers".to_owned(), "owner".to_owned()];
        let text = "{owner=arwd/owner,readers=r/owner,other=r/owner,=r/owner}";
        let mut with_public = AclReader::new(&managed, true);
        let kept: Vec<_> = with_public
            .entries(text, "owner")
            .unwrap()
            .map(|e| e.grantee.clone())
            .collect();
        assert_eq!(kept, ["readers", PUBLIC]);
        let mut without_public = AclReader::new(&managed, false);
        let kept: Vec<_> = without_public
            .entries(text, "someone else")
            .unwrap()
            .map(|e| (e.grantee.clone(), e.privilege))
            .collect();
        assert_eq!(
            kept,
            [
                ("owner".to_owned(), "INSERT"),
                ("owner".to_owned(), "SELECT"),
                ("owner".to_owned(), "UPDATE"),
                ("owner".to_owned(), "DELETE"),
                ("readers".to_owned(), "SELECT"),
            ]
        );
    }
}
