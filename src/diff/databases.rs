//! Databases: create, alter, prune. Encoding and locale cannot change after
//! creation, so a difference is an error rather than a silent replace.

use std::collections::BTreeMap;

use super::roles::glob_matches;
use super::settings::{diff_settings, quoted};
use super::{Diff, DiffError, DiffInput};
use crate::model::{Database, Parameter};
use crate::plan::{Action, AttributeChange, Change, Need, address};
use crate::sql::databases as sql;

/// Databases pgfort never drops.
const PROTECTED: &[&str] = &["postgres", "template0", "template1"];

pub(super) fn diff_databases(input: &DiffInput<'_>, out: &mut Diff) -> Result<(), DiffError> {
    for (name, desired) in &input.desired.databases {
        let change = match input.live.databases.get(name) {
            None => Some(create(desired)),
            Some(live) => update(desired, live, &input.live.settings.parameters)?,
        };
        out.changes.extend(change.map(|mut change| {
            if let Some(owner) = &desired.owner {
                change.need(Need::names(address::role(owner)));
            }
            change
        }));
    }
    if input.manage.prune_databases {
        for (name, live) in &input.live.databases {
            if input.desired.databases.contains_key(name)
                || live.is_template
                || PROTECTED.contains(&name.as_str())
                || *name == input.facts.current_database
                || input
                    .manage
                    .ignore_databases
                    .iter()
                    .any(|p| glob_matches(p, name))
            {
                continue;
            }
            let mut change = Change::new(format!("database.{name}"), Action::Delete);
            change
                .reasons
                .push("the database is not declared and prune_databases is on".to_owned());
            change.statements.push(sql::drop_database(name));
            out.changes.push(change);
        }
    }
    Ok(())
}

fn create(desired: &Database) -> Change {
    let mut change = Change::new(format!("database.{}", desired.name), Action::Create);
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(server default)".to_owned());
    for (name, value) in [
        ("owner", shown(&desired.owner)),
        ("encoding", shown(&desired.encoding)),
        ("locale", shown(&desired.locale)),
        ("connection_limit", desired.connection_limit.to_string()),
        ("allow_connections", desired.allow_connections.to_string()),
        ("is_template", desired.is_template.to_string()),
    ] {
        change
            .attributes
            .push(AttributeChange::new(name, None, Some(value)));
    }
    change.statements.push(sql::create_database(desired));
    settings(
        &desired.name,
        &BTreeMap::new(),
        &desired.settings,
        &BTreeMap::new(),
        &mut change,
    );
    if let Some(comment) = &desired.comment {
        change
            .attributes
            .push(AttributeChange::new("comment", None, Some(quoted(comment))));
        change
            .statements
            .push(sql::database_comment(&desired.name, Some(comment)));
    }
    change
}

fn update(
    desired: &Database,
    live: &Database,
    catalog: &BTreeMap<String, Parameter>,
) -> Result<Option<Change>, DiffError> {
    let name = &desired.name;
    for (attribute, wanted, found) in [
        ("encoding", &desired.encoding, &live.encoding),
        ("locale", &desired.locale, &live.locale),
    ] {
        if let (Some(wanted), Some(found)) = (wanted, found)
            && !wanted.eq_ignore_ascii_case(found)
        {
            return Err(DiffError {
                message: format!(
                    "database \"{name}\" has {attribute} {found}, the configuration says {wanted}: \
                     PostgreSQL cannot change a database's {attribute} after it is created"
                ),
                hint: Some(format!(
                    "declare {attribute} = \"{found}\", or dump, recreate and restore the database yourself"
                )),
            });
        }
    }
    let mut change = Change::new(format!("database.{name}"), Action::Update);
    if let Some(owner) = &desired.owner
        && live.owner.as_ref() != Some(owner)
    {
        change.attributes.push(AttributeChange::new(
            "owner",
            live.owner.clone(),
            Some(owner.clone()),
        ));
        change.statements.push(sql::alter_database(
            name,
            &format!("OWNER TO {}", crate::sql::quote::ident(owner)),
        ));
    }
    let mut with = Vec::new();
    if desired.connection_limit != live.connection_limit {
        change.attributes.push(AttributeChange::new(
            "connection_limit",
            Some(live.connection_limit.to_string()),
            Some(desired.connection_limit.to_string()),
        ));
        with.push(format!("CONNECTION LIMIT {}", desired.connection_limit));
    }
    if desired.allow_connections != live.allow_connections {
        change.attributes.push(AttributeChange::new(
            "allow_connections",
            Some(live.allow_connections.to_string()),
            Some(desired.allow_connections.to_string()),
        ));
        with.push(format!("ALLOW_CONNECTIONS {}", desired.allow_connections));
    }
    if desired.is_template != live.is_template {
        change.attributes.push(AttributeChange::new(
            "is_template",
            Some(live.is_template.to_string()),
            Some(desired.is_template.to_string()),
        ));
        with.push(format!("IS_TEMPLATE {}", desired.is_template));
    }
    if !with.is_empty() {
        change.statements.push(sql::alter_database(
            name,
            &format!("WITH {}", with.join(" ")),
        ));
    }
    settings(
        name,
        &live.settings,
        &desired.settings,
        catalog,
        &mut change,
    );
    // Like the other options, an undeclared comment keeps the server's
    // (`postgres` has a stock one); `comment = ""` removes it.
    if let Some(declared) = &desired.comment {
        let wanted = (!declared.is_empty()).then_some(declared.as_str());
        if wanted != live.comment.as_deref() {
            change.attributes.push(AttributeChange::new(
                "comment",
                live.comment.as_deref().map(quoted),
                wanted.map(quoted),
            ));
            change.statements.push(sql::database_comment(name, wanted));
        }
    }
    Ok((!change.statements.is_empty()).then_some(change))
}

fn settings(
    db: &str,
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
    catalog: &BTreeMap<String, Parameter>,
    change: &mut Change,
) {
    diff_settings(
        "settings.",
        before,
        after,
        catalog,
        change,
        |name, value| sql::database_setting(db, name, value),
    );
}
