//! Files on this machine: authorities generated, client certificates
//! issued, keys written with mode 0600 and never shown.

use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

use super::{ApplyError, Prepared, ServerMaterial, failure};
use crate::model::{Authority, Secret, TlsWork};
use crate::tls::{self, unix_now};

/// Generates what the plan says, on this machine, before the server is
/// touched; issues the server certificate in memory.
pub(in crate::apply) fn prepare(work: &TlsWork) -> Result<Prepared, ApplyError> {
    let now = unix_now();
    for authority in &work.generate_authorities {
        let issued = tls::generate_authority(
            &authority.common_name,
            authority.key_type,
            authority.validity,
            now,
        )
        .map_err(|e| {
            failure(
                format!("certificate_authority.{}: {e}", authority.name),
                "nothing was written",
            )
        })?;
        write_pair(
            &authority.cert_file,
            &issued.cert_pem,
            &authority.key_file,
            &issued.key_pem,
        )?;
    }
    for (client, authority) in &work.clients {
        let (ca_cert, ca_key) = read_authority(authority)?;
        let issued = tls::issue_client(
            &client.role,
            client.key_type,
            client.validity,
            &ca_cert,
            &ca_key,
            now,
        )
        .map_err(|e| {
            failure(
                format!("client_certificate.{}: {e}", client.role),
                "check the authority's files",
            )
        })?;
        write_pair(
            &client.cert_path(),
            &issued.cert_pem,
            &client.key_path(),
            &issued.key_pem,
        )?;
    }
    let mut prepared = Prepared::default();
    if let Some(install) = &work.server {
        let (ca_cert, ca_key) = read_authority(&install.authority)?;
        let (cert_pem, key_pem) = if install.issue {
            let spec = &install.spec;
            let issued = tls::issue_server(
                &spec.common_name,
                &spec.dns_names,
                &spec.ip_addresses,
                spec.key_type,
                spec.validity,
                &ca_cert,
                &ca_key,
                now,
            )
            .map_err(|e| {
                failure(
                    format!("server_certificate: {e}"),
                    "nothing was written on the server",
                )
            })?;
            (Some(issued.cert_pem), Some(issued.key_pem))
        } else {
            (None, None)
        };
        prepared.server = Some(ServerMaterial {
            cert_pem,
            key_pem,
            ca_pem: ca_cert,
            data_directory: install.data_directory.clone(),
        });
    }
    Ok(prepared)
}

/// The authority's certificate and key, as written on this machine.
pub(in crate::apply) fn read_authority(
    authority: &Authority,
) -> Result<(String, Secret), ApplyError> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|e| {
            failure(
                format!(
                    "certificate_authority.{}: cannot read {}: {e}",
                    authority.name,
                    path.display()
                ),
                "the files changed since the plan was made; run plan again",
            )
        })
    };
    let cert = read(&authority.cert_file)?;
    let key = Secret::new(read(&authority.key_file)?);
    Ok((cert, key))
}

/// Writes the certificate (0644) and its key (0600). The key is written
/// first so a certificate never sits next to a key of another one.
fn write_pair(
    cert_path: &Path,
    cert: &str,
    key_path: &Path,
    key: &Secret,
) -> Result<(), ApplyError> {
    write_file(key_path, key.expose(), 0o600)?;
    write_file(cert_path, cert, 0o644)
}

/// Replaces `path` with `text` through a temporary file in the same
/// directory, created with `mode`, so no reader sees half a file and a key
/// is never readable by others, even for a moment.
pub(in crate::apply) fn write_file(path: &Path, text: &str, mode: u32) -> Result<(), ApplyError> {
    let fail = |e: std::io::Error| {
        failure(
            format!("writing {}: {e}", path.display()),
            "check the directory's permissions",
        )
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    std::fs::create_dir_all(dir).map_err(fail)?;
    let temp = dir.join(format!(".{name}.pgfort-new"));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&temp)
        .map_err(fail)?;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(fail)?;
    file.write_all(text.as_bytes()).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    std::fs::rename(&temp, path).map_err(fail)
}
