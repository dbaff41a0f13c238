//! Schemas of declared (or existing) databases: create, owner, comment.

use super::settings::quoted;
use super::{Diff, DiffError, DiffInput};
use crate::plan::{Action, AttributeChange, Change, Need, address};
use crate::sql::databases as sql;

pub(super) fn diff_schemas(input: &DiffInput<'_>, out: &mut Diff) -> Result<(), DiffError> {
    for (database, catalog) in &input.desired.catalogs {
        if !input.desired.databases.contains_key(database)
            && !input.live.databases.contains_key(database)
        {
            return Err(DiffError {
                message: format!("database \"{database}\" does not exist and is not declared"),
                hint: Some(format!(
                    "declare it with a `database \"{database}\" {{}}` block"
                )),
            });
        }
        let live = input.live.catalogs.get(database);
        for (name, desired) in &catalog.schemas {
            let address = format!("schema.{database}.{name}");
            // The database it is in, and its owner.
            let mut needs = vec![Need::inside(address::database(database))];
            needs.extend(
                desired
                    .owner
                    .iter()
                    .map(|owner| Need::names(address::role(owner))),
            );
            match live.and_then(|c| c.schemas.get(name)) {
                None => {
                    let mut change = Change::new(address, Action::Create);
                    change.needs = needs;
                    change.attributes.push(AttributeChange::new(
                        "owner",
                        None,
                        desired.owner.clone(),
                    ));
                    change.statements.push(sql::create_schema(desired));
                    if let Some(comment) = &desired.comment {
                        change.attributes.push(AttributeChange::new(
                            "comment",
                            None,
                            Some(quoted(comment)),
                        ));
                        change
                            .statements
                            .push(sql::schema_comment(desired, Some(comment)));
                    }
                    out.changes.push(change);
                }
                Some(current) => {
                    let mut change = Change::new(address, Action::Update);
                    change.needs = needs;
                    if let Some(owner) = &desired.owner
                        && current.owner.as_ref() != Some(owner)
                    {
                        change.attributes.push(AttributeChange::new(
                            "owner",
                            current.owner.clone(),
                            Some(owner.clone()),
                        ));
                        change
                            .statements
                            .push(sql::alter_schema_owner(desired, owner));
                    }
                    if desired.comment != current.comment {
                        change.attributes.push(AttributeChange::new(
                            "comment",
                            current.comment.as_deref().map(quoted),
                            desired.comment.as_deref().map(quoted),
                        ));
                        change
                            .statements
                            .push(sql::schema_comment(desired, desired.comment.as_deref()));
                    }
                    if !change.statements.is_empty() {
                        out.changes.push(change);
                    }
                }
            }
        }
    }
    Ok(())
}
