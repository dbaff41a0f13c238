//! PgBouncer's files: written after every server change (the auth file
//! names verifiers the server must already hold), reloaded through the
//! admin console and checked there; put back as they were when any of
//! that fails.

mod console;
mod files;
mod tls;

use crate::model::{AuthEntry, PgBouncerWrite, Secret};
use crate::pgbouncer::{AUTH_FILE_NAME, INI_FILE_NAME, render_userlist};
use crate::plan::{Plan, address};

use super::ApplyError;
use console::{Console, ConsoleTls};
use files::Previous;

/// The mode of a new pgbouncer.ini (an existing one keeps its own).
const INI_MODE: u32 = 0o640;
/// The auth file's mode, always: it holds verifiers.
const AUTH_FILE_MODE: u32 = 0o600;

/// One PgBouncer's files, ready to write.
pub(super) struct Prepared<'a> {
    pub write: &'a PgBouncerWrite,
    userlist: String,
    /// The certificate files, once [`issue_certificates`] has run.
    tls: Option<tls::Material>,
}

/// Every write is checked before any file is touched: the auth file needs
/// the verifiers of the plan's password changes, hashed ahead.
pub(super) fn prepare(plan: &Plan) -> Result<Vec<Prepared<'_>>, ApplyError> {
    plan.pgbouncer
        .iter()
        .map(|write| {
            Ok(Prepared {
                write,
                userlist: userlist(plan, write)?,
                tls: None,
            })
        })
        .collect()
}

/// Issues the certificates of every write with a `tls` block, in memory;
/// runs once the plan's authorities are written, before any server or
/// PgBouncer file changes.
pub(super) fn issue_certificates(prepared: &mut [Prepared<'_>]) -> Result<(), ApplyError> {
    for one in prepared {
        if let Some(spec) = &one.write.tls {
            one.tls = Some(tls::issue(&one.write.name, spec)?);
        }
    }
    Ok(())
}

/// Writes, reloads and checks one PgBouncer; returns lines to report.
pub(super) async fn apply(prepared: &Prepared<'_>) -> Result<Vec<String>, ApplyError> {
    let write = prepared.write;
    let userlist = prepared.userlist.as_str();
    let name = &write.name;
    let io = |what: &str, path: &std::path::Path, err: std::io::Error| ApplyError {
        message: format!("pgbouncer \"{name}\": {what} {}: {err}", path.display()),
        ..Default::default()
    };
    let ini_path = write.config_dir.join(INI_FILE_NAME);
    let auth_path = write.config_dir.join(AUTH_FILE_NAME);
    let tls_files = prepared
        .tls
        .as_ref()
        .map(|material| tls::files(write, material))
        .unwrap_or_default();
    let mut before = Vec::new();
    let mut texts: Vec<&[u8]> = Vec::new();
    for file in &tls_files {
        let previous = files::previous(&file.path, file.mode, true)
            .map_err(|e| io("reading", &file.path, e))?;
        before.push(previous);
        texts.push(file.text);
    }
    before.push(
        files::previous(&ini_path, INI_MODE, false).map_err(|e| io("reading", &ini_path, e))?,
    );
    texts.push(write.ini.as_bytes());
    before.push(
        files::previous(&auth_path, AUTH_FILE_MODE, true)
            .map_err(|e| io("reading", &auth_path, e))?,
    );
    texts.push(userlist.as_bytes());
    let before: Vec<&Previous> = before.iter().collect();
    // In order: certificate files, then pgbouncer.ini, then the auth file.
    let written = before.iter().zip(&texts).try_for_each(|(previous, text)| {
        files::replace(previous, text).map_err(|e| io("writing", &previous.path, e))
    });
    if let Err(err) = written {
        return Err(put_back(&before, None, err).await);
    }
    let Some(url) = &write.admin_url else {
        return Ok(vec![format!(
            "pgbouncer \"{name}\": files written; reload PgBouncer (RELOAD on its admin console, or SIGHUP) for them to take effect"
        )]);
    };
    let target = console::describe(url);
    let console = match Console::connect(url, ConsoleTls::Prefer).await {
        Ok(console) => console,
        Err(why) => {
            let err = ApplyError {
                message: format!(
                    "pgbouncer \"{name}\": cannot reach the admin console at {target}: {why}"
                ),
                hint: Some(
                    "check admin_url, and that PgBouncer runs and lists its user in admin_users"
                        .to_owned(),
                ),
                ..Default::default()
            };
            return Err(put_back(&before, None, err).await);
        }
    };
    let checked = match reload_and_check(&console, write).await {
        Ok(mut notes) => match &write.tls {
            Some(spec) => tls::verify(write, spec, url).await.map(|note| {
                notes.extend(note);
                notes
            }),
            None => Ok(notes),
        },
        Err(why) => Err(why),
    };
    match checked {
        Ok(notes) => Ok(notes),
        Err(why) => {
            let err = ApplyError {
                message: format!("pgbouncer \"{name}\" ({target}): {why}"),
                ..Default::default()
            };
            Err(put_back(&before, Some(&console), err).await)
        }
    }
}

/// The auth file with every verifier known: the stored ones, and those
/// the plan's role changes send.
fn userlist(plan: &Plan, write: &PgBouncerWrite) -> Result<String, ApplyError> {
    let mut entries: Vec<(String, Secret)> = Vec::with_capacity(write.users.len());
    for (role, entry) in &write.users {
        let verifier = match entry {
            AuthEntry::Stored(verifier) => verifier.clone(),
            AuthEntry::SetByPlan => {
                let role_address = address::role(role);
                let sent = plan
                    .changes
                    .iter()
                    .filter(|change| change.address == role_address)
                    .flat_map(|change| &change.statements)
                    .find_map(|statement| statement.verifier());
                sent.cloned().ok_or_else(|| ApplyError {
                    message: format!(
                        "pgbouncer \"{}\": the verifier the plan sets for role \"{role}\" is not known before the apply (its password was not hashed ahead)",
                        write.name
                    ),
                    ..Default::default()
                })?
            }
        };
        entries.push((role.clone(), verifier));
    }
    render_userlist(&entries).map_err(|err| ApplyError {
        message: format!("pgbouncer \"{}\": {AUTH_FILE_NAME}: {err}", write.name),
        ..Default::default()
    })
}

/// RELOAD, then the running configuration must be the written one.
/// Settings PgBouncer reads only at start are reported, not failed on.
async fn reload_and_check(
    console: &Console,
    write: &PgBouncerWrite,
) -> Result<Vec<String>, String> {
    console.reload().await?;
    let running = console.config().await?;
    let mut expected: Vec<(&str, &str)> = write
        .settings
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    let auth_file = write.config_dir.join(AUTH_FILE_NAME);
    let auth_file = auth_file.to_string_lossy();
    expected.push(("auth_file", &auth_file));
    if let Some(user) = &write.auth_user {
        expected.push(("auth_user", user));
        expected.push(("auth_query", crate::pgbouncer::AUTH_QUERY));
    }
    let mut differ = Vec::new();
    let mut restart = Vec::new();
    for (key, value) in expected {
        match running.get(key) {
            Some(now) if same_value(key, &now.value, value) => {}
            Some(now) if !now.changeable => restart.push(key.to_owned()),
            Some(now) => differ.push(format!("{key} is {:?}, not {value:?}", now.value)),
            None => differ.push(format!("{key} is not a setting this PgBouncer knows")),
        }
    }
    if !differ.is_empty() {
        return Err(format!(
            "after RELOAD the running configuration is not the written one: {}",
            differ.join(", ")
        ));
    }
    let listed = console.databases().await?;
    let missing: Vec<&str> = write
        .databases
        .iter()
        .filter(|name| !listed.contains(name))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "after RELOAD SHOW DATABASES does not list: {}",
            missing.join(", ")
        ));
    }
    let mut notes = vec![format!(
        "pgbouncer \"{}\": files written and reloaded",
        write.name
    )];
    if !restart.is_empty() {
        notes.push(format!(
            "pgbouncer \"{}\": {} take(s) effect only when PgBouncer restarts",
            write.name,
            restart.join(", ")
        ));
    }
    Ok(notes)
}

/// Whether SHOW CONFIG's `shown` is the `written` value: the same text,
/// or for file modes the same number (PgBouncer shows them in decimal).
fn same_value(key: &str, shown: &str, written: &str) -> bool {
    if shown == written {
        return true;
    }
    let octal = crate::pgbouncer::params::param(key)
        .is_some_and(|param| param.kind == crate::pgbouncer::params::Kind::Octal);
    octal
        && u32::from_str_radix(written, 8)
            .is_ok_and(|mode| shown.parse::<u32>().is_ok_and(|shown| shown == mode))
}

/// Puts both files back and, when the console is reachable, reloads them,
/// saying in the error what was done.
async fn put_back(
    before: &[&Previous],
    console: Option<&Console>,
    mut err: ApplyError,
) -> ApplyError {
    let failed: Vec<String> = before
        .iter()
        .filter_map(|previous| {
            files::restore(previous)
                .err()
                .map(|e| format!("{}: {e}", previous.path.display()))
        })
        .collect();
    let mut note = if failed.is_empty() {
        let names: Vec<String> = before
            .iter()
            .filter_map(|previous| previous.path.file_name())
            .map(|name| name.to_string_lossy().into_owned())
            .collect();
        format!("the previous {} were put back", names.join(", "))
    } else {
        format!(
            "putting the previous files back failed ({}); copies are in the *{} files",
            failed.join("; "),
            files::BACKUP_SUFFIX
        )
    };
    if let Some(console) = console {
        match console.reload().await {
            Ok(()) => note.push_str(" and reloaded"),
            Err(why) => note.push_str(&format!(", but reloading them failed: {why}")),
        }
    }
    err.hint = Some(match err.hint.take() {
        Some(hint) => format!("{hint}\n{note}"),
        None => note,
    });
    err
}

#[cfg(test)]
mod tests {
    use super::same_value;

    #[test]
    fn running_values_compare_as_written_and_modes_as_numbers() {
        assert!(same_value("pool_mode", "transaction", "transaction"));
        assert!(!same_value("pool_mode", "session", "transaction"));
        assert!(same_value("unix_socket_mode", "511", "0777"));
        assert!(!same_value("unix_socket_mode", "511", "0770"));
        assert!(!same_value("pool_mode", "511", "0777"));
    }
}
