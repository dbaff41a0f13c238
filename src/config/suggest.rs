//! "Did you mean" suggestions for misspelt names.

/// The closest candidate to `name`, if it is close enough to be a likely
/// typo: at most a third of the name's length in edits (at least one), and
/// never a complete rewrite of a short name.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|&(distance, _)| distance <= limit && distance < name.chars().count())
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// A `did you mean "x"?` hint, when a candidate is close enough.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(name, candidates).map(|candidate| format!("did you mean \"{candidate}\"?"))
}

/// Edit distance over characters where swapping two neighbours counts as
/// one edit (the commonest typo), as do insertions, deletions and changes.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: two rows back (for swaps), the previous one, the current one.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut current = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let change = previous[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut best = change.min(previous[j] + 1).min(current[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
        before = std::mem::replace(&mut previous, current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("login", "login"), 0);
        assert_eq!(edit_distance("logn", "login"), 1);
        assert_eq!(edit_distance("lgoin", "login"), 1);
        assert_eq!(edit_distance("nmae", "name"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn suggests_only_close_names() {
        let names = ["login", "superuser", "createdb"];
        assert_eq!(closest("logn", names), Some("login"));
        assert_eq!(closest("createbd", names), Some("createdb"));
        assert_eq!(closest("color", names), None);
        assert_eq!(closest("b", ["a"]), None);
    }
}
