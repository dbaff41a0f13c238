//! Setting values as SQL: list-valued parameters take one literal per element.

use super::quote;

/// Parameters whose value is a list that PostgreSQL stores quoted element by
/// element (GUC_LIST_QUOTE).
const LIST_PARAMETERS: &[&str] = &[
    "search_path",
    "temp_tablespaces",
    "session_preload_libraries",
    "local_preload_libraries",
    "shared_preload_libraries",
];

/// Renders a canonical setting value (as PostgreSQL stores it) as the SQL
/// that stores exactly that value again.
pub fn value_sql(name: &str, value: &str) -> String {
    if LIST_PARAMETERS.contains(&name) {
        split_list(value)
            .iter()
            .map(|element| quote::literal(element))
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        quote::literal(value)
    }
}

/// Splits a list on commas outside double quotes and unquotes elements
/// (`""` inside quotes is one `"`): `"$user", public` → `$user`, `public`.
pub fn split_list(value: &str) -> Vec<String> {
    let mut elements = Vec::new();
    let mut current = String::new();
    let mut chars = value.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => elements.push(std::mem::take(&mut current).trim().to_owned()),
            _ => current.push(c),
        }
    }
    if !current.trim().is_empty() || !elements.is_empty() {
        elements.push(current.trim().to_owned());
    }
    elements
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_become_one_literal_per_element() {
        assert_eq!(
            value_sql("search_path", "\"$user\", public"),
            "'$user', 'public'"
        );
        assert_eq!(value_sql("search_path", "app"), "'app'");
        assert_eq!(value_sql("statement_timeout", "30s"), "'30s'");
        assert_eq!(value_sql("search_path", "\"a\"\"b\", c"), "'a\"b', 'c'");
    }
}
