//! `SET`/`RESET` differences of per-object settings (roles, databases).

use std::collections::BTreeMap;

use super::parameters::same;
use crate::model::Parameter;
use crate::plan::{AttributeChange, Change, Statement};

/// Adds an attribute and a statement per setting that differs. `prefix`
/// names the attributes (`settings.`); `statement(name, Some(value))` sets,
/// `statement(name, None)` resets. Values are compared the way `catalog`
/// (pg_settings) reads them, so `64MB` and `65536` are the same.
pub(super) fn diff_settings(
    prefix: &str,
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
    catalog: &BTreeMap<String, Parameter>,
    change: &mut Change,
    statement: impl Fn(&str, Option<&str>) -> Statement,
) {
    for (name, value) in after {
        let unchanged = before
            .get(name)
            .is_some_and(|old| same(catalog.get(name), old, value));
        if !unchanged {
            change.attributes.push(AttributeChange::new(
                &format!("{prefix}{name}"),
                before.get(name).map(|v| quoted(v)),
                Some(quoted(value)),
            ));
            change.statements.push(statement(name, Some(value)));
        }
    }
    for (name, value) in before {
        if !after.contains_key(name) {
            change.attributes.push(AttributeChange::new(
                &format!("{prefix}{name}"),
                Some(quoted(value)),
                None,
            ));
            change.statements.push(statement(name, None));
        }
    }
}

/// A value as the plan shows it: double-quoted, escaped.
pub(super) fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}
