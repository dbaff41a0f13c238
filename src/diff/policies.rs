//! Policies on declared tables, authoritatively: declared ones are created
//! or brought in line, undeclared ones are dropped. Expressions are
//! compared by their canonical text (the server's own parse of both
//! sides), so spelling never makes a difference.
//!
//! `ALTER POLICY` can change the roles and set USING / WITH CHECK; the
//! command, permissive/restrictive, and removing an expression need
//! `DROP POLICY` + `CREATE POLICY`, which run in the database's one
//! transaction so that the table is never without the policy.

use super::settings::quoted;
use super::{Diff, DiffInput};
use crate::model::{Expression, PUBLIC, Policy};
use crate::plan::{Action, AttributeChange, Change, Need, address};
use crate::sql::policies::{self as sql, PolicyAlteration};

pub(super) fn diff_policies(input: &DiffInput<'_>, out: &mut Diff) {
    for (database, catalog) in &input.desired.catalogs {
        let live = input.live.catalogs.get(database);
        for (key, desired) in &catalog.policies {
            let change = match live.and_then(|live| live.policies.get(key)) {
                None => Some(create(desired)),
                Some(current) => update(desired, current),
            };
            out.changes.extend(change.map(|mut change| {
                record_needs(desired, &mut change);
                change
            }));
        }
        let Some(live) = live else {
            continue;
        };
        for (key, current) in &live.policies {
            if catalog.tables.contains_key(&key.0) && !catalog.policies.contains_key(key) {
                let mut change = delete(current);
                record_needs(current, &mut change);
                out.changes.push(change);
            }
        }
    }
}

fn address(policy: &Policy) -> String {
    format!(
        "policy.{}.{}.{}",
        policy.database, policy.table, policy.name
    )
}

fn shown_as(permissive: bool) -> String {
    if permissive {
        "permissive"
    } else {
        "restrictive"
    }
    .to_owned()
}

/// The database and schema the policy's table is in, and the roles it
/// applies to (created along with it in a targeted plan).
fn record_needs(policy: &Policy, change: &mut Change) {
    let database = &policy.database;
    change.need(Need::inside(address::database(database)));
    change.need(Need::inside(address::schema(
        database,
        &policy.table.schema,
    )));
    for role in policy.roles.iter().filter(|role| *role != PUBLIC) {
        change.need(Need::names(address::role(role)));
    }
}

fn shown_roles(policy: &Policy) -> String {
    let roles: Vec<&str> = policy.roles.iter().map(String::as_str).collect();
    format!("[{}]", roles.join(", "))
}

fn shown_expression(expression: &Option<Expression>) -> Option<String> {
    expression.as_ref().map(|e| e.comparable().to_owned())
}

fn same_expression(a: &Option<Expression>, b: &Option<Expression>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.comparable() == b.comparable(),
        (None, None) => true,
        _ => false,
    }
}

fn create(policy: &Policy) -> Change {
    let mut change = Change::new(address(policy), Action::Create);
    let attributes = [
        ("command", Some(policy.command.sql_keyword().to_owned())),
        ("as", Some(shown_as(policy.permissive))),
        ("to", Some(shown_roles(policy))),
        ("using", shown_expression(&policy.using)),
        ("with_check", shown_expression(&policy.with_check)),
        ("comment", policy.comment.as_deref().map(quoted)),
    ];
    for (name, value) in attributes {
        if value.is_some() {
            change
                .attributes
                .push(AttributeChange::new(name, None, value));
        }
    }
    change.statements.push(sql::create_policy(policy));
    if policy.comment.is_some() {
        change.statements.push(sql::policy_comment(policy));
    }
    change
}

fn update(desired: &Policy, live: &Policy) -> Option<Change> {
    let mut reasons = Vec::new();
    if desired.command != live.command {
        reasons.push("a policy's command cannot be changed in place".to_owned());
    }
    if desired.permissive != live.permissive {
        reasons.push(
            "a policy cannot be changed between permissive and restrictive in place".to_owned(),
        );
    }
    for (what, wanted, found) in [
        ("USING", &desired.using, &live.using),
        ("WITH CHECK", &desired.with_check, &live.with_check),
    ] {
        if wanted.is_none() && found.is_some() {
            reasons.push(format!(
                "ALTER POLICY cannot remove a policy's {what} expression"
            ));
        }
    }
    let mut change = Change::new(address(desired), Action::Update);
    let mut attribute = |name: &str, before: Option<String>, after: Option<String>| {
        change
            .attributes
            .push(AttributeChange::new(name, before, after));
    };
    if desired.command != live.command {
        attribute(
            "command",
            Some(live.command.sql_keyword().to_owned()),
            Some(desired.command.sql_keyword().to_owned()),
        );
    }
    if desired.permissive != live.permissive {
        attribute(
            "as",
            Some(shown_as(live.permissive)),
            Some(shown_as(desired.permissive)),
        );
    }
    let roles_differ = desired.roles != live.roles;
    if roles_differ {
        attribute("to", Some(shown_roles(live)), Some(shown_roles(desired)));
    }
    let using_differs = !same_expression(&desired.using, &live.using);
    if using_differs {
        attribute(
            "using",
            shown_expression(&live.using),
            shown_expression(&desired.using),
        );
    }
    let check_differs = !same_expression(&desired.with_check, &live.with_check);
    if check_differs {
        attribute(
            "with_check",
            shown_expression(&live.with_check),
            shown_expression(&desired.with_check),
        );
    }
    let comment_differs = desired.comment != live.comment;
    if comment_differs {
        attribute(
            "comment",
            live.comment.as_deref().map(quoted),
            desired.comment.as_deref().map(quoted),
        );
    }
    if !reasons.is_empty() {
        change.action = Action::Replace;
        change.reasons = reasons;
        change.statements.push(sql::drop_policy(live));
        change.statements.push(sql::create_policy(desired));
        if desired.comment.is_some() {
            change.statements.push(sql::policy_comment(desired));
        }
        return Some(change);
    }
    if roles_differ || using_differs || check_differs {
        let alteration = PolicyAlteration {
            roles: roles_differ,
            using: desired.using.as_ref().filter(|_| using_differs),
            with_check: desired.with_check.as_ref().filter(|_| check_differs),
        };
        change
            .statements
            .push(sql::alter_policy(desired, &alteration));
    }
    if comment_differs {
        change.statements.push(sql::policy_comment(desired));
    }
    (!change.statements.is_empty()).then_some(change)
}

fn delete(policy: &Policy) -> Change {
    let mut change = Change::new(address(policy), Action::Delete);
    change.reasons.push(
        "the policy is not declared, and the policies of a declared table are managed".to_owned(),
    );
    change.statements.push(sql::drop_policy(policy));
    change
}
