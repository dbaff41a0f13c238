//! Extensions: create, update to a declared version, move to a declared
//! schema, and drop undeclared ones with `manage { prune_extensions }`.
//! A version that is not declared is never updated.

use std::collections::{BTreeMap, BTreeSet};

use super::preload::LIBRARIES;
use super::settings::quoted;
use super::{Diff, DiffError, DiffInput};
use crate::model::{Extension, preload};
use crate::plan::{Action, AttributeChange, Change, Need, address};
use crate::sql::extensions as sql;

/// Installed in every database and needed by PL/pgSQL functions.
const PROTECTED: &[&str] = &["plpgsql"];

pub(super) fn diff_extensions(input: &DiffInput<'_>, out: &mut Diff) -> Result<(), DiffError> {
    for (database, catalog) in &input.desired.catalogs {
        let installed = input.live.catalogs.get(database).map(|c| &c.extensions);
        for (name, wanted) in &catalog.extensions {
            let change = match installed.and_then(|i| i.get(name)) {
                None => match waits_for_restart(input, wanted) {
                    Some(waiting) => {
                        out.warnings.push(waiting);
                        None
                    }
                    None => Some(create(input, wanted, installed)),
                },
                Some(live) => update(wanted, live),
            };
            out.changes.extend(change.map(|mut change| {
                change.need(Need::inside(address::database(database)));
                if let Some(schema) = &wanted.schema {
                    change.need(Need::inside(address::schema(database, schema)));
                }
                change
            }));
        }
    }
    if input.manage.prune_extensions {
        prune(input, out);
    }
    Ok(())
}

fn create(
    input: &DiffInput<'_>,
    wanted: &Extension,
    installed: Option<&BTreeMap<String, Extension>>,
) -> Change {
    let name = &wanted.name;
    let offer = input.live.extensions.available.get(name);
    let mut change = Change::new(
        format!("extension.{}.{name}", wanted.database),
        Action::Create,
    );
    let default = |what: &str| format!("({what})");
    let version = wanted.version.clone().or_else(|| {
        offer
            .and_then(|o| o.default_version.clone())
            .map(|v| format!("{v} (default)"))
    });
    change.attributes.push(AttributeChange::new(
        "schema",
        None,
        Some(wanted.schema.clone().unwrap_or_else(|| default("default"))),
    ));
    change.attributes.push(AttributeChange::new(
        "version",
        None,
        Some(version.unwrap_or_else(|| default("default"))),
    ));
    // Requirements not installed yet are created first by CASCADE, which
    // keeps the order right whatever the order of the statements.
    let missing_requirement = offer.is_some_and(|o| {
        o.requires
            .iter()
            .any(|r| !installed.is_some_and(|i| i.contains_key(r)))
    });
    if let Some(entry) = preload(name)
        && !library_running(input, entry.library)
    {
        change.reasons.push(format!(
            "its library {} is not loaded yet: it goes into shared_preload_libraries and works after a restart",
            entry.library
        ));
    }
    change
        .statements
        .push(sql::create(wanted, wanted.cascade || missing_requirement));
    change
}

/// Whether the running server has `library` in shared_preload_libraries.
fn library_running(input: &DiffInput<'_>, library: &str) -> bool {
    input
        .live
        .settings
        .parameters
        .get(LIBRARIES)
        .is_some_and(|p| {
            super::parameters::split_list(&p.setting)
                .iter()
                .any(|l| l == library)
        })
}

/// Extensions that refuse `CREATE EXTENSION` before their library is
/// preloaded are created by the first apply after the restart; this apply
/// only preloads them.
fn waits_for_restart(input: &DiffInput<'_>, wanted: &Extension) -> Option<String> {
    let entry = preload(&wanted.name).filter(|entry| entry.create_needs_load)?;
    (!input.live.settings.parameters.is_empty() && !library_running(input, entry.library)).then(|| {
        format!(
            "extension {} in {} waits for a restart: CREATE EXTENSION needs {} preloaded first; \
             apply again after restarting",
            wanted.name, wanted.database, entry.library
        )
    })
}

fn update(wanted: &Extension, live: &Extension) -> Option<Change> {
    let name = &wanted.name;
    let database = &wanted.database;
    let mut change = Change::new(format!("extension.{database}.{name}"), Action::Update);
    if let Some(version) = &wanted.version
        && live.version.as_ref() != Some(version)
    {
        change.attributes.push(AttributeChange::new(
            "version",
            live.version.clone(),
            Some(version.clone()),
        ));
        change.statements.push(sql::update(database, name, version));
    }
    if let Some(schema) = &wanted.schema
        && live.schema.as_ref() != Some(schema)
    {
        change.attributes.push(AttributeChange::new(
            "schema",
            live.schema.clone(),
            Some(schema.clone()),
        ));
        change
            .statements
            .push(sql::set_schema(database, name, schema));
    }
    (!change.statements.is_empty()).then_some(change)
}

/// Drops what is not declared in databases that are declared or have
/// declared extensions, keeping what declared extensions depend on. All of
/// a database's drops are one statement (carried by the first change) so
/// that dependencies among them do not matter.
fn prune(input: &DiffInput<'_>, out: &mut Diff) {
    let databases: BTreeSet<&String> = input
        .desired
        .databases
        .keys()
        .chain(
            input
                .desired
                .catalogs
                .iter()
                .filter(|(_, c)| !c.extensions.is_empty())
                .map(|(name, _)| name),
        )
        .collect();
    for database in databases {
        let Some(live) = input.live.catalogs.get(database) else {
            continue;
        };
        let declared = input.desired.catalogs.get(database).map(|c| &c.extensions);
        let keep = needed(declared, &live.extensions);
        let doomed: Vec<&str> = live
            .extensions
            .keys()
            .map(String::as_str)
            .filter(|name| !keep.contains(name) && !PROTECTED.contains(name))
            .collect();
        let Some(first) = doomed.first() else {
            continue;
        };
        for name in &doomed {
            let live_ext = &live.extensions[*name];
            let mut change = Change::new(format!("extension.{database}.{name}"), Action::Delete);
            change.attributes.push(AttributeChange::new(
                "version",
                live_ext.version.as_deref().map(quoted),
                None,
            ));
            change
                .reasons
                .push("the extension is not declared and prune_extensions is on".to_owned());
            // One statement drops them all: a targeted plan takes all or none.
            for other in doomed.iter().filter(|other| *other != name) {
                change.need(Need::together(format!("extension.{database}.{other}")));
            }
            if name == first {
                change.statements.push(sql::drop(database, &doomed));
            } else {
                change.reasons.push(format!(
                    "it is dropped by the statement of extension.{database}.{first}"
                ));
            }
            out.changes.push(change);
        }
    }
}

/// Declared extensions and, transitively, the installed ones they need.
fn needed<'a>(
    declared: Option<&'a BTreeMap<String, Extension>>,
    installed: &'a BTreeMap<String, Extension>,
) -> BTreeSet<&'a str> {
    let mut keep: BTreeSet<&str> = declared
        .map(|d| d.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut queue: Vec<&str> = keep.iter().copied().collect();
    while let Some(name) = queue.pop() {
        for required in installed
            .get(name)
            .map(|e| e.requires.as_slice())
            .unwrap_or_default()
        {
            if keep.insert(required) {
                queue.push(required);
            }
        }
    }
    keep
}
