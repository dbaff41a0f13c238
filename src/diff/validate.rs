//! Checks of the desired state that need the server: setting names and
//! values against `pg_settings` (server, role and database settings alike),
//! extensions against what the server can install. They run before the
//! diff, so bad input stops the plan before anything is written, and each
//! problem names the configuration value at fault by key
//! (`settings.work_mem`, `extension.app.pg_trgm`) for a located error.

use super::DiffInput;
use super::parameters::{parse, same};
use super::preload;
use crate::config::suggest::did_you_mean;
use crate::model::{Context, SettingsScope};

/// A value the server would refuse, with the key of the configuration
/// value at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InputProblem {
    pub key: String,
    pub message: String,
    pub hint: Option<String>,
}

fn problem(key: impl Into<String>, message: String, hint: Option<String>) -> InputProblem {
    InputProblem {
        key: key.into(),
        message,
        hint,
    }
}

/// Where a setting is set.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// `ALTER SYSTEM`.
    System,
    /// `ALTER ROLE/DATABASE … SET`: `role` or `database`.
    Session(&'static str),
}

/// Every check; the first problem found stops the plan.
pub fn check(input: &DiffInput<'_>) -> Result<(), InputProblem> {
    check_settings(input)?;
    check_extensions(input)
}

fn check_settings(input: &DiffInput<'_>) -> Result<(), InputProblem> {
    let desired = input.desired;
    let live = &input.live.settings;
    if live.parameters.is_empty() {
        // Not inspected: nothing to check against.
        return Ok(());
    }
    let manages_files = !desired.settings.values.is_empty()
        || desired.settings.tune.is_some()
        || !preload::required(desired).is_empty()
        || input.manage.settings == SettingsScope::Authoritative;
    if manages_files && !live.files_readable {
        let key = match desired.settings.values.keys().next() {
            Some(name) => format!("settings.{name}"),
            None if desired.settings.tune.is_some() => "tune".to_owned(),
            None => "settings".to_owned(),
        };
        return Err(problem(
            key,
            format!(
                "role \"{}\" cannot read pg_file_settings, which managing server settings needs",
                input.facts.session_user
            ),
            Some("connect as a superuser (or grant SELECT on pg_file_settings and ALTER SYSTEM on the parameters)".to_owned()),
        ));
    }
    for (name, value) in &desired.settings.values {
        check_setting(
            input,
            Scope::System,
            name,
            value,
            format!("settings.{name}"),
        )?;
    }
    check_query_id(input)?;
    for (role, declared) in &desired.roles {
        for (name, value) in &declared.settings {
            let key = format!("role.{role}.settings.{name}");
            check_setting(input, Scope::Session("role"), name, value, key)?;
        }
        for (database, settings) in &declared.database_settings {
            for (name, value) in settings {
                let key = format!("role.{role}.database_settings.{database}.{name}");
                check_setting(input, Scope::Session("role"), name, value, key)?;
            }
        }
    }
    for (database, declared) in &desired.databases {
        for (name, value) in &declared.settings {
            let key = format!("database.{database}.settings.{name}");
            check_setting(input, Scope::Session("database"), name, value, key)?;
        }
    }
    Ok(())
}

fn check_setting(
    input: &DiffInput<'_>,
    scope: Scope,
    name: &str,
    value: &str,
    key: String,
) -> Result<(), InputProblem> {
    let catalog = &input.live.settings.parameters;
    let Some(param) = catalog.get(name) else {
        return unknown(input, scope, name, key);
    };
    if param.context == Context::Internal {
        return Err(problem(
            key,
            format!(
                "{name} cannot be changed: it is fixed when PostgreSQL is built or the cluster is created"
            ),
            None,
        ));
    }
    if let Scope::Session(what) = scope
        && !param.context.per_session()
    {
        return Err(problem(
            key,
            format!(
                "{name} cannot be set per {what}: it applies to the whole server (context {})",
                param.context.as_str()
            ),
            Some(format!(
                "set it in the settings block: settings {{ {name} = ... }}"
            )),
        ));
    }
    parse(param, value)
        .map(drop)
        .map_err(|invalid| problem(key, invalid.message, invalid.hint))
}

/// A name the server does not know. Extension settings (`prefix.name`) may
/// be unknown until their library is loaded; a prefix the server already
/// knows is a typo, though.
fn unknown(
    input: &DiffInput<'_>,
    scope: Scope,
    name: &str,
    key: String,
) -> Result<(), InputProblem> {
    let catalog = &input.live.settings.parameters;
    let Some((prefix, _)) = name.split_once('.') else {
        let hint = did_you_mean(name, catalog.keys().map(String::as_str)).or_else(|| {
            Some("SELECT name FROM pg_settings lists the server's settings".to_owned())
        });
        return Err(problem(
            key,
            format!("\"{name}\" is not a PostgreSQL setting"),
            hint,
        ));
    };
    let dotted = format!("{prefix}.");
    let known: Vec<&str> = catalog
        .keys()
        .map(String::as_str)
        .filter(|known| known.starts_with(&dotted))
        .collect();
    if !known.is_empty() {
        return Err(problem(
            key,
            format!("\"{name}\" is not a setting of {prefix}"),
            did_you_mean(name, known.iter().copied()),
        ));
    }
    let version = input.facts.version_num;
    let preloaded_by_config = preload::required(input.desired)
        .values()
        .any(|(entry, _)| entry.library == prefix);
    if scope == Scope::System && version > 0 && version < 170000 && !preloaded_by_config {
        return Err(problem(
            key,
            format!(
                "PostgreSQL {} cannot write \"{name}\" with ALTER SYSTEM while the library that \
                 defines it is not loaded",
                version / 10000
            ),
            Some(format!(
                "declare the extension that provides it: its library is then preloaded, and \
                 {name} is written by the first apply after the restart; PostgreSQL 17 and \
                 later accept it at once"
            )),
        ));
    }
    Ok(())
}

/// pg_stat_statements needs query identifiers from PostgreSQL 14.
fn check_query_id(input: &DiffInput<'_>) -> Result<(), InputProblem> {
    let live = &input.live.settings;
    let (Some(param), Some(value)) = (
        live.parameters.get("compute_query_id"),
        input.desired.settings.values.get("compute_query_id"),
    ) else {
        return Ok(());
    };
    if preload::required(input.desired).contains_key("pg_stat_statements")
        && same(Some(param), value, "off")
    {
        return Err(problem(
            "settings.compute_query_id",
            "pg_stat_statements needs compute_query_id on or auto, the configuration turns it off"
                .to_owned(),
            Some("remove compute_query_id (auto is the default) or set it to \"on\"".to_owned()),
        ));
    }
    Ok(())
}

fn check_extensions(input: &DiffInput<'_>) -> Result<(), InputProblem> {
    let available = &input.live.extensions.available;
    let mut cron: Option<&str> = None;
    for (database, catalog) in &input.desired.catalogs {
        let live_catalog = input.live.catalogs.get(database);
        for (name, wanted) in &catalog.extensions {
            let key = format!("extension.{database}.{name}");
            let installed = live_catalog.and_then(|c| c.extensions.get(name));
            let offer = available.get(name);
            if offer.is_none() && installed.is_none() {
                let hint = did_you_mean(name, available.keys().map(String::as_str)).unwrap_or_else(|| {
                    format!(
                        "install the package that provides it on the server (e.g. postgresql-{}-{name}, or the contrib package), then plan again",
                        input.facts.version_num / 10000
                    )
                });
                return Err(problem(
                    key,
                    format!(
                        "extension \"{name}\" is not available on the server (pg_available_extensions)"
                    ),
                    Some(hint),
                ));
            }
            if name == "pg_cron" {
                if let Some(first) = cron {
                    return Err(problem(
                        key,
                        format!(
                            "pg_cron can only be installed in one database; it is also declared in \"{first}\""
                        ),
                        None,
                    ));
                }
                cron = Some(database);
            }
            if let Some(version) = &wanted.version {
                let known = offer.is_some_and(|o| o.versions.contains(version))
                    || installed.is_some_and(|i| i.version.as_ref() == Some(version));
                if !known {
                    let versions = offer.map(|o| o.versions.join(", ")).unwrap_or_default();
                    return Err(problem(
                        format!("{key}.version"),
                        format!("version \"{version}\" of extension \"{name}\" is not available"),
                        Some(format!("available versions: {versions}")),
                    ));
                }
            }
            if let Some(schema) = &wanted.schema {
                let schema_key = format!("{key}.schema");
                let exists = schema == "pg_catalog"
                    || catalog.schemas.contains_key(schema)
                    || live_catalog.is_some_and(|c| c.schemas.contains_key(schema))
                    || installed.and_then(|i| i.schema.as_ref()) == Some(schema);
                if !exists {
                    return Err(problem(
                        schema_key,
                        format!(
                            "schema \"{schema}\" for extension \"{name}\" does not exist in database \"{database}\""
                        ),
                        Some(format!(
                            "declare it: schema \"{schema}\" {{ database = \"{database}\" }}"
                        )),
                    ));
                }
                if let Some(installed) = installed
                    && installed.schema.as_ref() != Some(schema)
                    && !installed.relocatable
                {
                    let current = installed.schema.clone().unwrap_or_default();
                    return Err(problem(
                        schema_key,
                        format!(
                            "extension \"{name}\" is in schema \"{current}\" and cannot be moved (it is not relocatable)"
                        ),
                        Some(format!(
                            "declare schema = \"{current}\", or drop and re-create the extension yourself"
                        )),
                    ));
                }
            }
            if installed.is_none() && !wanted.cascade {
                for required in offer.map(|o| o.requires.as_slice()).unwrap_or_default() {
                    let present = live_catalog.is_some_and(|c| c.extensions.contains_key(required))
                        || catalog.extensions.contains_key(required);
                    if !present {
                        return Err(problem(
                            key,
                            format!(
                                "extension \"{name}\" requires \"{required}\", which is not installed in database \"{database}\""
                            ),
                            Some(format!(
                                "declare extension \"{required}\" too, or set cascade = true"
                            )),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
