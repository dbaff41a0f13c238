//! PgBouncer's certificate: issued in memory once the authorities exist
//! and before any file is touched ([`issue`]), written next to
//! pgbouncer.ini with the key 0600 ([`files`]), and after the reload proven
//! by a fresh `verify-full` session on the admin console that must be
//! served exactly the certificate on disk ([`verify`]).

use std::path::PathBuf;

use super::console::{Console, ConsoleTls};
use crate::apply::ApplyError;
use crate::model::{PgBouncerTlsWrite, PgBouncerWrite, Secret};
use crate::pgbouncer::{TLS_CA_FILE_NAME, TLS_CERT_FILE_NAME, TLS_KEY_FILE_NAME};

/// The certificate's file mode, and the CA file's.
const CERT_MODE: u32 = 0o644;
/// The key's mode, always (PgBouncer's OpenSSL reads any, but nobody else
/// should).
const KEY_MODE: u32 = 0o600;

/// What is written; `None` keeps a file as it is. The key is a secret.
pub(in crate::apply) struct Material {
    cert_pem: Option<String>,
    key_pem: Option<Secret>,
    ca_pem: Option<String>,
}

/// Issues the certificate the plan calls for, from the authority's files
/// (written by now when the plan generates the authority).
pub(super) fn issue(name: &str, tls: &PgBouncerTlsWrite) -> Result<Material, ApplyError> {
    let (ca_cert, ca_key) = crate::apply::certificates::read_authority(&tls.authority)?;
    let (cert_pem, key_pem) = if tls.issue {
        let spec = &tls.spec;
        let issued = crate::tls::issue_server(
            &spec.common_name,
            &spec.dns_names,
            &spec.ip_addresses,
            spec.key_type,
            spec.validity,
            &ca_cert,
            &ca_key,
            crate::tls::unix_now(),
        )
        .map_err(|e| ApplyError {
            message: format!("pgbouncer \"{name}\": issuing its certificate: {e}"),
            hint: Some("nothing was written".to_owned()),
            ..Default::default()
        })?;
        (Some(issued.cert_pem), Some(issued.key_pem))
    } else {
        (None, None)
    };
    Ok(Material {
        cert_pem,
        key_pem,
        ca_pem: tls.write_ca.then_some(ca_cert),
    })
}

/// One file to write: path, text, mode, whether the mode is forced on an
/// existing file.
pub(super) struct File<'a> {
    pub path: PathBuf,
    pub text: &'a [u8],
    pub mode: u32,
}

/// The files to write, the key before its certificate so a certificate
/// never sits next to a key of another one.
pub(super) fn files<'a>(write: &PgBouncerWrite, material: &'a Material) -> Vec<File<'a>> {
    let path = |name: &str| write.config_dir.join(name);
    let mut files = Vec::new();
    if let (Some(cert), Some(key)) = (&material.cert_pem, &material.key_pem) {
        files.push(File {
            path: path(TLS_KEY_FILE_NAME),
            text: key.expose().as_bytes(),
            mode: KEY_MODE,
        });
        files.push(File {
            path: path(TLS_CERT_FILE_NAME),
            text: cert.as_bytes(),
            mode: CERT_MODE,
        });
    }
    if let Some(ca) = &material.ca_pem {
        files.push(File {
            path: path(TLS_CA_FILE_NAME),
            text: ca.as_bytes(),
            mode: CERT_MODE,
        });
    }
    files
}

/// A fresh admin console session over TLS, checked against the CA file
/// written for PgBouncer, must be served the certificate on disk: RELOAD
/// succeeds even when PgBouncer cannot load the new files (it keeps the
/// old ones). Returns a note when it cannot be checked.
pub(super) async fn verify(
    write: &PgBouncerWrite,
    tls: &PgBouncerTlsWrite,
    url: &Secret,
) -> Result<Option<String>, String> {
    let name = &write.name;
    let Some(host) = Console::tcp_host(url) else {
        return Ok(Some(format!(
            "pgbouncer \"{name}\": admin_url is a Unix socket, which carries no TLS: the certificate served was not checked"
        )));
    };
    let cert_path = write.config_dir.join(TLS_CERT_FILE_NAME);
    let pem = std::fs::read_to_string(&cert_path)
        .map_err(|e| format!("reading {}: {e}", cert_path.display()))?;
    let der = crate::tls::pem_to_der(&pem)
        .ok()
        .and_then(|ders| ders.into_iter().next())
        .ok_or_else(|| format!("{} holds no certificate", cert_path.display()))?;
    let spec = &tls.spec;
    let named = spec.dns_names.iter().any(|n| n.eq_ignore_ascii_case(&host))
        || host.parse().is_ok_and(|ip| spec.ip_addresses.contains(&ip));
    let server_name = match named {
        true => host,
        false => spec
            .dns_names
            .first()
            .cloned()
            .or_else(|| spec.ip_addresses.first().map(ToString::to_string))
            .unwrap_or_else(|| spec.common_name.clone()),
    };
    let root = write.config_dir.join(TLS_CA_FILE_NAME);
    let checked = ConsoleTls::Verify {
        root: &root,
        server_name: server_name.clone(),
        pin: &der,
    };
    let console = Console::connect(url, checked).await.map_err(|why| {
        format!(
            "after RELOAD a verify-full TLS connection (as {server_name}, against {}) was not served {}: {why} (PgBouncer keeps its previous TLS files when the new ones do not load: see its log)",
            root.display(),
            cert_path.display()
        )
    })?;
    console.ping().await?;
    Ok(None)
}
