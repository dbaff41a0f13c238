//! Certificates: authorities to generate, the server certificate to issue
//! and install, client certificates to issue. A certificate is kept while
//! it is issued by the declared authority, carries the declared names and
//! has more than `renew_before` left; otherwise the change says why. A
//! certificate right on disk but not the one the server serves is a
//! pending reload ([`served`]).

use super::{Diff, DiffError, DiffInput};
use crate::model::{
    Authority, CertFacts, ClientCertificate, InstalledSsl, KeyType, SERVER_CA_FILE,
    SERVER_CERT_FILE, ServerCertificate, ServerInstall, Tls,
};
use crate::plan::{Action, AttributeChange, Change, Need, Phase, address};
use crate::tls::issued_by;
use served::Served;

pub(super) const DAY: i64 = 86_400;

/// The address of the server certificate's change.
const SERVER_CERTIFICATE: &str = "server_certificate";

pub(super) fn diff_certificates(input: &DiffInput<'_>, out: &mut Diff) -> Result<(), DiffError> {
    let desired = &input.desired.tls;
    for authority in desired.authorities.values() {
        match &authority.existing {
            None => {
                out.changes.push(authority_change(authority));
                out.tls.generate_authorities.push(authority.clone());
            }
            Some(ca) => out.warnings.extend(outlived_by(
                authority,
                ca,
                desired,
                &input.desired.pgbouncers,
            )),
        }
    }
    for client in desired.clients.values() {
        let Some(authority) = desired.authorities.get(&client.ca) else {
            continue;
        };
        let reasons = client_reasons(client, authority, desired.now);
        if !reasons.is_empty() {
            let mut change = client_change(client, reasons);
            change.need(Need::names(address::authority(&client.ca)));
            out.changes.push(change);
            out.tls.clients.push((client.clone(), authority.clone()));
        }
    }
    if let Some(server) = &desired.server
        && let Some(authority) = desired.authorities.get(&server.ca)
    {
        let installed = input.live.tls.installed.clone().unwrap_or_default();
        if !installed.files_accessible {
            return Err(DiffError {
                message: "server_certificate needs a superuser connection: pgfort reads the installed certificate and writes the new files in the data directory".to_owned(),
                hint: Some("connect as a superuser, or remove the server_certificate block".to_owned()),
            });
        }
        let install = server_install(server, authority, &installed, desired);
        let mut reload_pending = false;
        let ssl_settings_change = out
            .changes
            .iter()
            .any(|c| c.address.starts_with("setting.ssl"));
        if let Some((install, mut change)) = install {
            if install.issue && !installed.private_session {
                out.warnings.push(
                    "the new server key is sent over this connection, which is neither encrypted nor local: unless pgfort runs on the server's host (--pgdata), connect with sslmode=require, over a Unix socket, or through an SSH tunnel"
                        .to_owned(),
                );
            }
            change.need(Need::names(address::authority(&server.ca)));
            // The new certificate is verified with the ssl settings in
            // place: a targeted plan takes them together.
            for setting in out.changes.iter_mut() {
                if setting.address.starts_with("setting.ssl") {
                    setting.need(Need::together(SERVER_CERTIFICATE));
                    change.need(Need::together(setting.address.clone()));
                }
            }
            out.changes.push(change);
            out.tls.server = Some(install);
        } else if !ssl_settings_change {
            match served::compare(&installed, SERVER_CERTIFICATE) {
                Served::Same => {}
                Served::Unseen(warning) => out.warnings.push(warning),
                Served::Stale(mut change) => {
                    // The reload apply verifies; shown once in the plan.
                    let reloads = out.changes.iter().flat_map(|c| &c.statements);
                    if !reloads
                        .into_iter()
                        .any(|s| s.phase == Phase::ReloadConfiguration)
                    {
                        change.statements.push(crate::sql::system::reload());
                    }
                    out.changes.push(*change);
                    reload_pending = true;
                }
            }
        }
        if out.tls.server.is_some() || ssl_settings_change || reload_pending {
            out.tls.verify = Some((server.clone(), authority.clone()));
        }
    }
    Ok(())
}

/// A certificate issued now would outlive its authority: clients stop
/// trusting it when the authority expires, whatever its own date says.
fn outlived_by(
    authority: &Authority,
    ca: &CertFacts,
    tls: &Tls,
    pgbouncers: &std::collections::BTreeMap<String, crate::model::PgBouncer>,
) -> Option<String> {
    let pgbouncer_validities = pgbouncers
        .values()
        .filter_map(|p| p.tls.as_ref())
        .filter(|t| t.ca == authority.name)
        .map(|t| t.validity);
    let longest = tls
        .server
        .iter()
        .filter(|s| s.ca == authority.name)
        .map(|s| s.validity)
        .chain(
            tls.clients
                .values()
                .filter(|c| c.ca == authority.name)
                .map(|c| c.validity),
        )
        .chain(pgbouncer_validities)
        .max()?;
    let left = ca.not_after - tls.now;
    (left < longest.0).then(|| {
        format!(
            "certificate_authority.{} expires in {} days, before a certificate it issues now ({longest}) would: replace the authority (remove both files to generate a new one) or shorten validity",
            authority.name,
            left / DAY
        )
    })
}

fn authority_change(authority: &Authority) -> Change {
    let mut change = Change::new(
        format!("certificate_authority.{}", authority.name),
        Action::Create,
    );
    let attributes = [
        ("common_name", authority.common_name.clone()),
        ("key_type", authority.key_type.name().to_owned()),
        ("validity", authority.validity.to_string()),
        ("cert_file", authority.cert_file.display().to_string()),
        ("key_file", authority.key_file.display().to_string()),
    ];
    for (name, value) in attributes {
        change.attributes.push(AttributeChange::new(
            name,
            None,
            Some(format!("\"{value}\"")),
        ));
    }
    change.reasons.push(
        "neither file exists: a new authority is generated on this machine (key file mode 0600)"
            .to_owned(),
    );
    change
}

/// Why a certificate must be reissued (empty: keep it).
fn leaf_reasons(
    cert: &CertFacts,
    authority: &Authority,
    key_type: KeyType,
    renew_before: crate::model::Lifetime,
    now: i64,
) -> Vec<String> {
    let mut reasons = Vec::new();
    if let Some(actual) = cert.key_type
        && actual != key_type
    {
        reasons.push(format!("key is {}, not {}", actual.name(), key_type.name()));
    }
    match &authority.existing {
        None => reasons.push(format!(
            "issued by another CA (certificate_authority.{} is new)",
            authority.name
        )),
        Some(ca) if !issued_by(cert, ca) => reasons.push(format!(
            "issued by another CA (not certificate_authority.{})",
            authority.name
        )),
        Some(_) => {}
    }
    let left = cert.not_after - now;
    if left <= 0 {
        reasons.push(format!("expired {} days ago", (-left) / DAY));
    } else if left <= renew_before.0 {
        reasons.push(format!(
            "expires in {} days (renew_before {renew_before})",
            left / DAY
        ));
    }
    reasons
}

/// What a certificate served under names must carry.
pub(super) struct LeafSpec<'a> {
    pub common_name: &'a str,
    pub dns_names: &'a [String],
    pub ip_addresses: &'a [std::net::IpAddr],
    pub key_type: KeyType,
    pub renew_before: crate::model::Lifetime,
}

/// Why a certificate served under names must be reissued (empty: keep
/// it): the authority, key type and renewal of [`leaf_reasons`], and every
/// declared name. One rule for the server's certificate and PgBouncer's.
pub(super) fn leaf_certificate_reasons(
    cert: &CertFacts,
    authority: &Authority,
    spec: &LeafSpec<'_>,
    now: i64,
) -> Vec<String> {
    let mut reasons = leaf_reasons(cert, authority, spec.key_type, spec.renew_before, now);
    if cert.common_name.as_deref() != Some(spec.common_name) {
        reasons.push(format!(
            "common name is {}, not {}",
            cert.common_name.as_deref().unwrap_or("(none)"),
            spec.common_name
        ));
    }
    for name in spec.dns_names {
        if !cert.dns_names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            reasons.push(format!("missing DNS name {name}"));
        }
    }
    for ip in spec.ip_addresses {
        if !cert.ip_addresses.contains(ip) {
            reasons.push(format!("missing IP address {ip}"));
        }
    }
    reasons
}

/// Why a key file next to its certificate must be written again, if it
/// must: clients (libpq) and PgBouncer refuse keys others can read.
pub(super) fn key_file_reason(
    path: &std::path::Path,
    matches: bool,
    private: bool,
) -> Option<String> {
    if !matches {
        Some(format!(
            "{} is missing or is not the certificate's key",
            path.display()
        ))
    } else if !private {
        Some(format!(
            "{} is readable by others than its owner",
            path.display()
        ))
    } else {
        None
    }
}

fn server_install(
    server: &ServerCertificate,
    authority: &Authority,
    installed: &InstalledSsl,
    tls: &Tls,
) -> Option<(ServerInstall, Change)> {
    let ours = |setting: &str, file: &str| {
        setting == file || setting == format!("{}/{file}", installed.data_directory)
    };
    let mut reasons = Vec::new();
    match &installed.certificate {
        None if ours(&installed.cert_file, SERVER_CERT_FILE) => {
            reasons.push("no certificate is installed".to_owned())
        }
        None => reasons.push(format!(
            "the server uses {}, not pgfort's {SERVER_CERT_FILE}",
            installed.cert_file
        )),
        Some(_) if !ours(&installed.cert_file, SERVER_CERT_FILE) => reasons.push(format!(
            "the server uses {}, not pgfort's {SERVER_CERT_FILE}",
            installed.cert_file
        )),
        Some(cert) => reasons.extend(leaf_certificate_reasons(
            cert,
            authority,
            &LeafSpec {
                common_name: &server.common_name,
                dns_names: &server.dns_names,
                ip_addresses: &server.ip_addresses,
                key_type: server.key_type,
                renew_before: server.renew_before,
            },
            tls.now,
        )),
    }
    let issue = !reasons.is_empty();
    let installed_ca = installed
        .ca_pem
        .as_deref()
        .and_then(|pem| crate::tls::first_certificate(pem).ok());
    let write_ca = issue
        || !ours(&installed.ca_file, SERVER_CA_FILE)
        || match (&authority.existing, installed_ca) {
            (Some(ca), Some(live)) => ca.sha256 != live.sha256,
            _ => true,
        };
    if !issue && !write_ca {
        return None;
    }
    if !issue {
        reasons.push(format!(
            "{SERVER_CA_FILE} does not hold certificate_authority.{}",
            authority.name
        ));
    }
    let action = if installed.certificate.is_some() {
        Action::Update
    } else {
        Action::Create
    };
    let mut change = Change::new(SERVER_CERTIFICATE, action);
    change.reasons = reasons;
    if issue {
        let before = installed.certificate.as_ref();
        let list = |items: Vec<String>| format!("[{}]", items.join(", "));
        change.attributes.push(AttributeChange::new(
            "dns_names",
            before.map(|c| list(c.dns_names.clone())),
            Some(list(server.dns_names.clone())),
        ));
        change.attributes.push(AttributeChange::new(
            "ip_addresses",
            before.map(|c| list(c.ip_addresses.iter().map(ToString::to_string).collect())),
            Some(list(
                server
                    .ip_addresses
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            )),
        ));
        change.attributes.push(AttributeChange::new(
            "expires",
            before.map(|c| expiry(c.not_after - tls.now)),
            Some(format!("in {} days", server.validity.0 / DAY)),
        ));
        change.attributes.retain(|a| a.before != a.after);
    }
    let install = ServerInstall {
        spec: server.clone(),
        authority: authority.clone(),
        data_directory: installed.data_directory.clone(),
        issue,
        write_ca,
    };
    Some((install, change))
}

pub(super) fn expiry(left: i64) -> String {
    if left < 0 {
        format!("{} days ago", (-left) / DAY)
    } else {
        format!("in {} days", left / DAY)
    }
}

fn client_reasons(client: &ClientCertificate, authority: &Authority, now: i64) -> Vec<String> {
    let Some(cert) = &client.existing else {
        return vec![format!("{} does not exist", client.cert_path().display())];
    };
    let mut reasons = leaf_reasons(cert, authority, client.key_type, client.renew_before, now);
    if cert.common_name.as_deref() != Some(client.role.as_str()) {
        reasons.push(format!(
            "common name is {}, not {}",
            cert.common_name.as_deref().unwrap_or("(none)"),
            client.role
        ));
    }
    reasons.extend(key_file_reason(
        &client.key_path(),
        client.key_matches,
        client.key_private,
    ));
    reasons
}

fn client_change(client: &ClientCertificate, reasons: Vec<String>) -> Change {
    let action = if client.existing.is_some() {
        Action::Update
    } else {
        Action::Create
    };
    let mut change = Change::new(format!("client_certificate.{}", client.role), action);
    change.attributes.push(AttributeChange::new(
        "files",
        None,
        Some(format!(
            "\"{}\", \"{}\"",
            client.cert_path().display(),
            client.key_path().display()
        )),
    ));
    change.reasons = reasons;
    change
}

mod served;
#[cfg(test)]
mod tests;
