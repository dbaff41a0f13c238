//! `tls { }` inside a pgbouncer block: the certificate PgBouncer serves,
//! issued by a declared `certificate_authority` with the same names,
//! validity and renewal rules as `server_certificate`, and the TLS modes
//! PgBouncer enforces towards clients and the server. The settings it
//! writes cannot also be written in `settings` ([`owned_setting`]).

use super::certificates::{dns_names, ip_addresses, key_type, one_of, validity_pair};
use super::{Decoded, Result};
use crate::config::error::ConfigError;
use crate::config::reader::BlockReader;
use crate::model::PgBouncerTls;
use crate::pgbouncer::{
    TLS_CLIENT_SETTINGS, TLS_CLIENT_SSLMODES as CLIENT_SSLMODES, TLS_SERVER_SETTINGS,
    TLS_SERVER_SSLMODES as SERVER_SSLMODES,
};

/// The one `tls` block of `pgbouncer "label"`, if written; its `ca`
/// location is recorded for [`super::certificates::validate`].
pub(super) fn decode(
    reader: &mut BlockReader<'_>,
    out: &mut Decoded,
    label: &str,
) -> Result<Option<PgBouncerTls>> {
    let mut blocks = reader.nested("tls").into_iter();
    let Some(mut tls) = blocks.next() else {
        return Ok(None);
    };
    if let Some(second) = blocks.next() {
        return Err(ConfigError::at(
            second.location(),
            format!(
                "pgbouncer \"{label}\" has a tls block already, at {}",
                tls.location()
            ),
        ));
    }
    let Some(ca) = tls.node("ca")? else {
        return Err(tls.missing("ca", "\"main\" (a certificate_authority)"));
    };
    let ca_name = ca.to_text("ca")?;
    out.config
        .locations
        .insert(ca_key(label), ca.location.clone());
    let dns_names = dns_names(&mut tls)?;
    let ip_addresses = ip_addresses(&mut tls)?;
    let common_name = match tls.string("common_name")? {
        Some(name) => name,
        None => match (dns_names.first(), ip_addresses.first()) {
            (Some(name), _) => name.clone(),
            (None, Some(ip)) => ip.to_string(),
            (None, None) => {
                return Err(tls
                    .missing("dns_names", "[\"pgbouncer.internal\"]")
                    .with_hint("PgBouncer's certificate needs the names clients connect with: dns_names and/or ip_addresses"));
            }
        },
    };
    let (validity, renew_before) = validity_pair(&mut tls)?;
    let key_type = key_type(&mut tls)?;
    let client_sslmode = match tls.node("client_sslmode")? {
        Some(node) => one_of(&node, "client_sslmode", CLIENT_SSLMODES)?,
        None => "require".to_owned(),
    };
    let server_sslmode = match tls.node("server_sslmode")? {
        Some(node) => Some(one_of(&node, "server_sslmode", SERVER_SSLMODES)?),
        None => None,
    };
    tls.finish()?;
    Ok(Some(PgBouncerTls {
        ca: ca_name,
        common_name,
        dns_names,
        ip_addresses,
        validity,
        renew_before,
        key_type,
        client_sslmode,
        server_sslmode,
    }))
}

/// Where the `ca` of pgbouncer `label`'s tls block was written.
pub(crate) fn ca_key(label: &str) -> String {
    format!("pgbouncer.{label}.tls.ca")
}

/// Why `key` cannot be written in `settings` next to `tls`, if it cannot.
pub(super) fn owned_setting(tls: Option<&PgBouncerTls>, key: &str) -> Option<String> {
    let tls = tls?;
    if TLS_CLIENT_SETTINGS.contains(&key) {
        return Some(match key {
            "client_tls_sslmode" => "the tls block sets it (client_sslmode)".to_owned(),
            _ => "the tls block writes it, pointing at the files pgfort issues in config_dir"
                .to_owned(),
        });
    }
    if TLS_SERVER_SETTINGS.contains(&key) && tls.server_sslmode.is_some() {
        return Some(match key {
            "server_tls_sslmode" => "the tls block sets it (server_sslmode)".to_owned(),
            _ => "the tls block writes it: the authority's certificate, in config_dir".to_owned(),
        });
    }
    None
}
