//! Small text helpers shared by the diff, the plan guards and the
//! renderers: lists of names capped in one line (a plan that leaves 5,000
//! roles alone says so in one readable line, not 5,000 names), and counts
//! with thousands separators.

/// Names shown before "… and N more".
pub const NAMES_SHOWN: usize = 10;

/// `items` joined with ", ", the first `shown` of them followed by
/// "… and N more" when there are more.
pub fn capped<I, S>(items: I, shown: usize) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = String::new();
    let mut more = 0usize;
    for (i, item) in items.into_iter().enumerate() {
        if i >= shown {
            more += 1;
            continue;
        }
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(item.as_ref());
    }
    if more > 0 {
        out.push_str(&format!(" … and {} more", thousands(more)));
    }
    out
}

/// `12345` → `12,345`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lists_are_whole() {
        assert_eq!(capped(["a", "b"], 3), "a, b");
        assert_eq!(capped(["a", "b", "c"], 3), "a, b, c");
        assert_eq!(capped(Vec::<String>::new(), 3), "");
    }

    #[test]
    fn long_lists_say_how_many_more() {
        assert_eq!(capped(["a", "b", "c", "d"], 2), "a, b … and 2 more");
        let many: Vec<String> = (0..5002).map(|i| format!("u{i}")).collect();
        assert_eq!(capped(&many, 2), "u0, u1 … and 5,000 more");
    }
}
