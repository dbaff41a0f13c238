//! `pgbouncer "name" { }`: a PgBouncer whose pgbouncer.ini and auth file
//! pgfort writes. Every setting and database option is checked against
//! PgBouncer's own parameter table here, and every value against the
//! files' grammar, so that nothing written in the configuration can add a
//! line, a section or an option to those files.

use std::collections::BTreeMap;

use super::common::{check_unique, name};
use super::{Decoded, PgBouncerUser, Result};
use crate::config::error::{ConfigError, Location};
use crate::config::reader::{BlockReader, unknown_name};
use crate::config::suggest::did_you_mean;
use crate::config::value::{MapEntry, Node, NodeKind};
use crate::model::{Password, PgBouncer, PgBouncerAuth, PgBouncerDatabase, PgBouncerTls};
use crate::pgbouncer::params::{self, DEFAULT_AUTH_TYPE, Kind, Param, Value};
use crate::pgbouncer::render::{check_database_name, connstring_value};

pub(super) fn decode(reader: &mut BlockReader<'_>, out: &mut Decoded) -> Result<()> {
    if out.in_module() {
        return Err(ConfigError::at(
            reader.location(),
            "a pgbouncer block is only allowed in the root configuration, not in a module",
        )
        .with_hint("the files it writes are on this machine: move it to the root configuration"));
    }
    let (label, location) = reader.label(0);
    check_label(&label, &location)?;
    let address = format!("pgbouncer.{label}");
    if let Some(first) = out.config.locations.get(&address) {
        return Err(ConfigError::at(
            location,
            format!("pgbouncer \"{label}\" is already declared at {first}"),
        ));
    }
    let what = format!("pgbouncer \"{label}\"");
    let config_dir = reader.node("config_dir")?;
    let admin_url = reader.node("admin_url")?;
    let auth = reader.node("auth")?;
    let auth_user = reader.node("auth_user")?;
    let users = reader.node("users")?;
    let settings = reader.node("settings")?;
    let tls = super::pgbouncer_tls::decode(reader, out, &label)?;
    let Some(config_dir) = config_dir else {
        return Err(reader.missing("config_dir", "\"/etc/pgbouncer\""));
    };
    let dir_text = config_dir.to_text("config_dir")?;
    check_value(&dir_text, &config_dir.location, "config_dir")?;
    if dir_text.is_empty() {
        return Err(ConfigError::at(
            config_dir.location,
            "config_dir cannot be empty",
        ));
    }
    let admin_url = match admin_url {
        Some(node) => {
            let secret = node.to_secret("admin_url")?;
            let url = secret.expose();
            let scheme = url.starts_with("postgres://") || url.starts_with("postgresql://");
            // The message never quotes the value: it may hold a password.
            if !scheme || url.chars().any(char::is_control) {
                return Err(ConfigError::at(
                    node.location,
                    "admin_url must be a postgres:// or postgresql:// URL on one line",
                )
                .with_hint("write admin_url = \"postgres://USER@HOST:6432/pgbouncer\""));
            }
            Some(secret)
        }
        None => None,
    };
    let auth = decode_auth(auth, auth_user, &label, out, &location)?;
    if users.is_none() && auth == PgBouncerAuth::File {
        return Err(reader.missing("users", "[\"app_user\"] (login roles with a password)"));
    }
    let users = decode_users(users, &auth, &label, out)?;
    let settings = decode_settings(settings, &what, tls.as_ref())?;
    let mut databases = BTreeMap::new();
    let mut database_locations: BTreeMap<String, Location> = BTreeMap::new();
    for mut database_reader in reader.nested("database") {
        let (entry, entry_location, database) = decode_database(&mut database_reader, &what)?;
        database_reader.finish()?;
        if let Some(first) = database_locations.get(&entry) {
            return Err(ConfigError::at(
                entry_location,
                format!("database \"{entry}\" is already declared in {what} at {first}"),
            ));
        }
        database_locations.insert(entry.clone(), entry_location);
        databases.insert(entry, database);
    }
    let pgbouncer = PgBouncer {
        name: label.clone(),
        config_dir: out.dir.join(dir_text),
        admin_url,
        auth,
        users,
        settings,
        databases,
        tls,
    };
    out.config.locations.insert(address, location);
    out.config.desired.pgbouncers.insert(label, pgbouncer);
    Ok(())
}

/// Labels name the instance in addresses and messages: plain words only.
fn check_label(label: &str, location: &Location) -> Result<()> {
    let simple = !label.is_empty()
        && label.len() <= 63
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match simple {
        true => Ok(()),
        false => Err(ConfigError::at(
            location.clone(),
            format!(
                "pgbouncer name \"{}\" must be 1 to 63 letters, digits, '_' or '-'",
                label.escape_debug()
            ),
        )
        .with_hint("write: pgbouncer \"main\" { ... }")),
    }
}

/// A value pgbouncer.ini holds as written: refused where it was written
/// when it would break the file's lines.
fn check_value(text: &str, location: &Location, what: &str) -> Result<()> {
    params::check_text(text)
        .map_err(|reason| ConfigError::at(location.clone(), format!("{what}: {reason}")))
}

fn decode_auth(
    auth: Option<Node>,
    auth_user: Option<Node>,
    label: &str,
    out: &mut Decoded,
    block: &Location,
) -> Result<PgBouncerAuth> {
    // `auth` is written whenever it is not "file".
    let at = |auth: Option<Node>| auth.map_or_else(|| block.clone(), |node| node.location);
    let mode = match &auth {
        Some(node) => node.to_text("auth")?,
        None => "file".to_owned(),
    };
    match (mode.as_str(), auth_user) {
        ("file", None) => Ok(PgBouncerAuth::File),
        ("file", Some(node)) => Err(ConfigError::at(
            node.location,
            "auth_user is only used with auth = \"query\"",
        )
        .with_hint("remove auth_user, or set auth = \"query\"")),
        ("query", Some(node)) => {
            let role = name(&node, "auth_user", "role")?;
            out.pgbouncer_users.push(PgBouncerUser {
                role: role.clone(),
                location: node.location.clone(),
                pgbouncer: label.to_owned(),
            });
            Ok(PgBouncerAuth::Query { auth_user: role })
        }
        ("query", None) => Err(ConfigError::at(
            at(auth),
            "auth = \"query\" needs auth_user, the role PgBouncer looks passwords up as",
        )
        .with_hint("write auth_user = \"pgbouncer_auth\" (a declared login role with a password)")),
        (other, _) => Err(ConfigError::at(
            at(auth),
            format!(
                "invalid auth \"{}\", expected one of: {}",
                other.escape_debug(),
                PgBouncerAuth::NAMES.join(", ")
            ),
        )
        .with_optional_hint(did_you_mean(other, PgBouncerAuth::NAMES.iter().copied()))),
    }
}

fn decode_users(
    users: Option<Node>,
    auth: &PgBouncerAuth,
    label: &str,
    out: &mut Decoded,
) -> Result<Vec<String>> {
    let empty = match &users {
        None => true,
        Some(node) => matches!(&node.kind, NodeKind::List(items) if items.is_empty()),
    };
    if empty {
        return match (auth, users) {
            (PgBouncerAuth::Query { .. }, _) => Ok(Vec::new()),
            (PgBouncerAuth::File, Some(node)) => Err(ConfigError::at(
                node.location,
                "users cannot be empty with auth = \"file\": the auth file would admit nobody",
            )
            .with_hint("list the login roles PgBouncer admits, or set auth = \"query\"")),
            (PgBouncerAuth::File, None) => Ok(Vec::new()),
        };
    }
    let Some(node) = users else {
        return Ok(Vec::new());
    };
    let names = super::common::name_list(&node, "users", "role")?;
    check_unique(&names, "users")?;
    for (role, location) in &names {
        check_value(role, location, "users")?;
        out.pgbouncer_users.push(PgBouncerUser {
            role: role.clone(),
            location: location.clone(),
            pgbouncer: label.to_owned(),
        });
    }
    let mut users: Vec<String> = names.into_iter().map(|(role, _)| role).collect();
    users.sort();
    Ok(users)
}

/// A configuration value in the shapes the parameter table reads.
fn value_of<'a>(node: &'a Node, what: &str) -> Result<Value<'a>> {
    node.require_plain(what)?;
    Ok(match &node.kind {
        NodeKind::Bool(b) => Value::Bool(*b),
        NodeKind::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
        NodeKind::String(s) => Value::Text(s),
        NodeKind::List(items) => Value::List(
            items
                .iter()
                .map(|item| match &item.kind {
                    NodeKind::String(s) => Ok(s.as_str()),
                    _ => Err(item.type_error(what, "a list of strings")),
                })
                .collect::<Result<_>>()?,
        ),
        NodeKind::Null | NodeKind::Map(_) => {
            return Err(node.type_error(what, "a string, a number, a bool or a list"));
        }
    })
}

/// `value` normalised as `param` reads it, or an error at the value.
fn normalize(param: &Param, node: &Node, what: &str) -> Result<String> {
    let value = value_of(node, what)?;
    param.kind.normalize(&value).map_err(|reason| {
        let error = ConfigError::at(node.location.clone(), format!("{what}: {reason}"));
        match (param.kind, &value) {
            (Kind::Enum(names), Value::Text(text)) => {
                error.with_optional_hint(did_you_mean(text, names.iter().copied()))
            }
            (Kind::Octal, _) => error.with_hint("write the mode as a string: \"0770\""),
            _ => error,
        }
    })
}

fn decode_settings(
    node: Option<Node>,
    what: &str,
    tls: Option<&PgBouncerTls>,
) -> Result<BTreeMap<String, String>> {
    let mut settings = BTreeMap::new();
    let entries: &[MapEntry] = match &node {
        Some(node) => node.to_map("settings")?,
        None => &[],
    };
    let names: Vec<&str> = params::PARAMS.iter().map(|p| p.name).collect();
    let mut auth_type_location = None;
    let mut tls_location = None;
    for entry in entries {
        let key = &entry.key;
        if let Some(why) = params::owned(key) {
            return Err(ConfigError::at(
                entry.key_location.clone(),
                format!("{key} cannot be set in settings: {why}"),
            )
            .with_hint(format!("remove {key} from settings of {what}")));
        }
        if let Some(why) = super::pgbouncer_tls::owned_setting(tls, key) {
            return Err(ConfigError::at(
                entry.key_location.clone(),
                format!("{key} cannot be set in settings: {why}"),
            )
            .with_hint(format!(
                "remove {key} from settings of {what}, or remove the tls block"
            )));
        }
        let Some(param) = params::param(key) else {
            return Err(unknown_name(
                entry.key_location.clone(),
                "setting",
                key,
                &format!("settings of {what}"),
                &names,
            ));
        };
        if entry.value.is_null() || entry.value.unknown {
            continue;
        }
        let value = normalize(param, &entry.value, &format!("settings.{key}"))?;
        if key == "auth_type" {
            auth_type_location = Some(entry.value.location.clone());
        }
        if key == "client_tls_sslmode" {
            tls_location = Some(entry.value.location.clone());
        }
        settings.insert(key.clone(), value);
    }
    let auth_type = settings
        .entry("auth_type".to_owned())
        .or_insert_with(|| DEFAULT_AUTH_TYPE.to_owned());
    if auth_type == "hba"
        && !settings.contains_key("auth_hba_file")
        && let Some(location) = auth_type_location
    {
        return Err(ConfigError::at(
            location,
            "auth_type hba reads its rules from auth_hba_file, which settings do not set",
        )
        .with_hint("add auth_hba_file = \"/etc/pgbouncer/pgbouncer_hba.conf\" to settings"));
    }
    // PgBouncer takes TLS without a key pair on RELOAD, then fails every
    // client handshake.
    let tls_on = settings
        .get("client_tls_sslmode")
        .is_some_and(|mode| mode != "disable");
    let missing: Vec<&str> = ["client_tls_key_file", "client_tls_cert_file"]
        .into_iter()
        .filter(|key| !settings.contains_key(*key))
        .collect();
    if tls_on
        && !missing.is_empty()
        && let Some(location) = tls_location
    {
        return Err(ConfigError::at(
            location,
            format!(
                "client_tls_sslmode needs a key pair, and settings do not set {}",
                missing.join(" nor ")
            ),
        )
        .with_hint(
            "set client_tls_key_file and client_tls_cert_file, or client_tls_sslmode = \"disable\"",
        ));
    }
    Ok(settings)
}

fn decode_database(
    reader: &mut BlockReader<'_>,
    what: &str,
) -> Result<(String, Location, PgBouncerDatabase)> {
    let (entry, location) = reader.label(0);
    if reader.label_count() != 1 {
        return Err(ConfigError::at(
            location,
            format!("a database block of {what} takes one label, the name clients connect to"),
        )
        .with_hint("write: database \"myapp\" { host = \"127.0.0.1\" }"));
    }
    check_database_name(&entry).map_err(|reason| {
        ConfigError::at(location.clone(), reason).with_hint(
            "name the entry with plain characters and set dbname = \"…\" to the real name",
        )
    })?;
    let within = format!("database \"{entry}\" of {what}");
    let mut names: Vec<&str> = params::DATABASE_OPTIONS.iter().map(|p| p.name).collect();
    names.push("dbname");
    names.sort_unstable();
    let mut dbname = entry.clone();
    let mut options = BTreeMap::new();
    for (key, key_location, node) in reader.all_attributes()? {
        if node.unknown {
            continue;
        }
        let value = if key == "dbname" {
            node.to_text("dbname")?
        } else if key == "password" {
            return Err(ConfigError::at(
                key_location,
                format!(
                    "{within} cannot take a password: pgbouncer.ini would hold it in clear text"
                ),
            )
            .with_hint("list the role in users: its SCRAM verifier goes into the auth file"));
        } else if let Some(param) = params::database_option(&key) {
            normalize(param, &node, &key)?
        } else {
            return Err(unknown_name(
                key_location,
                "attribute",
                &key,
                &within,
                &names,
            ));
        };
        connstring_value(&value)
            .map_err(|reason| ConfigError::at(node.location.clone(), format!("{key}: {reason}")))?;
        match key.as_str() {
            "dbname" => dbname = value,
            _ => {
                options.insert(key, value);
            }
        }
    }
    Ok((entry, location, PgBouncerDatabase { dbname, options }))
}

/// Every role a pgbouncer block puts into its auth file must be a declared
/// login role whose password pgfort sets: the file holds the verifier
/// pgfort computes from that password.
pub(crate) fn validate(decoded: &Decoded) -> Vec<ConfigError> {
    let roles = &decoded.config.desired.roles;
    let mut errors = Vec::new();
    for user in &decoded.pgbouncer_users {
        let PgBouncerUser {
            role: name,
            location,
            pgbouncer,
        } = user;
        let declared_at = decoded
            .role_locations
            .get(name)
            .map(|at| format!(" (declared at {at})"))
            .unwrap_or_default();
        let Some(role) = roles.get(name) else {
            let hint = did_you_mean(name, roles.keys().map(String::as_str)).unwrap_or_else(|| {
                format!(
                    "declare it: role \"{name}\" {{ login = true, password = var.{name}_password }}"
                )
            });
            errors.push(
                ConfigError::at(
                    location.clone(),
                    format!("role \"{name}\" is not declared; pgbouncer \"{pgbouncer}\" puts it in its auth file"),
                )
                .with_hint(hint),
            );
            continue;
        };
        if !role.attributes.login {
            errors.push(
                ConfigError::at(
                    location.clone(),
                    format!("role \"{name}\" cannot log in, so pgbouncer \"{pgbouncer}\" cannot admit it"),
                )
                .with_hint(format!("set login = true in role \"{name}\"{declared_at}")),
            );
            continue;
        }
        let unknown = decoded.unknown_passwords.contains(name);
        if !matches!(role.password, Password::Clear(_)) && !unknown {
            let why = match role.password {
                Password::Unmanaged => "keep_password = true leaves its password unknown to pgfort",
                _ => "it has no password",
            };
            errors.push(
                ConfigError::at(
                    location.clone(),
                    format!(
                        "role \"{name}\" cannot go into the auth file of pgbouncer \"{pgbouncer}\": {why}"
                    ),
                )
                .with_hint(format!(
                    "give role \"{name}\"{declared_at} a password (password = var.{name}_password); \
                     pgfort writes its SCRAM verifier, never the password"
                )),
            );
        }
    }
    errors
}
