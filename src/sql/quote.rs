//! The one place identifiers and literals are quoted for SQL text.

/// Quotes an identifier the way PostgreSQL's `quote_ident` does: bare when it
/// is a lower-case identifier that is not a keyword (unreserved keywords
/// aside), double-quoted otherwise. The role specifications PostgreSQL reads
/// specially (`current_user`, `session_user`, `current_role`, `system_user`,
/// `none`) are all such keywords, so a role with one of those names is
/// always written quoted and never mistaken for the specification.
pub fn ident(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !super::keywords::is_keyword(name);
    if bare {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// Quotes a string literal. Uses `E''` only when a backslash is present, so
/// the result is correct whatever `standard_conforming_strings` is.
pub fn literal(value: &str) -> String {
    let escaped = value.replace('\'', "''");
    if value.contains('\\') {
        format!("E'{}'", escaped.replace('\\', "\\\\"))
    } else {
        format!("'{escaped}'")
    }
}

#[cfg(test)]
mod tests {
    use super::super::keywords::KEYWORDS;
    use super::*;

    #[test]
    fn identifiers() {
        assert_eq!(ident("app_user"), "app_user");
        assert_eq!(ident("App"), "\"App\"");
        assert_eq!(ident("user"), "\"user\"");
        assert_eq!(ident("public"), "public");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(ident("1abc"), "\"1abc\"");
        assert_eq!(ident(""), "\"\"");
    }

    #[test]
    fn keyword_list_is_sorted_and_lower_case() {
        assert!(KEYWORDS.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(
            KEYWORDS
                .iter()
                .all(|word| { word.chars().all(|c| c.is_ascii_lowercase() || c == '_') })
        );
    }

    /// Every non-unreserved keyword of PostgreSQL 13 to 18 is quoted: a
    /// bare one is a syntax error where a name is expected.
    #[test]
    fn every_keyword_is_quoted() {
        assert_eq!(KEYWORDS.len(), 164);
        for word in KEYWORDS {
            assert_eq!(ident(word), format!("\"{word}\""));
        }
    }

    #[test]
    fn type_func_name_and_col_name_keywords_are_quoted() {
        let words = [
            "authorization",
            "binary",
            "collation",
            "concurrently",
            "cross",
            "current_schema",
            "freeze",
            "full",
            "ilike",
            "inner",
            "is",
            "isnull",
            "join",
            "left",
            "like",
            "natural",
            "notnull",
            "outer",
            "overlaps",
            "right",
            "similar",
            "tablesample",
            "verbose",
            // column-name keywords, the JSON ones of 16 and 17 among them
            "between",
            "int",
            "json",
            "json_table",
            "merge_action",
            "values",
        ];
        for word in words {
            assert_eq!(ident(word), format!("\"{word}\""), "{word}");
        }
    }

    #[test]
    fn role_specifications_stay_quoted() {
        for word in [
            "current_user",
            "session_user",
            "current_role",
            "system_user",
            "none",
            "user",
        ] {
            assert_eq!(ident(word), format!("\"{word}\""), "{word}");
        }
    }

    #[test]
    fn unreserved_keywords_stay_bare() {
        for word in ["database", "role", "owner", "password", "comment", "admin"] {
            assert_eq!(ident(word), word);
        }
    }

    #[test]
    fn literals() {
        assert_eq!(literal("30s"), "'30s'");
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal("a\\b"), "E'a\\\\b'");
    }
}
