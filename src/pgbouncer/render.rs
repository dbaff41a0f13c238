//! pgbouncer.ini and the auth file, rendered from the model. The output
//! is deterministic (sorted), so that comparing it with the file on disk
//! tells whether anything changed. Every piece of configured text goes
//! through the grammar checks here before it is written: nothing can add
//! a line, a section or a connection option the model does not hold.

use std::fmt::Write as _;
use std::path::Path;

use super::UnsafeValue;
use super::params::check_text;
use crate::model::{PgBouncer, PgBouncerAuth, Secret};

pub const INI_FILE_NAME: &str = "pgbouncer.ini";
pub const AUTH_FILE_NAME: &str = "userlist.txt";
/// The certificate, key and authority a `tls` block has pgfort write next
/// to pgbouncer.ini.
pub const TLS_CERT_FILE_NAME: &str = "pgbouncer.crt";
pub const TLS_KEY_FILE_NAME: &str = "pgbouncer.key";
pub const TLS_CA_FILE_NAME: &str = "root.crt";

/// The settings a `tls` block writes itself: always the client side, and
/// the server side when it sets `server_sslmode`.
pub const TLS_CLIENT_SETTINGS: &[&str] = &[
    "client_tls_sslmode",
    "client_tls_key_file",
    "client_tls_cert_file",
    "client_tls_ca_file",
];
pub const TLS_SERVER_SETTINGS: &[&str] = &["server_tls_sslmode", "server_tls_ca_file"];
/// What a `tls` block may ask of clients. The `verify-*` modes would
/// demand a client certificate of pgfort's own admin console session too.
pub const TLS_CLIENT_SSLMODES: &[&str] = &["allow", "prefer", "require"];
/// What a `tls` block may ask of the server (libpq's modes but `disable`).
pub const TLS_SERVER_SSLMODES: &[&str] =
    &["allow", "prefer", "require", "verify-ca", "verify-full"];

/// What PgBouncer runs, as `auth_user`, to look up a client's verifier
/// when `auth = "query"`: a SECURITY DEFINER function, so that the auth
/// user needs no access to `pg_authid` itself.
pub const AUTH_QUERY: &str = "SELECT usename, passwd FROM pgbouncer.get_auth($1)";

/// The prefix of every verifier the auth file may hold: never a clear-text
/// password, nor an md5 hash (replayable against the server).
const VERIFIER_PREFIX: &str = "SCRAM-SHA-256$";

/// Connection-string values written without quotes; anything else is
/// quoted (`'…'`, with `''` for a quote), as PgBouncer's parser reads.
fn is_bare(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_.,:/@+-".contains(c)
}

/// A `[databases]` entry name: PgBouncer reads `[0-9A-Za-z_.-]` without
/// quoting, and its parser mishandles quoted names, so no other character
/// is accepted (the entry's `dbname` may still name any database).
pub fn check_database_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a pgbouncer database name cannot be empty".to_owned());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_.-".contains(*c)))
    {
        return Err(format!(
            "pgbouncer database name \"{}\" holds {c:?}: names in pgbouncer.ini may hold only \
             letters, digits, '_', '.' and '-'",
            name.escape_debug()
        ));
    }
    if name == "pgbouncer" {
        return Err(
            "\"pgbouncer\" is PgBouncer's admin console and cannot be a database entry".to_owned(),
        );
    }
    Ok(())
}

/// A parameter or option name from the tables (checked again: the model's
/// fields are public).
fn check_key(key: &str) -> Result<(), UnsafeValue> {
    match !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        true => Ok(()),
        false => Err(UnsafeValue(format!(
            "\"{}\" is not a parameter name",
            key.escape_debug()
        ))),
    }
}

/// One connection-string value, quoted when it needs to be. Empty values
/// are refused: PgBouncer's parser refuses them.
pub fn connstring_value(value: &str) -> Result<String, String> {
    check_text(value)?;
    if value.is_empty() {
        return Err("a connection option cannot be empty".to_owned());
    }
    if value.chars().all(is_bare) {
        return Ok(value.to_owned());
    }
    Ok(format!("'{}'", value.replace('\'', "''")))
}

fn unsafe_value(what: &str) -> impl Fn(String) -> UnsafeValue + '_ {
    move |reason| UnsafeValue(format!("{what}: {reason}"))
}

/// pgbouncer.ini for `pgbouncer`, with `auth_file` pointing at
/// `auth_file` (and, with `auth = "query"`, the lookup settings).
pub fn render_ini(pgbouncer: &PgBouncer, auth_file: &Path) -> Result<String, UnsafeValue> {
    let auth_file = auth_file
        .to_str()
        .ok_or_else(|| UnsafeValue("the auth file's path is not UTF-8".to_owned()))?;
    check_text(auth_file).map_err(unsafe_value("auth_file"))?;
    let name = &pgbouncer.name;
    check_text(name).map_err(unsafe_value("pgbouncer name"))?;
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "; Managed by pgfort (pgbouncer \"{name}\"): changes made here are overwritten."
    );
    out.push_str("\n[databases]\n");
    for (entry, database) in &pgbouncer.databases {
        check_database_name(entry).map_err(unsafe_value("database"))?;
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for first in ["host", "port"] {
            if let Some(value) = database.options.get(first) {
                pairs.push((first, value));
            }
        }
        pairs.push(("dbname", &database.dbname));
        pairs.extend(
            database
                .options
                .iter()
                .filter(|(key, _)| !matches!(key.as_str(), "host" | "port"))
                .map(|(key, value)| (key.as_str(), value.as_str())),
        );
        let mut line = format!("{entry} =");
        for (key, value) in pairs {
            check_key(key)?;
            let what = format!("database {entry}, {key}");
            let value = connstring_value(value).map_err(unsafe_value(&what))?;
            let _ = write!(line, " {key}={value}");
        }
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str("\n[pgbouncer]\n");
    let mut settings: Vec<(&str, &str)> = pgbouncer
        .settings
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    settings.push(("auth_file", auth_file));
    if let PgBouncerAuth::Query { auth_user } = &pgbouncer.auth {
        settings.push(("auth_user", auth_user));
        settings.push(("auth_query", AUTH_QUERY));
    }
    let tls = tls_settings(pgbouncer)?;
    settings.extend(tls.iter().map(|(key, value)| (*key, value.as_str())));
    settings.sort_unstable();
    for pair in settings.windows(2) {
        if pair[0].0 == pair[1].0 {
            return Err(UnsafeValue(format!(
                "{} is written by pgfort and cannot be a setting too",
                pair[0].0
            )));
        }
    }
    for (key, value) in settings {
        check_key(key)?;
        check_text(value).map_err(unsafe_value(key))?;
        let _ = writeln!(out, "{key} = {value}");
    }
    Ok(out)
}

/// The `[pgbouncer]` settings the `tls` block writes (none without one):
/// the files in `config_dir` and the modes.
pub fn tls_settings(pgbouncer: &PgBouncer) -> Result<Vec<(&'static str, String)>, UnsafeValue> {
    let Some(tls) = &pgbouncer.tls else {
        return Ok(Vec::new());
    };
    let path = |name: &str| {
        let path = pgbouncer.config_dir.join(name);
        path.to_str()
            .map(str::to_owned)
            .ok_or_else(|| UnsafeValue(format!("the path of {name} is not UTF-8")))
    };
    let ca_file = path(TLS_CA_FILE_NAME)?;
    let mut settings = vec![
        ("client_tls_sslmode", tls.client_sslmode.clone()),
        ("client_tls_key_file", path(TLS_KEY_FILE_NAME)?),
        ("client_tls_cert_file", path(TLS_CERT_FILE_NAME)?),
        ("client_tls_ca_file", ca_file.clone()),
    ];
    if let Some(mode) = &tls.server_sslmode {
        settings.push(("server_tls_sslmode", mode.clone()));
        settings.push(("server_tls_ca_file", ca_file));
    }
    Ok(settings)
}

/// The auth file: one `"role" "verifier"` line per entry, sorted by role,
/// with `"` doubled inside names as PgBouncer reads them. Every verifier
/// must be a SCRAM-SHA-256 one.
pub fn render_userlist(entries: &[(String, Secret)]) -> Result<String, UnsafeValue> {
    let mut sorted: Vec<&(String, Secret)> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::from(
        "; Managed by pgfort: SCRAM verifiers only; changes made here are overwritten.\n",
    );
    for pair in sorted.windows(2) {
        if pair[0].0 == pair[1].0 {
            return Err(UnsafeValue(format!(
                "role \"{}\" appears twice in the auth file",
                pair[0].0.escape_debug()
            )));
        }
    }
    for (role, verifier) in sorted {
        if role.is_empty() || role.chars().any(char::is_control) {
            return Err(UnsafeValue(format!(
                "role name \"{}\" cannot go into the auth file",
                role.escape_debug()
            )));
        }
        let verifier = verifier.expose();
        let well_formed = verifier.starts_with(VERIFIER_PREFIX)
            && verifier.chars().all(|c| c.is_ascii_graphic() && c != '"');
        if !well_formed {
            // Never quote the value: it may be a clear-text password.
            return Err(UnsafeValue(format!(
                "the auth file entry of role \"{}\" is not a SCRAM-SHA-256 verifier",
                role.escape_debug()
            )));
        }
        let _ = writeln!(out, "\"{}\" \"{verifier}\"", role.replace('"', "\"\""));
    }
    Ok(out)
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
