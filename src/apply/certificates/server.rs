//! The server's certificate files: installed in the data directory
//! (locally when pgfort runs on the server's host, else over SQL with
//! `COPY … TO`, read back with `pg_read_file`), put back on failure, and
//! proven by a fresh `verify-full` connection after the reload.
//!
//! Over SQL the key travels inside a statement, so the session first
//! turns off statement logging and pg_stat_statements tracking (superuser
//! settings; pgfort needs a superuser for server files anyway).

use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

use super::{ApplyError, ServerMaterial, failure};
use crate::connect::{ConnectionSettings, SslMode};
use crate::inspect::Db;
use crate::inspect::pipeline::first_error;
use crate::model::{
    Authority, SERVER_CA_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE, Secret, ServerCertificate,
};
use crate::sql::hba::{copy_to_file, copy_to_private_file};
use crate::sql::quote::literal;

/// Session settings that keep a statement out of logs and statistics.
pub(in crate::apply) const QUIET: &[&str] = &[
    "SET log_statement = 'none'",
    "SET log_min_duration_statement = -1",
    "SET log_min_error_statement = 'panic'",
    "SET log_duration = off",
    "SET pg_stat_statements.track = 'none'",
    "SET pg_stat_statements.track_utility = off",
];
pub(in crate::apply) const LOUD: &[&str] = &[
    "RESET log_statement",
    "RESET log_min_duration_statement",
    "RESET log_min_error_statement",
    "RESET log_duration",
    "RESET pg_stat_statements.track",
    "RESET pg_stat_statements.track_utility",
];

/// The files as they were before, to put back.
pub(in crate::apply) struct Backup {
    local: bool,
    /// (path, previous text; `None`: the file did not exist).
    files: Vec<(String, Option<Secret>)>,
}

/// One file to write: path, text, whether it is a key.
struct File<'a> {
    path: String,
    text: &'a str,
    key: bool,
}

fn files(material: &ServerMaterial) -> Vec<File<'_>> {
    let path = |name: &str| format!("{}/{name}", material.data_directory);
    let mut files = Vec::new();
    if let (Some(cert), Some(key)) = (&material.cert_pem, &material.key_pem) {
        files.push(File {
            path: path(SERVER_KEY_FILE),
            text: key.expose(),
            key: true,
        });
        files.push(File {
            path: path(SERVER_CERT_FILE),
            text: cert,
            key: false,
        });
    }
    files.push(File {
        path: path(SERVER_CA_FILE),
        text: &material.ca_pem,
        key: false,
    });
    files
}

/// Writes the new files, keeping the old text to restore.
pub(in crate::apply) async fn install(
    db: &Db,
    material: &ServerMaterial,
    local_files: bool,
) -> Result<Backup, ApplyError> {
    let files = files(material);
    let local = local_files && writable_here(&material.data_directory);
    let mut backup = Backup {
        local,
        files: Vec::new(),
    };
    for file in &files {
        backup
            .files
            .push((file.path.clone(), read(db, &file.path).await?));
    }
    if let Err(err) = write_all(db, &files, local).await {
        return Err(restore(db, &backup, err).await);
    }
    Ok(backup)
}

async fn write_all(db: &Db, files: &[File<'_>], local: bool) -> Result<(), ApplyError> {
    if local {
        for file in files {
            write_local(file)?;
        }
    } else {
        execute(db, QUIET, "preparing the session").await?;
        for file in files {
            // The statement holds the key: never attached to an error.
            let sql = if file.key {
                copy_to_private_file(&file.path, file.text)
            } else {
                copy_to_file(&file.path, file.text)
            };
            if let Err(err) = db.execute_one(&sql).await {
                let _ = execute(db, LOUD, "").await;
                return Err(ApplyError::from_db(
                    &format!("writing {}", file.path),
                    &err,
                    None,
                ));
            }
        }
        execute(db, LOUD, "resetting the session").await?;
    }
    for file in files {
        let back = read(db, &file.path).await?;
        if back.as_ref().map(Secret::expose) != Some(file.text) {
            return Err(failure(
                format!("{} does not read back as written", file.path),
                "check the file system of the data directory",
            ));
        }
    }
    Ok(())
}

/// Whether the data directory is on this machine and pgfort may write it.
fn writable_here(data_directory: &str) -> bool {
    let dir = Path::new(data_directory);
    dir.is_dir()
        && std::fs::metadata(dir).is_ok_and(|m| {
            // SAFETY: geteuid has no preconditions and cannot fail.
            let uid = unsafe { libc::geteuid() };
            uid == 0 || uid == m.uid()
        })
}

/// Writes through a temporary file; a file pgfort writes as root is given
/// to the data directory's owner, as the server must read it.
fn write_local(file: &File<'_>) -> Result<(), ApplyError> {
    let path = Path::new(&file.path);
    let mode = if file.key { 0o600 } else { 0o644 };
    super::local::write_file(path, file.text, mode)?;
    let owner = path.parent().and_then(|dir| std::fs::metadata(dir).ok());
    if let Some(owner) = owner {
        std::os::unix::fs::chown(path, Some(owner.uid()), Some(owner.gid())).map_err(|e| {
            failure(
                format!("giving {} to the server's user: {e}", file.path),
                "run pgfort as the server's user or as root",
            )
        })?;
    }
    Ok(())
}

/// The text of a server file, `None` when it does not exist.
async fn read(db: &Db, path: &str) -> Result<Option<Secret>, ApplyError> {
    db.count();
    let sql = format!(
        "SELECT pg_catalog.pg_read_file({}, 0, 1048576, true)",
        literal(path)
    );
    let row = db
        .client
        .query_one(&sql, &[])
        .await
        .map_err(|err| ApplyError::from_db(&format!("reading {path}"), &err, None))?;
    Ok(row.get::<_, Option<String>>(0).map(Secret::new))
}

/// Runs `statements` pipelined; the first error fails the whole.
async fn execute(db: &Db, statements: &[&str], what: &str) -> Result<(), ApplyError> {
    let results = db.pipeline_texts(statements).await;
    match first_error(&results) {
        Some((_, err)) => Err(ApplyError::from_db(what, err, None)),
        None => Ok(()),
    }
}

/// Puts the previous files back (a file that did not exist stays, unused
/// once the settings are restored) and says so in the error.
pub(in crate::apply) async fn restore(
    db: &Db,
    backup: &Backup,
    mut failure: ApplyError,
) -> ApplyError {
    let previous: Vec<(String, &Secret, bool)> = backup
        .files
        .iter()
        .filter_map(|(path, text)| {
            text.as_ref()
                .map(|t| (path.clone(), t, path.ends_with(SERVER_KEY_FILE)))
        })
        .collect();
    let files: Vec<File<'_>> = previous
        .iter()
        .map(|(path, text, key)| File {
            path: path.clone(),
            text: text.expose(),
            key: *key,
        })
        .collect();
    let note = match write_all(db, &files, backup.local).await {
        Ok(()) => "the previous certificate files were put back".to_owned(),
        Err(err) => format!(
            "putting the previous certificate files back failed too ({}): check the data directory before the server reloads",
            err.message
        ),
    };
    failure.hint = Some(match failure.hint.take() {
        Some(hint) => format!("{hint}\n{note}"),
        None => note,
    });
    failure
}

/// Reloads, waits for the postmaster to have reloaded, then connects with
/// `verify-full` against the authority and a declared name; with
/// `expected`, the server must present exactly that certificate.
pub(in crate::apply) async fn verify(
    db: &Db,
    settings: &ConnectionSettings,
    spec: &ServerCertificate,
    authority: &Authority,
    expected: Option<&[u8]>,
) -> Result<(), ApplyError> {
    let signalled = reload(db).await?;
    crate::apply::reload::wait_until_reloaded(settings, &signalled, "its configuration", |err| {
        failure(
            format!("a new connection failed after the reload: {err}"),
            "check the server log",
        )
    })
    .await?;
    let check = verification_settings(settings, spec, authority).await?;
    // Without a new certificate, the one installed must be the one served:
    // a reload that could not load it leaves the previous one in use.
    let installed = match expected {
        Some(_) => None,
        None => installed_der(db).await?,
    };
    let connected = match expected.or(installed.as_deref()) {
        Some(der) => crate::connect::connect_presenting(&check, der).await,
        None => crate::connect::connect(&check).await,
    };
    let client = connected.map_err(|err| {
        failure(
            format!(
                "a verify-full connection to {} failed after the reload: {err}",
                check.host
            ),
            "PostgreSQL keeps its previous SSL configuration when the new one does not load (it logs \"SSL configuration was not reloaded\" with the reason, e.g. a key file with group access)",
        )
    })?;
    let encrypted = client
        .query_one(
            "SELECT ssl FROM pg_catalog.pg_stat_ssl WHERE pid = pg_catalog.pg_backend_pid()",
            &[],
        )
        .await
        .map(|row| row.get::<_, bool>(0))
        .map_err(|err| ApplyError::from_db("checking the verified connection", &err, None))?;
    if !encrypted {
        return Err(failure(
            "the verification connection is not encrypted".to_owned(),
            "check the server's ssl setting",
        ));
    }
    Ok(())
}

/// The first certificate of pgfort's certificate file, when it holds one.
async fn installed_der(db: &Db) -> Result<Option<Vec<u8>>, ApplyError> {
    let pem = read(db, SERVER_CERT_FILE).await?;
    Ok(pem
        .and_then(|pem| crate::tls::pem_to_der(pem.expose()).ok())
        .and_then(|ders| ders.into_iter().next()))
}

/// Signals a reload (see [`crate::apply::reload`]).
pub(in crate::apply) async fn reload(db: &Db) -> Result<String, ApplyError> {
    crate::apply::reload::signal(db).await
}

/// pgfort's own settings, with `verify-full` against the authority. The
/// host name checked is the one pgfort connects with when the certificate
/// names it, else the certificate's first name, reached at the address
/// pgfort connects to.
async fn verification_settings(
    settings: &ConnectionSettings,
    spec: &ServerCertificate,
    authority: &Authority,
) -> Result<ConnectionSettings, ApplyError> {
    let host = settings.hosts().next().unwrap_or("localhost").to_owned();
    let mut check = settings.clone();
    check.sslmode = SslMode::VerifyFull;
    check.sslrootcert = Some(authority.cert_file.clone());
    let named = |name: &str| {
        spec.dns_names.iter().any(|n| n.eq_ignore_ascii_case(name))
            || name.parse().is_ok_and(|ip| spec.ip_addresses.contains(&ip))
    };
    if !ConnectionSettings::is_socket(&host) && named(&host) {
        check.host = host;
        return Ok(check);
    }
    let address = if ConnectionSettings::is_socket(&host) {
        // Unix sockets carry no TLS: the check goes over TCP to this host.
        std::net::IpAddr::from([127, 0, 0, 1])
    } else if let Ok(ip) = host.parse() {
        ip
    } else {
        tokio::net::lookup_host((host.as_str(), settings.port))
            .await
            .ok()
            .and_then(|mut addrs| addrs.next())
            .map(|addr| addr.ip())
            .ok_or_else(|| {
                failure(
                    format!("cannot resolve {host} to check the new certificate"),
                    "check the host name",
                )
            })?
    };
    let name = spec
        .dns_names
        .first()
        .cloned()
        .or_else(|| spec.ip_addresses.first().map(ToString::to_string))
        .unwrap_or_else(|| spec.common_name.clone());
    check.host = name;
    check.hostaddr = Some(address);
    Ok(check)
}
