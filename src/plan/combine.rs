//! Statements that list one item each, run as fewer statements listing
//! many: 5,000 `GRANT readers TO uNNNN` become five `GRANT readers TO …`
//! of 1,000 members. The server does the same work per item; pgfort and the
//! server save the per-statement cost (a protocol message, parse, plan).

use std::borrow::Cow;
use std::collections::HashMap;

use super::{Phase, Statement, Target};

/// At most this many items per combined statement, so a failing statement
/// stays readable in an error message and no message grows without bound.
pub const MAX_ITEMS: usize = 1000;

/// `statements` (in execution order) with those that share a listing's
/// phase, target, head and tail combined into one per `max_items` items,
/// at the place of the first. Statements of one phase and target are
/// contiguous in execution order, so moving a later one up to the first
/// never crosses a statement of another phase or target.
pub fn combine<'a>(statements: &[&'a Statement], max_items: usize) -> Vec<Cow<'a, Statement>> {
    type Key<'a> = (Phase, &'a Target, &'a str, &'a str);
    // Each slot: a statement, and the items of the statements joined to it.
    let mut slots: Vec<(&'a Statement, Vec<&'a str>)> = Vec::with_capacity(statements.len());
    let mut open: HashMap<Key<'a>, usize> = HashMap::new();
    for &statement in statements {
        let Some(listing) = &statement.listing else {
            slots.push((statement, Vec::new()));
            continue;
        };
        let key = (
            statement.phase,
            &statement.target,
            listing.head.as_str(),
            listing.tail.as_str(),
        );
        if let Some(&index) = open.get(&key)
            && let Some((_, items)) = slots.get_mut(index)
            && items.len() < max_items
        {
            items.push(&listing.item);
            continue;
        }
        open.insert(key, slots.len());
        slots.push((statement, vec![&listing.item]));
    }
    slots
        .into_iter()
        .map(
            |(statement, items)| match (&statement.listing, items.len()) {
                (Some(listing), 2..) => Cow::Owned(Statement::new(
                    statement.phase,
                    statement.target.clone(),
                    format!("{}{}{}", listing.head, items.join(", "), listing.tail),
                )),
                _ => Cow::Borrowed(statement),
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(group: &str, member: &str, tail: &str) -> Statement {
        Statement::listing(
            Phase::GrantMemberships,
            Target::Cluster,
            &format!("GRANT {group} TO "),
            member,
            tail,
        )
    }

    fn texts(statements: &[Cow<'_, Statement>]) -> Vec<String> {
        statements.iter().map(|s| s.redacted()).collect()
    }

    #[test]
    fn grants_of_one_group_with_the_same_options_become_one() {
        let create = Statement::new(Phase::CreateRoles, Target::Cluster, "CREATE ROLE a");
        let statements = [
            create,
            grant("readers", "a", ""),
            grant("writers", "b", ""),
            grant("readers", "c", ""),
            grant("readers", "d", " WITH ADMIN OPTION"),
            grant("writers", "e", ""),
        ];
        let refs: Vec<&Statement> = statements.iter().collect();
        assert_eq!(
            texts(&combine(&refs, MAX_ITEMS)),
            [
                "CREATE ROLE a",
                "GRANT readers TO a, c",
                "GRANT writers TO b, e",
                "GRANT readers TO d WITH ADMIN OPTION",
            ]
        );
    }

    #[test]
    fn lists_are_cut_at_the_maximum() {
        let statements: Vec<Statement> = (0..7).map(|i| grant("g", &format!("m{i}"), "")).collect();
        let refs: Vec<&Statement> = statements.iter().collect();
        assert_eq!(
            texts(&combine(&refs, 3)),
            [
                "GRANT g TO m0, m1, m2",
                "GRANT g TO m3, m4, m5",
                "GRANT g TO m6"
            ]
        );
    }

    #[test]
    fn other_targets_and_phases_are_never_joined() {
        let in_db = Statement::listing(
            Phase::GrantMemberships,
            Target::Database("app".into()),
            "GRANT g TO ",
            "b",
            "",
        );
        let statements = [grant("g", "a", ""), in_db];
        let refs: Vec<&Statement> = statements.iter().collect();
        assert_eq!(
            texts(&combine(&refs, MAX_ITEMS)),
            ["GRANT g TO a", "GRANT g TO b"]
        );
    }

    #[test]
    fn a_statement_extended_after_listing_is_no_longer_listed() {
        let extended = grant("g", "a", "").push(" GRANTED BY x");
        let statements = [extended, grant("g", "b", "")];
        let refs: Vec<&Statement> = statements.iter().collect();
        assert_eq!(
            texts(&combine(&refs, MAX_ITEMS)),
            ["GRANT g TO a GRANTED BY x", "GRANT g TO b"]
        );
    }
}
