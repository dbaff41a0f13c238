//! Function signatures as PostgreSQL prints identity arguments
//! (`oidvectortypes`): `name(integer, character varying)`. A declared
//! `f(int, varchar(20))` then names the same function as the live one.
//!
//! Arguments are types only: no argument names, and no defaults. Modes
//! are accepted: `IN`, `INOUT` and `VARIADIC` are dropped, `OUT` arguments
//! are not part of the identity and are dropped whole.

/// Spellings PostgreSQL prints differently.
const ALIASES: &[(&str, &str)] = &[
    ("int", "integer"),
    ("int4", "integer"),
    ("int8", "bigint"),
    ("int2", "smallint"),
    ("varchar", "character varying"),
    ("char", "character"),
    ("bpchar", "character"),
    ("bool", "boolean"),
    ("float", "double precision"),
    ("float8", "double precision"),
    ("float4", "real"),
    ("timestamptz", "timestamp with time zone"),
    ("timestamp", "timestamp without time zone"),
    ("timetz", "time with time zone"),
    ("time", "time without time zone"),
    ("decimal", "numeric"),
    ("varbit", "bit varying"),
];

/// Why a signature was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SignatureError {
    /// No parentheses: the function's identity is unknown.
    NoArguments,
    Invalid(String),
}

/// The canonical spelling of `text`, e.g. `f(int[], TEXT)` →
/// `f(integer[], text)`. The name is kept as written.
pub(crate) fn normalize(text: &str) -> Result<String, SignatureError> {
    let text = text.trim();
    let Some(open) = text.find('(') else {
        return Err(SignatureError::NoArguments);
    };
    let name = text[..open].trim_end();
    if name.is_empty() {
        return Err(invalid("the function name is missing"));
    }
    let Some(inner) = text[open + 1..].strip_suffix(')') else {
        return Err(invalid("expected \")\" at the end"));
    };
    let mut args = Vec::new();
    if !inner.trim().is_empty() {
        for arg in split_arguments(inner)? {
            if let Some(arg) = normalize_argument(&arg)? {
                args.push(arg);
            }
        }
    }
    Ok(format!("{name}({})", args.join(", ")))
}

fn invalid(message: &str) -> SignatureError {
    SignatureError::Invalid(message.to_string())
}

/// Splits on commas outside parentheses (`numeric(10, 2)`) and quotes.
fn split_arguments(inner: &str) -> Result<Vec<String>, SignatureError> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    let mut quoted = false;
    for c in inner.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| invalid("unbalanced parentheses"))?;
            }
            ',' if !quoted && depth == 0 => {
                args.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if quoted {
        return Err(invalid("unbalanced double quotes"));
    }
    if depth > 0 {
        return Err(invalid("unbalanced parentheses"));
    }
    args.push(current);
    Ok(args)
}

/// One argument's type, or `None` for an `OUT` argument.
fn normalize_argument(arg: &str) -> Result<Option<String>, SignatureError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut array = false;
    let mut depth = 0usize;
    let mut in_brackets = false;
    let mut quoted = false;
    for c in arg.chars() {
        if quoted {
            word.push(c);
            quoted = c != '"';
            continue;
        }
        match c {
            '"' => {
                word.push(c);
                quoted = true;
            }
            // Type modifiers (`varchar(20)`) are not part of the identity.
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            '[' => {
                array = true;
                in_brackets = true;
            }
            ']' => in_brackets = false,
            _ if depth > 0 || in_brackets => {}
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c.to_ascii_lowercase()),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    match words.first().map(String::as_str) {
        Some("out") => return Ok(None),
        Some("in" | "inout" | "variadic") if words.len() > 1 => {
            words.remove(0);
        }
        _ => {}
    }
    if words.len() > 1 && words.last().is_some_and(|w| w == "array") {
        words.pop();
        array = true;
    }
    if words.is_empty() {
        return Err(invalid("an argument type is empty"));
    }
    let mut type_name = words.join(" ");
    if let Some(unqualified) = type_name.strip_prefix("pg_catalog.") {
        type_name = unqualified.to_string();
    }
    if let Some((_, canonical)) = ALIASES.iter().find(|(alias, _)| *alias == type_name) {
        type_name = (*canonical).to_string();
    }
    if array {
        type_name.push_str("[]");
    }
    Ok(Some(type_name))
}

#[cfg(test)]
mod tests {
    use super::{SignatureError, normalize};

    #[test]
    fn as_postgresql_prints_them() {
        let table = [
            ("f()", "f()"),
            ("f( )", "f()"),
            ("  f ()  ", "f()"),
            ("f(int)", "f(integer)"),
            ("f(int4, int8, int2)", "f(integer, bigint, smallint)"),
            ("f(INTEGER,TEXT)", "f(integer, text)"),
            ("f(varchar)", "f(character varying)"),
            ("f(varchar(20))", "f(character varying)"),
            ("f(character   varying(20))", "f(character varying)"),
            ("f(char)", "f(character)"),
            ("f(bpchar)", "f(character)"),
            ("f(bool)", "f(boolean)"),
            ("f(float8, float4)", "f(double precision, real)"),
            ("f(float)", "f(double precision)"),
            ("f(timestamptz)", "f(timestamp with time zone)"),
            ("f(timestamp)", "f(timestamp without time zone)"),
            (
                "f(timestamp(3) with time zone)",
                "f(timestamp with time zone)",
            ),
            (
                "f(timetz, time)",
                "f(time with time zone, time without time zone)",
            ),
            ("f(decimal)", "f(numeric)"),
            ("f(numeric(10, 2), text)", "f(numeric, text)"),
            ("f(varbit)", "f(bit varying)"),
            ("f(int[])", "f(integer[])"),
            ("f(int [])", "f(integer[])"),
            ("f(int[3][3])", "f(integer[])"),
            ("f(text array)", "f(text[])"),
            ("f(pg_catalog.int4)", "f(integer)"),
            ("f(public.my_type)", "f(public.my_type)"),
            ("f(\"MyType\")", "f(\"MyType\")"),
            ("f(\"My, Type\"[])", "f(\"My, Type\"[])"),
            ("f(jsonb, uuid)", "f(jsonb, uuid)"),
            ("f(IN int, INOUT text)", "f(integer, text)"),
            ("f(int, OUT text)", "f(integer)"),
            ("f(VARIADIC int[])", "f(integer[])"),
            ("MyFunc(int)", "MyFunc(integer)"),
            ("f(double precision)", "f(double precision)"),
        ];
        for (input, expected) in table {
            assert_eq!(normalize(input).as_deref(), Ok(expected), "{input}");
        }
    }

    #[test]
    fn refused() {
        let invalid = |message: &str| Err(SignatureError::Invalid(message.to_string()));
        assert_eq!(normalize("f"), Err(SignatureError::NoArguments));
        assert_eq!(normalize("(int)"), invalid("the function name is missing"));
        assert_eq!(normalize("f(int"), invalid("expected \")\" at the end"));
        assert_eq!(normalize("f(int) x"), invalid("expected \")\" at the end"));
        assert_eq!(normalize("f(int))"), invalid("unbalanced parentheses"));
        assert_eq!(normalize("f(int,)"), invalid("an argument type is empty"));
        assert_eq!(normalize("f(\"x)"), invalid("unbalanced double quotes"));
    }
}
