//! The certificate of a PgBouncer with a `tls` block: kept while it is
//! issued by the declared authority, carries the declared names, has more
//! than `renew_before` left and its key is the certificate's own and
//! private (the rule of the server's certificate, [`leaf_certificate_reasons`]);
//! otherwise reissued, and the plan says why. The CA file must hold the
//! authority's certificate.

use super::certificates::{DAY, LeafSpec, expiry, key_file_reason, leaf_certificate_reasons};
use crate::model::{PgBouncer, PgBouncerTlsFiles, PgBouncerTlsWrite, Tls};
use crate::pgbouncer::{TLS_CA_FILE_NAME, TLS_CERT_FILE_NAME, TLS_KEY_FILE_NAME};
use crate::plan::AttributeChange;

/// The certificate work for `pgbouncer`, with the reasons and attributes
/// the plan shows; `None` when its files are right (or there is no `tls`
/// block, or its authority is not declared: validation says so).
pub(super) fn tls_work(
    pgbouncer: &PgBouncer,
    files: &PgBouncerTlsFiles,
    tls: &Tls,
) -> Option<(PgBouncerTlsWrite, Vec<String>, Vec<AttributeChange>)> {
    let spec = pgbouncer.tls.as_ref()?;
    let authority = tls.authorities.get(&spec.ca)?;
    let cert_path = pgbouncer.config_dir.join(TLS_CERT_FILE_NAME);
    let key_path = pgbouncer.config_dir.join(TLS_KEY_FILE_NAME);
    let mut reasons = match &files.certificate {
        None => vec![format!("{} does not exist", cert_path.display())],
        Some(cert) => {
            let mut reasons = leaf_certificate_reasons(
                cert,
                authority,
                &LeafSpec {
                    common_name: &spec.common_name,
                    dns_names: &spec.dns_names,
                    ip_addresses: &spec.ip_addresses,
                    key_type: spec.key_type,
                    renew_before: spec.renew_before,
                },
                tls.now,
            );
            reasons.extend(key_file_reason(
                &key_path,
                files.key_matches,
                files.key_private,
            ));
            reasons
        }
    };
    let issue = !reasons.is_empty();
    let write_ca = match (&authority.existing, &files.ca) {
        (Some(ca), Some(written)) => ca.sha256 != written.sha256,
        _ => true,
    };
    if !issue && !write_ca {
        return None;
    }
    if write_ca && !issue {
        reasons.push(format!(
            "{TLS_CA_FILE_NAME} does not hold certificate_authority.{}",
            authority.name
        ));
    }
    let reasons = reasons
        .into_iter()
        .map(|reason| format!("certificate: {reason}"))
        .collect();
    let mut attributes = Vec::new();
    if issue {
        let before = files.certificate.as_ref();
        let list = |items: Vec<String>| format!("[{}]", items.join(", "));
        let ips = |ips: &[std::net::IpAddr]| list(ips.iter().map(ToString::to_string).collect());
        attributes.push(AttributeChange::new(
            "certificate.dns_names",
            before.map(|c| list(c.dns_names.clone())),
            Some(list(spec.dns_names.clone())),
        ));
        attributes.push(AttributeChange::new(
            "certificate.ip_addresses",
            before.map(|c| ips(&c.ip_addresses)),
            Some(ips(&spec.ip_addresses)),
        ));
        attributes.push(AttributeChange::new(
            "certificate.expires",
            before.map(|c| expiry(c.not_after - tls.now)),
            Some(format!("in {} days", spec.validity.0 / DAY)),
        ));
        attributes.retain(|a| a.before != a.after);
        attributes.push(AttributeChange::new(
            "certificate.files",
            None,
            Some(format!(
                "\"{}\", \"{}\" (key mode 0600)",
                cert_path.display(),
                key_path.display()
            )),
        ));
    }
    let write = PgBouncerTlsWrite {
        spec: spec.clone(),
        authority: authority.clone(),
        issue,
        write_ca,
    };
    Some((write, reasons, attributes))
}

#[cfg(test)]
#[path = "pgbouncer_tls_tests.rs"]
mod tests;
