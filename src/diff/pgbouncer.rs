//! PgBouncer: the rendered pgbouncer.ini and auth file against the files
//! in its `config_dir`. The auth file holds exactly the verifiers the
//! server holds once the plan is applied: the stored one for a role whose
//! password does not change, the one the plan's own `ALTER ROLE` sends for
//! a role whose password does. Verifiers are never shown.

use super::{Diff, DiffError, DiffInput};
use crate::model::{
    AuthEntry, Password, PgBouncer, PgBouncerAuth, PgBouncerWrite, REDACTED, Secret,
};
use crate::pgbouncer::{AUTH_FILE_NAME, INI_FILE_NAME, render_ini, render_userlist};
use crate::plan::{Action, AttributeChange, Change, Need, address};

/// Stands for a verifier the plan sets, in the text compared and shown
/// (never written: apply renders the file again with the real one).
const SET_BY_PLAN: &str = "SCRAM-SHA-256$(set-by-this-plan)";

/// The address of a PgBouncer's change in plans.
pub fn address(name: &str) -> String {
    format!("pgbouncer.{name}")
}

pub(super) fn diff_pgbouncers(input: &DiffInput<'_>, out: &mut Diff) -> Result<(), DiffError> {
    for pgbouncer in input.desired.pgbouncers.values() {
        diff_one(input, pgbouncer, out)?;
    }
    Ok(())
}

fn diff_one(input: &DiffInput<'_>, pgbouncer: &PgBouncer, out: &mut Diff) -> Result<(), DiffError> {
    let name = &pgbouncer.name;
    let refused = |what: &str, err: crate::pgbouncer::UnsafeValue| DiffError {
        message: format!("pgbouncer \"{name}\": {what} cannot be written: {err}"),
        hint: None,
    };
    let auth_path = pgbouncer.config_dir.join(AUTH_FILE_NAME);
    let ini = render_ini(pgbouncer, &auth_path).map_err(|e| refused(INI_FILE_NAME, e))?;
    let mut users = Vec::new();
    for role in pgbouncer.auth_file_roles() {
        users.push((role.to_owned(), auth_entry(input, out, name, role)?));
    }
    let compared: Vec<(String, Secret)> = users
        .iter()
        .map(|(role, entry)| {
            let verifier = match entry {
                AuthEntry::Stored(verifier) => verifier.clone(),
                AuthEntry::SetByPlan => Secret::new(SET_BY_PLAN),
            };
            (role.clone(), verifier)
        })
        .collect();
    let userlist = render_userlist(&compared).map_err(|e| refused(AUTH_FILE_NAME, e))?;
    let live = input
        .live
        .pgbouncer_files
        .get(name)
        .cloned()
        .unwrap_or_default();
    let live_ini = live.ini.clone().unwrap_or_default();
    let live_userlist = live
        .userlist
        .as_ref()
        .map_or(String::new(), |s| s.expose().to_owned());
    let ini_changes = live.ini.as_deref() != Some(ini.as_str());
    let userlist_changes = live.userlist.as_ref().map(Secret::expose) != Some(userlist.as_str());
    let tls = super::pgbouncer_tls::tls_work(pgbouncer, &live.tls, &input.desired.tls);
    if pgbouncer.admin_url.is_none() {
        out.notes.push(format!(
            "pgbouncer \"{name}\": no admin_url, so pgfort writes its files but cannot reload it: run RELOAD on its admin console (or send it SIGHUP) after each apply"
        ));
    }
    if !ini_changes && !userlist_changes && tls.is_none() {
        return Ok(());
    }
    let action = match (&live.ini, &live.userlist) {
        (None, None) => Action::Create,
        _ => Action::Update,
    };
    let mut change = Change::new(address(name), action);
    change.touches_access = true;
    if ini_changes {
        change.attributes.push(AttributeChange::new(
            INI_FILE_NAME,
            live.ini.as_ref().map(|text| lines(text)),
            Some(lines(&ini)),
        ));
        let path = pgbouncer.config_dir.join(INI_FILE_NAME);
        change.file_diff.extend(super::hba::shown_file_diff(
            &path.display().to_string(),
            &live_ini,
            &ini,
            &|line| line.to_owned(),
        ));
    }
    if userlist_changes {
        change.sensitive = true;
        change.attributes.push(AttributeChange {
            sensitive: true,
            ..AttributeChange::new(
                AUTH_FILE_NAME,
                live.userlist.as_ref().map(|_| REDACTED.to_owned()),
                Some(REDACTED.to_owned()),
            )
        });
        change.file_diff.extend(super::hba::shown_file_diff(
            &auth_path.display().to_string(),
            &live_userlist,
            &userlist,
            &redact_userlist_line,
        ));
    }
    let tls_write = match tls {
        Some((write, reasons, attributes)) => {
            change.attributes.extend(attributes);
            change.reasons.extend(reasons);
            change.need(Need::names(address::authority(&write.authority.name)));
            Some(write)
        }
        None => None,
    };
    change.reasons.push(match (&pgbouncer.admin_url, &pgbouncer.tls) {
        (Some(_), None) => {
            "written, then reloaded with RELOAD on the admin console and checked with SHOW CONFIG"
                .to_owned()
        }
        (Some(_), Some(_)) => {
            "written, then reloaded with RELOAD on the admin console, checked with SHOW CONFIG and by a verify-full TLS connection that must be served the certificate written"
                .to_owned()
        }
        (None, _) => "written only: PgBouncer must be reloaded by hand (no admin_url)".to_owned(),
    });
    let mut settings = pgbouncer.settings.clone();
    let tls_settings =
        crate::pgbouncer::tls_settings(pgbouncer).map_err(|e| refused(INI_FILE_NAME, e))?;
    settings.extend(tls_settings.into_iter().map(|(k, v)| (k.to_owned(), v)));
    for (role, entry) in &users {
        change.need(match entry {
            AuthEntry::SetByPlan => Need::together(address::role(role)),
            AuthEntry::Stored(_) => Need::names(address::role(role)),
        });
    }
    out.changes.push(change);
    out.pgbouncer.push(PgBouncerWrite {
        name: name.clone(),
        config_dir: pgbouncer.config_dir.clone(),
        ini,
        users,
        admin_url: pgbouncer.admin_url.clone(),
        settings,
        databases: pgbouncer.databases.keys().cloned().collect(),
        auth_user: match &pgbouncer.auth {
            PgBouncerAuth::Query { auth_user } => Some(auth_user.clone()),
            PgBouncerAuth::File => None,
        },
        tls: tls_write,
    });
    Ok(())
}

fn lines(text: &str) -> String {
    match text.lines().count() {
        1 => "1 line".to_owned(),
        count => format!("{count} lines"),
    }
}

/// Where the verifier of `role` comes from, or why there is none.
fn auth_entry(
    input: &DiffInput<'_>,
    out: &Diff,
    name: &str,
    role: &str,
) -> Result<AuthEntry, DiffError> {
    let role_address = address::role(role);
    let set_by_plan = out.changes.iter().any(|change| {
        change.address == role_address
            && change
                .statements
                .iter()
                .any(crate::plan::Statement::has_clear_password)
    });
    if set_by_plan {
        return Ok(AuthEntry::SetByPlan);
    }
    let problem = |why: &str, hint: &str| DiffError {
        message: format!(
            "pgbouncer \"{name}\": role \"{role}\" cannot go into {AUTH_FILE_NAME}: {why}"
        ),
        hint: Some(hint.to_owned()),
    };
    let declare =
        "declare the role with a password, so that pgfort sets it as a SCRAM-SHA-256 verifier";
    if let Some(desired) = input.desired.roles.get(role)
        && desired.password == Password::None
    {
        return Err(problem(
            "the configuration declares no password for it",
            declare,
        ));
    }
    match input.live.roles.get(role).map(|live| &live.password) {
        Some(Password::Stored(stored)) if stored.expose().starts_with("SCRAM-SHA-256$") => {
            Ok(AuthEntry::Stored(stored.clone()))
        }
        Some(Password::Stored(_)) => Err(problem(
            "its stored password is not a SCRAM-SHA-256 verifier",
            declare,
        )),
        Some(Password::Unreadable) => Err(problem(
            "its stored verifier cannot be read (pg_authid is not readable)",
            "run pgfort as a superuser to manage PgBouncer's auth file",
        )),
        Some(_) => Err(problem("it has no password on the server", declare)),
        None => Err(problem("it does not exist on the server", declare)),
    }
}

/// An auth file line as plans show it: the role name, never the verifier
/// (nor a clear-text password someone wrote there by hand).
fn redact_userlist_line(line: &str) -> String {
    let trimmed = line.trim_start();
    if trimmed.is_empty() || trimmed.starts_with(';') || trimmed.starts_with('#') {
        return line.to_owned();
    }
    match quoted_name(trimmed) {
        Some(role) => format!("\"{role}\" \"{REDACTED}\""),
        None => REDACTED.to_owned(),
    }
}

/// The first `"…"` token of a line (with `""` inside it), as written.
fn quoted_name(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('"')?;
    let mut chars = rest.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        if c == '"' {
            if chars.peek().map(|(_, next)| *next) == Some('"') {
                chars.next();
                continue;
            }
            return Some(&rest[..index]);
        }
    }
    None
}

#[cfg(test)]
#[path = "pgbouncer_tests.rs"]
mod tests;
