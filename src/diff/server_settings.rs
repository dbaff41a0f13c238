//! Server settings (`ALTER SYSTEM`): declared values, values computed by
//! `tune` and settings extensions need, against what the configuration
//! files say; and restart-only settings whose running value is not the
//! configured one yet.
//!
//! A declared value is compared with the value the server uses after a
//! reload (postgresql.auto.conf, else postgresql.conf, else the built-in
//! default), unit-aware, so `4GB` and `524288` are the same and a value
//! postgresql.conf already gives is no change. A value the files give but
//! the server does not run yet is a pending reload ([`loaded`]).

use std::collections::BTreeMap;

use super::parameters::{same, show, write_form};
use super::preload::{self, LIBRARIES};
use super::settings::quoted;
use super::{Diff, DiffError, DiffInput};
use crate::model::{
    Context, Parameter, PatroniPatch, PendingRestart, ServerSettings, SettingsScope,
};
use crate::plan::{Action, AttributeChange, Change};
use crate::sql::system as sql;
use loaded::Loaded;

/// A value to write and why, beyond being declared.
struct Wanted {
    value: String,
    reasons: Vec<String>,
}

pub(super) fn diff_server_settings(input: &DiffInput<'_>, out: &mut Diff) -> Result<(), DiffError> {
    let live = &input.live.settings;
    let wanted = wanted(input, &mut out.warnings);
    let mut changes = Vec::new();
    let mut reloads = Vec::new();
    let mut patch = BTreeMap::new();
    for (name, wanted) in &wanted {
        let param = live.parameters.get(name);
        if let Some(waiting) = waits_for_library(input, name, param) {
            out.warnings.push(waiting);
            continue;
        }
        let current = live.configured_value(name);
        let fallback = param.and_then(|p| p.boot_val.as_deref());
        if current
            .or(fallback)
            .is_some_and(|value| same(param, value, &wanted.value))
        {
            match loaded::check(name, &wanted.value, &wanted.reasons, param, live) {
                Loaded::Yes => {}
                Loaded::ReloadPending(mut change) => {
                    change.touches_access = touches_access(name);
                    reloads.push(*change);
                }
                Loaded::Refused(warning) => out.warnings.push(warning),
            }
            continue;
        }
        let written = match &live.patroni {
            Some(patroni) => patroni.parameters.contains_key(name),
            None => live.values.contains_key(name),
        };
        let action = if written {
            Action::Update
        } else {
            Action::Create
        };
        let before = match (current, param, fallback) {
            (Some(value), _, _) => Some(quoted(value)),
            (None, Some(param), Some(boot)) => Some(quoted(&show(param, boot))),
            _ => None,
        };
        let mut change = Change::new(format!("setting.{name}"), action);
        change.attributes.push(AttributeChange::new(
            "value",
            before,
            Some(quoted(&wanted.value)),
        ));
        change.reasons.extend(wanted.reasons.iter().cloned());
        change
            .reasons
            .extend(loaded::unloaded_note(param, current, live));
        change.needs_restart = restart_only(param);
        change.touches_access = touches_access(name);
        match &live.patroni {
            // Patroni writes the value into every member's
            // postgresql.conf; an ALTER SYSTEM entry would still win.
            Some(_) => {
                patch.insert(name.clone(), Some(wanted.value.clone()));
                if live.values.contains_key(name) {
                    change.reasons.push(
                        "postgresql.auto.conf (ALTER SYSTEM) on this node sets it, which would \
                         override Patroni's value: it is reset"
                            .to_owned(),
                    );
                    change.statements.push(sql::reset(name));
                }
            }
            None => change.statements.push(sql::set(name, &wanted.value)),
        }
        changes.push(change);
    }
    if input.manage.settings == SettingsScope::Authoritative {
        for (name, value) in &live.values {
            if !wanted.contains_key(name) {
                changes.push(reset(name, value, live));
            }
        }
    }
    if changes.iter().any(|change| !change.statements.is_empty()) {
        check_alter_system_allowed(live)?;
    }
    // The reload goes last, after the ALTER SYSTEM statements and with
    // the values waiting for one; Patroni reloads what it writes itself.
    let first_reload = changes.len();
    changes.extend(reloads);
    let last = (0..changes.len())
        .rev()
        .find(|&i| i >= first_reload || !changes[i].statements.is_empty());
    if let Some(last) = last {
        changes[last].statements.push(sql::reload());
    }
    if let Some(patroni) = &live.patroni
        && !patch.is_empty()
    {
        out.patroni
            .get_or_insert_with(|| PatroniPatch {
                url: patroni.url.clone(),
                ..Default::default()
            })
            .parameters = patch;
    }
    out.changes.extend(changes);
    out.pending_restart = pending_restarts(live);
    Ok(())
}

/// Before PostgreSQL 17, ALTER SYSTEM refuses `prefix.name` until the
/// library defining it is loaded. Validation lets it through only when a
/// declared extension preloads that library, so it is written by the first
/// apply after the restart that loads it.
fn waits_for_library(
    input: &DiffInput<'_>,
    name: &str,
    param: Option<&Parameter>,
) -> Option<String> {
    let version = input.facts.version_num;
    let (prefix, _) = name.split_once('.')?;
    let known_server = !input.live.settings.parameters.is_empty() && version > 0;
    (param.is_none() && known_server && version < 170000).then(|| {
        format!(
            "setting {name} waits for a restart: PostgreSQL {} accepts it once {prefix} is \
             preloaded; apply again after restarting",
            version / 10000
        )
    })
}

/// Declared settings, then tuned ones not declared, then what extensions
/// need.
fn wanted(input: &DiffInput<'_>, warnings: &mut Vec<String>) -> BTreeMap<String, Wanted> {
    let desired = &input.desired.settings;
    let live = &input.live.settings;
    let mut wanted: BTreeMap<String, Wanted> = desired
        .values
        .iter()
        .map(|(name, value)| {
            let value = write_form(live.parameters.get(name), value);
            (
                name.clone(),
                Wanted {
                    value,
                    reasons: Vec::new(),
                },
            )
        })
        .collect();
    if let Some(profile) = &desired.tune {
        let because = format!("tune computed it for {}", profile.describe());
        for tuned in crate::tune::recommend(profile, Some(input.facts.version_num)) {
            if wanted.contains_key(tuned.name) {
                continue;
            }
            let param = live.parameters.get(tuned.name);
            if !live.parameters.is_empty() {
                let problem = match param {
                    None => Some("this server has no such setting".to_owned()),
                    Some(param) => super::parameters::parse(param, &tuned.value)
                        .err()
                        .map(|invalid| invalid.message),
                };
                if let Some(problem) = problem {
                    warnings.push(format!(
                        "tune: {} = \"{}\" is left out: {problem}",
                        tuned.name, tuned.value
                    ));
                    continue;
                }
            }
            wanted.insert(
                tuned.name.to_owned(),
                Wanted {
                    value: write_form(param, &tuned.value),
                    reasons: vec![because.clone()],
                },
            );
        }
    }
    add_preload(input, &mut wanted);
    add_ssl(input, &mut wanted);
    wanted
}

/// What a declared server certificate needs: SSL on, pgfort's files, and
/// the minimum protocol.
fn add_ssl(input: &DiffInput<'_>, wanted: &mut BTreeMap<String, Wanted>) {
    use crate::model::{SERVER_CA_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE};
    let Some(server) = &input.desired.tls.server else {
        return;
    };
    let live = &input.live.settings;
    for (name, value) in [
        ("ssl", "on"),
        ("ssl_cert_file", SERVER_CERT_FILE),
        ("ssl_key_file", SERVER_KEY_FILE),
        ("ssl_ca_file", SERVER_CA_FILE),
        (
            "ssl_min_protocol_version",
            server.min_protocol_version.as_str(),
        ),
    ] {
        wanted.insert(
            name.to_owned(),
            Wanted {
                value: write_form(live.parameters.get(name), value),
                reasons: vec!["server_certificate needs it".to_owned()],
            },
        );
    }
}

/// What declared extensions need (see [`preload`]).
fn add_preload(input: &DiffInput<'_>, wanted: &mut BTreeMap<String, Wanted>) {
    let live = &input.live.settings;
    let required = preload::required(input.desired);
    let entries: Vec<_> = required.values().map(|(entry, _)| *entry).collect();
    let declared = input
        .desired
        .settings
        .values
        .get(LIBRARIES)
        .map(String::as_str);
    if let Some(list) = preload::libraries(declared, live, &entries) {
        let mut reasons: Vec<String> = required
            .values()
            .flat_map(|(entry, who)| {
                who.iter()
                    .map(move |w| format!("{w} needs {}", entry.library))
            })
            .collect();
        for library in preload::unloaded(live, &list) {
            reasons.push(format!(
                "\"{library}\" is loaded now and will not be after a restart"
            ));
        }
        let value = list
            .iter()
            .map(|library| crate::sql::quote::ident(library))
            .collect::<Vec<_>>()
            .join(", ");
        wanted.insert(LIBRARIES.to_owned(), Wanted { value, reasons });
    }
    if required.contains_key("pg_stat_statements")
        && !wanted.contains_key("compute_query_id")
        && let Some(value) = preload::query_id(live)
    {
        wanted.insert(
            "compute_query_id".to_owned(),
            Wanted {
                value: value.to_owned(),
                reasons: vec!["pg_stat_statements needs query identifiers".to_owned()],
            },
        );
    }
    if let Some(database) = preload::cron_database(input.desired)
        && !wanted.contains_key("cron.database_name")
    {
        wanted.insert(
            "cron.database_name".to_owned(),
            Wanted {
                value: database.to_owned(),
                reasons: vec![format!("pg_cron is declared in database {database}")],
            },
        );
    }
}

fn restart_only(param: Option<&Parameter>) -> bool {
    param.is_some_and(|p| p.context == Context::Postmaster)
}

/// `manage { settings = "authoritative" }`: an undeclared entry of
/// postgresql.auto.conf. Resetting a setting loses nothing another apply
/// cannot restore, so it is not destructive.
fn reset(name: &str, value: &str, live: &ServerSettings) -> Change {
    let param = live.parameters.get(name);
    let fallback = live
        .configured
        .get(name)
        .map(|c| c.value.clone())
        .or_else(|| param.and_then(|p| Some(show(p, p.boot_val.as_deref()?))));
    let mut change = Change::new(format!("setting.{name}"), Action::Delete);
    change.destructive = false;
    change.attributes.push(AttributeChange::new(
        "value",
        Some(quoted(value)),
        fallback.as_deref().map(quoted),
    ));
    change
        .reasons
        .push("it is not declared and manage.settings is \"authoritative\"".to_owned());
    change.needs_restart = restart_only(param);
    change.touches_access = touches_access(name);
    change.statements.push(sql::reset(name));
    change
}

/// PostgreSQL 17's `allow_alter_system = off` refuses every ALTER SYSTEM.
fn check_alter_system_allowed(live: &ServerSettings) -> Result<(), DiffError> {
    match live.parameters.get("allow_alter_system") {
        Some(param) if param.setting == "off" => Err(DiffError {
            message: "the server refuses ALTER SYSTEM (allow_alter_system = off)".to_owned(),
            hint: Some(
                "set allow_alter_system = on in postgresql.conf, or manage these settings with \
                 the tool that writes postgresql.conf"
                    .to_owned(),
            ),
        }),
        _ => Ok(()),
    }
}

/// Restart-only settings whose running value is not the one the files
/// give. A value decided elsewhere (the command line, or computed by the
/// server as for `wal_buffers = -1`) only counts when the server itself
/// flags a file's value as waiting for a restart.
fn pending_restarts(live: &ServerSettings) -> Vec<PendingRestart> {
    live.parameters
        .values()
        .filter(|p| p.context == Context::Postmaster)
        .filter(|p| {
            p.pending_restart
                || !matches!(
                    p.source.as_str(),
                    "command line" | "environment variable" | "override"
                )
        })
        .filter_map(|p| {
            let running = show(p, &p.setting);
            if !live.files_readable {
                return p.pending_restart.then(|| PendingRestart {
                    setting: p.name.clone(),
                    running,
                    configured: "(changed in the configuration files)".to_owned(),
                });
            }
            let configured = match live.configured_value(&p.name) {
                Some(value) => value.to_owned(),
                None if p.source == "configuration file" => show(p, p.boot_val.as_deref()?),
                None => return None,
            };
            (!same(Some(p), &p.setting, &configured)).then(|| PendingRestart {
                setting: p.name.clone(),
                running,
                configured,
            })
        })
        .collect()
}

/// Settings that decide who can connect and how: TLS, where the server
/// listens, which authentication files it reads, how passwords are hashed.
/// Changing one can lock clients out, so the plan flags it.
fn touches_access(name: &str) -> bool {
    name.starts_with("ssl")
        || name.starts_with("unix_socket_")
        || name.starts_with("krb_")
        || matches!(
            name,
            "listen_addresses" | "port" | "hba_file" | "ident_file" | "password_encryption"
        )
}

mod loaded;
#[cfg(test)]
pub(super) mod tests;
