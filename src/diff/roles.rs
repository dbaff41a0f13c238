//! Roles: create, alter, prune; attributes, passwords, settings, comments.

use std::collections::BTreeMap;

use super::settings::{diff_settings, quoted};
use super::{Diff, DiffError, DiffInput, memberships};
use crate::model::{Parameter, Password, REDACTED, Role, RoleAttributes};
use crate::plan::{Action, AttributeChange, Change, Need, address};
use crate::sql::roles as sql;

pub(super) fn diff_roles(input: &DiffInput<'_>, out: &mut Diff) -> Result<(), DiffError> {
    let verdicts = password_verdicts(input);
    let mut live_roles = input.live.roles.iter().peekable();
    for (name, desired) in &input.desired.roles {
        check_reserved(input, desired)?;
        let change = match live_role(&mut live_roles, name) {
            None => create(input, desired),
            Some(live) => update(
                input,
                desired,
                live,
                verdicts.get(name.as_str()).copied(),
                out,
            ),
        };
        if let Some(mut change) = change {
            record_needs(desired, &mut change);
            out.changes.push(change);
        }
    }
    prune(input, out)?;
    Ok(())
}

/// The live role named `name`, from `live` walked in name order along
/// with the desired roles: both maps are sorted the same way, so a step or
/// two replaces a search per role.
fn live_role<'a>(
    live: &mut std::iter::Peekable<impl Iterator<Item = (&'a String, &'a Role)>>,
    name: &str,
) -> Option<&'a Role> {
    while live
        .next_if(|(live_name, _)| live_name.as_str() < name)
        .is_some()
    {}
    live.next_if(|(live_name, _)| live_name.as_str() == name)
        .map(|(_, role)| role)
}

/// The groups the role joins and the databases its per-database settings
/// are set in: a targeted plan creates them along with the role.
fn record_needs(desired: &Role, change: &mut Change) {
    for group in desired.member_of.keys() {
        change.need(Need::names(address::role(group)));
    }
    for database in desired.database_settings.keys() {
        change.need(Need::names(address::database(database)));
    }
}

/// Refuses desired states that would lock pgfort or the server out.
fn check_reserved(input: &DiffInput<'_>, desired: &Role) -> Result<(), DiffError> {
    let facts = input.facts;
    if desired.name == facts.bootstrap_superuser && !desired.attributes.superuser {
        return Err(DiffError {
            message: format!(
                "role \"{}\" is the bootstrap superuser and must keep SUPERUSER",
                desired.name
            ),
            hint: Some(format!(
                "add `superuser = true` to role \"{}\"",
                desired.name
            )),
        });
    }
    if desired.name == facts.session_user && !desired.attributes.login {
        return Err(DiffError {
            message: format!(
                "role \"{}\" is the role pgfort connects as and must keep LOGIN",
                desired.name
            ),
            hint: Some(format!("add `login = true` to role \"{}\"", desired.name)),
        });
    }
    Ok(())
}

/// Compares desired clear-text passwords with stored verifiers, in parallel
/// (PBKDF2 is deliberately slow). Keyed by role name.
fn password_verdicts<'a>(input: &DiffInput<'a>) -> BTreeMap<&'a str, bool> {
    let mut live_roles = input.live.roles.iter().peekable();
    let pairs: Vec<(&str, &str, &crate::model::Secret)> = input
        .desired
        .roles
        .iter()
        .filter_map(|(name, desired)| {
            match (
                &desired.password,
                live_role(&mut live_roles, name).map(|l| &l.password),
            ) {
                (Password::Clear(clear), Some(Password::Stored(stored))) => {
                    Some((name.as_str(), stored.expose(), clear))
                }
                _ => None,
            }
        })
        .collect();
    let checks: Vec<(&str, &crate::model::Secret)> = pairs
        .iter()
        .map(|(_, stored, clear)| (*stored, *clear))
        .collect();
    let results = crate::password::matches_many(&checks);
    pairs.iter().map(|(name, ..)| *name).zip(results).collect()
}

fn create(input: &DiffInput<'_>, desired: &Role) -> Option<Change> {
    let mut change = Change::new(format!("role.{}", desired.name), Action::Create);
    let defaults = RoleAttributes::default();
    attribute_changes(&defaults, &desired.attributes, &mut change, true);
    change.statements.push(sql::create_role(
        &desired.name,
        &desired.attributes,
        &desired.password,
    ));
    if let Password::Clear(_) = desired.password {
        change.sensitive = true;
        change.attributes.push(sensitive_attribute(
            "password",
            None,
            Some(REDACTED.to_owned()),
        ));
    }
    settings_changes(
        &desired.name,
        None,
        &BTreeMap::new(),
        &desired.settings,
        &BTreeMap::new(),
        &mut change,
    );
    for (db, settings) in &desired.database_settings {
        settings_changes(
            &desired.name,
            Some(db),
            &BTreeMap::new(),
            settings,
            &BTreeMap::new(),
            &mut change,
        );
    }
    if let Some(comment) = &desired.comment {
        change
            .attributes
            .push(AttributeChange::new("comment", None, Some(quoted(comment))));
        change
            .statements
            .push(sql::comment(&desired.name, Some(comment)));
    }
    memberships::diff_member_of(input, desired, None, &mut change);
    Some(change)
}

fn update(
    input: &DiffInput<'_>,
    desired: &Role,
    live: &Role,
    password_matches: Option<bool>,
    out: &mut Diff,
) -> Option<Change> {
    // Addressed once kept: most roles have nothing to change.
    let mut change = Change::new(String::new(), Action::Update);
    let desired_attrs = normalised(&desired.attributes);
    let live_attrs = normalised(&live.attributes);
    let changed = attribute_changes(&live_attrs, &desired_attrs, &mut change, false);
    if !changed.is_empty() {
        let clause = sql::attribute_clause(&desired_attrs, |attr| changed.contains(&attr));
        change
            .statements
            .push(sql::alter_attributes(&desired.name, &clause));
    }
    password_change(input, desired, live, password_matches, &mut change, out);
    let catalog = &input.live.settings.parameters;
    settings_changes(
        &desired.name,
        None,
        &live.settings,
        &desired.settings,
        catalog,
        &mut change,
    );
    let empty = BTreeMap::new();
    let databases: std::collections::BTreeSet<&String> = desired
        .database_settings
        .keys()
        .chain(live.database_settings.keys())
        .collect();
    for db in databases {
        let before = live.database_settings.get(db).unwrap_or(&empty);
        let after = desired.database_settings.get(db).unwrap_or(&empty);
        settings_changes(&desired.name, Some(db), before, after, catalog, &mut change);
    }
    if desired.comment != live.comment {
        change.attributes.push(AttributeChange::new(
            "comment",
            live.comment.as_deref().map(quoted),
            desired.comment.as_deref().map(quoted),
        ));
        change
            .statements
            .push(sql::comment(&desired.name, desired.comment.as_deref()));
    }
    memberships::diff_member_of(input, desired, Some(live), &mut change);
    if change.statements.is_empty() {
        return None;
    }
    change.address = format!("role.{}", desired.name);
    Some(change)
}

/// `valid_until = "infinity"` and no expiry are the same thing to the server.
fn normalised(attrs: &RoleAttributes) -> RoleAttributes {
    let mut attrs = attrs.clone();
    if attrs.valid_until.as_deref() == Some("infinity") {
        attrs.valid_until = None;
    }
    attrs
}

/// Appends one displayed attribute per difference; returns the names.
fn attribute_changes(
    before: &RoleAttributes,
    after: &RoleAttributes,
    change: &mut Change,
    creating: bool,
) -> Vec<&'static str> {
    // The usual case, nothing changed: no text to build for the display.
    if !creating && before == after {
        return Vec::new();
    }
    let pairs: [(&'static str, String, String); 9] = [
        ("login", before.login.to_string(), after.login.to_string()),
        (
            "superuser",
            before.superuser.to_string(),
            after.superuser.to_string(),
        ),
        (
            "createdb",
            before.createdb.to_string(),
            after.createdb.to_string(),
        ),
        (
            "createrole",
            before.createrole.to_string(),
            after.createrole.to_string(),
        ),
        (
            "inherit",
            before.inherit.to_string(),
            after.inherit.to_string(),
        ),
        (
            "replication",
            before.replication.to_string(),
            after.replication.to_string(),
        ),
        (
            "bypassrls",
            before.bypassrls.to_string(),
            after.bypassrls.to_string(),
        ),
        (
            "connection_limit",
            before.connection_limit.to_string(),
            after.connection_limit.to_string(),
        ),
        (
            "valid_until",
            before
                .valid_until
                .clone()
                .unwrap_or_else(|| "infinity".into()),
            after
                .valid_until
                .clone()
                .unwrap_or_else(|| "infinity".into()),
        ),
    ];
    let mut changed = Vec::new();
    for (name, old, new) in pairs {
        if creating {
            change
                .attributes
                .push(AttributeChange::new(name, None, Some(new)));
        } else if old != new {
            change
                .attributes
                .push(AttributeChange::new(name, Some(old), Some(new)));
            changed.push(name);
        }
    }
    changed
}

fn password_change(
    input: &DiffInput<'_>,
    desired: &Role,
    live: &Role,
    matches: Option<bool>,
    change: &mut Change,
    out: &mut Diff,
) {
    let set = |change: &mut Change, before: Option<&str>, after: Option<&str>, reason: &str| {
        change.sensitive = true;
        change.attributes.push(sensitive_attribute(
            "password",
            before.map(str::to_owned),
            after.map(str::to_owned),
        ));
        change.reasons.push(reason.to_owned());
        change
            .statements
            .push(sql::set_password(&desired.name, &desired.password));
    };
    match (&desired.password, &live.password) {
        (Password::Clear(_), Password::Stored(stored)) if matches != Some(true) => {
            let reason = if stored.expose().starts_with("SCRAM-SHA-256$") {
                "the password differs from the configuration: it will be reset"
            } else {
                "the stored password is not a SCRAM-SHA-256 verifier: it will be reset as one"
            };
            set(change, Some(REDACTED), Some(REDACTED), reason);
        }
        (Password::Clear(_), Password::None) => {
            set(change, None, Some(REDACTED), "the role has no password yet");
        }
        (Password::Clear(_), Password::Unreadable) => {
            if input.options.rotate_passwords {
                set(
                    change,
                    Some("(unknown)"),
                    Some(REDACTED),
                    "--rotate-passwords",
                );
            } else {
                out.warnings.push(format!(
                    "role \"{}\": the stored password cannot be read to compare (pg_authid is not readable); \
                     it is set only on create or with --rotate-passwords",
                    desired.name
                ));
            }
        }
        (Password::None, Password::Stored(_)) => {
            set(
                change,
                Some(REDACTED),
                None,
                "the configuration declares no password",
            );
        }
        _ => {}
    }
}

fn sensitive_attribute(
    name: &str,
    before: Option<String>,
    after: Option<String>,
) -> AttributeChange {
    AttributeChange {
        name: name.to_owned(),
        before,
        after,
        sensitive: true,
    }
}

fn settings_changes(
    role: &str,
    database: Option<&str>,
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
    catalog: &BTreeMap<String, Parameter>,
    change: &mut Change,
) {
    let prefix = match database {
        Some(db) => format!("database_settings.{db}."),
        None => "settings.".to_owned(),
    };
    diff_settings(&prefix, before, after, catalog, change, |name, value| {
        sql::role_setting(role, database, name, value)
    });
}

/// Roles that exist but are not declared: dropped when pruning, otherwise
/// listed as unmanaged. Reserved roles are never touched.
fn prune(input: &DiffInput<'_>, out: &mut Diff) -> Result<(), DiffError> {
    let facts = input.facts;
    let manage = input.manage;
    let undeclared = input.live.roles.keys().filter(|name| {
        !input.desired.roles.contains_key(*name)
            && !name.starts_with("pg_")
            && **name != facts.bootstrap_superuser
            && **name != facts.session_user
            && !manage
                .ignore_roles
                .iter()
                .any(|pattern| glob_matches(pattern, name))
    });
    for name in undeclared {
        if !manage.prune_roles {
            out.unmanaged_roles.push(name.clone());
            let powers = super::unmanaged::powers(&input.live.roles, name);
            if !powers.is_empty() {
                out.warnings.push(format!(
                    "role \"{name}\" is not in the configuration but holds {}: declare it if it belongs, or drop it",
                    powers.join(", ")
                ));
                out.unmanaged_powers.insert(name.clone(), powers);
            }
            continue;
        }
        let heir = manage
            .reassign_owned_to
            .as_deref()
            .ok_or_else(|| DiffError {
                message: "prune_roles needs reassign_owned_to".to_owned(),
                hint: Some("set `reassign_owned_to` in the manage block".to_owned()),
            })?;
        let databases = facts
            .role_dependencies
            .get(name)
            .cloned()
            .unwrap_or_default();
        let mut change = Change::new(format!("role.{name}"), Action::Delete);
        change
            .reasons
            .push("the role is not declared and prune_roles is on".to_owned());
        if !databases.is_empty() {
            change.reasons.push(format!(
                "objects it owns in {} go to \"{heir}\"",
                databases.join(", ")
            ));
        }
        change.statements = sql::drop_role(name, heir, &databases);
        change.need(Need::names(address::role(heir)));
        out.changes.push(change);
    }
    Ok(())
}

/// Shell-style glob with `*` and `?`.
pub(crate) fn glob_matches(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}
