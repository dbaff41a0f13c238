//! PgBouncer's `auth_query` lookup: in each database a PgBouncer with
//! `auth = "query"` pools, the `pgbouncer` schema and its SECURITY DEFINER
//! function, owned by the superuser pgfort connects as, callable by the
//! auth user only. Its privileges are pgfort's own: the grants diff leaves
//! the schema alone (see [`is_lookup_object`]).

use super::{Diff, DiffError, DiffInput};
use crate::model::{AuthLookup, ObjectKind, ObjectRef, PgBouncerAuth, ServerState};
use crate::plan::{Action, AttributeChange, Change, Need, address};
use crate::sql::pgbouncer as sql;

/// PUBLIC in the lookup's privilege lists.
const PUBLIC: &str = "-";

/// Whether `object` is the lookup schema or something in it, while some
/// PgBouncer uses `auth = "query"`: privileges there are set here, not
/// by `grant` blocks.
pub(super) fn is_lookup_object(desired: &ServerState, object: &ObjectRef) -> bool {
    let in_schema = match object.kind {
        ObjectKind::Schema => object.name == sql::SCHEMA,
        _ => object.schema.as_deref() == Some(sql::SCHEMA),
    };
    in_schema
        && desired
            .pgbouncers
            .values()
            .any(|pgbouncer| matches!(pgbouncer.auth, PgBouncerAuth::Query { .. }))
}

pub(super) fn diff_lookups(input: &DiffInput<'_>, out: &mut Diff) -> Result<(), DiffError> {
    for pgbouncer in input.desired.pgbouncers.values() {
        let PgBouncerAuth::Query { auth_user } = &pgbouncer.auth else {
            continue;
        };
        let name = &pgbouncer.name;
        if !input.facts.is_superuser {
            return Err(DiffError {
                message: format!(
                    "pgbouncer \"{name}\": auth = \"query\" needs pgfort to connect as a superuser: the lookup function reads pg_authid as its owner"
                ),
                hint: Some("run pgfort as a superuser, or use auth = \"file\"".to_owned()),
            });
        }
        let mut databases: Vec<&str> = pgbouncer
            .databases
            .values()
            .map(|database| database.dbname.as_str())
            .collect();
        databases.sort_unstable();
        databases.dedup();
        for database in databases {
            if !input.live.databases.contains_key(database)
                && !input.desired.databases.contains_key(database)
            {
                return Err(DiffError {
                    message: format!(
                        "pgbouncer \"{name}\": database \"{database}\" does not exist, so its auth_query function cannot be created"
                    ),
                    hint: Some(format!("declare database \"{database}\", or create it")),
                });
            }
            let owner = &input.facts.session_user;
            let live = input.live.pgbouncer_lookups.get(database);
            if live.is_some_and(|lookup| is_in_place(lookup, owner, auth_user)) {
                continue;
            }
            let exists = live.is_some_and(|lookup| lookup.function.is_some());
            let action = if exists {
                Action::Update
            } else {
                Action::Create
            };
            let mut change = Change::new(
                format!("{}.auth_query.{database}", super::pgbouncer::address(name)),
                action,
            );
            change.attributes.push(AttributeChange::new(
                "function",
                exists.then(|| "pgbouncer.get_auth(text) (differs)".to_owned()),
                Some("pgbouncer.get_auth(text), SECURITY DEFINER".to_owned()),
            ));
            change.attributes.push(AttributeChange::new(
                "execute",
                None,
                Some(auth_user.clone()),
            ));
            change.reasons.push(format!(
                "PgBouncer runs the lookup as \"{auth_user}\", whose auth file entry is a SCRAM verifier it cannot log in to the server with: admit \"{auth_user}\" from the PgBouncer host without a password (cert, or trust limited to that host)"
            ));
            change.statements = sql::install(database, owner, auth_user);
            change.need(Need::inside(address::database(database)));
            change.need(Need::names(address::role(auth_user)));
            out.changes.push(change);
        }
    }
    Ok(())
}

/// The schema and function exist as pgfort creates them, and the auth
/// user (not PUBLIC) may use them.
fn is_in_place(lookup: &AuthLookup, owner: &str, auth_user: &str) -> bool {
    let Some(function) = &lookup.function else {
        return false;
    };
    let may = |list: &[String]| {
        list.iter().any(|role| role == auth_user) && !list.iter().any(|role| role == PUBLIC)
    };
    lookup.schema_owner.as_deref() == Some(owner)
        && may(&lookup.usage)
        && function.owner == owner
        && function.body == sql::BODY
        && function.security_definer
        && function.config == [sql::SEARCH_PATH]
        && may(&function.execute)
}

#[cfg(test)]
#[path = "pgbouncer_lookup_tests.rs"]
mod tests;
