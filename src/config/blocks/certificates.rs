//! `certificate_authority "name"`, `server_certificate` and
//! `client_certificate "role"`. The local files are read here, so a bad or
//! mismatched pair is a configuration error with a location and nothing
//! reaches the server. References to authorities are checked once every
//! block is decoded ([`validate`]).

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Decoded, Result};
use crate::config::error::{ConfigError, Location};
use crate::config::reader::BlockReader;
use crate::config::suggest::did_you_mean;
use crate::config::value::Node;
use crate::model::{Authority, CertFacts, ClientCertificate, KeyType, Lifetime, ServerCertificate};
use crate::tls;

const CA_VALIDITY: Lifetime = Lifetime::days(3650);
const LEAF_VALIDITY: Lifetime = Lifetime::days(365);
const RENEW_BEFORE: Lifetime = Lifetime::days(30);
const PROTOCOLS: &[&str] = &["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];
/// What `ssl_min_protocol_version` is set to unless written.
const DEFAULT_PROTOCOL: &str = "TLSv1.2";

pub(super) fn decode_authority(reader: &mut BlockReader<'_>, out: &mut Decoded) -> Result<()> {
    let (name, location) = reader.label(0);
    super::check_name("certificate authority", &name, &location)?;
    let key = format!("certificate_authority.{name}");
    if let Some(first) = out.config.locations.get(&key) {
        return Err(ConfigError::at(
            location,
            format!("certificate_authority \"{name}\" is already declared at {first}"),
        ));
    }
    let cert_file = path(reader, "cert_file", &out.dir)?.unwrap_or_else(|| {
        (
            absolute(&out.dir.join(format!("{name}.crt"))),
            location.clone(),
        )
    });
    let key_file = path(reader, "key_file", &out.dir)?.unwrap_or_else(|| {
        (
            absolute(&out.dir.join(format!("{name}.key"))),
            location.clone(),
        )
    });
    let common_name = reader
        .string("common_name")?
        .unwrap_or_else(|| format!("{name} certificate authority"));
    let validity = lifetime(reader, "validity")?.map_or(CA_VALIDITY, |(l, _)| l);
    let key_type = key_type(reader)?;
    let existing = existing_authority(&cert_file, &key_file, out.config.desired.tls.now)?;
    out.config.locations.insert(key, location);
    out.config.desired.tls.authorities.insert(
        name.clone(),
        Authority {
            name,
            cert_file: cert_file.0,
            key_file: key_file.0,
            common_name,
            validity,
            key_type,
            existing,
        },
    );
    Ok(())
}

pub(super) fn decode_server(reader: &mut BlockReader<'_>, out: &mut Decoded) -> Result<()> {
    out.claim_singleton("server_certificate", reader.location())?;
    let ca = authority_ref(reader, out, "server_certificate.ca")?;
    let dns_names = dns_names(reader)?;
    let ip_addresses = ip_addresses(reader)?;
    let common_name = match reader.string("common_name")? {
        Some(name) => name,
        None => match (dns_names.first(), ip_addresses.first()) {
            (Some(name), _) => name.clone(),
            (None, Some(ip)) => ip.to_string(),
            (None, None) => {
                return Err(reader.missing("dns_names", "[\"db.example.com\"]").with_hint(
                    "a server certificate needs the names clients connect with: dns_names and/or ip_addresses",
                ));
            }
        },
    };
    let (validity, renew_before) = validity_pair(reader)?;
    let key_type = key_type(reader)?;
    let min_protocol_version = match reader.node("min_protocol_version")? {
        None => DEFAULT_PROTOCOL.to_owned(),
        Some(node) => one_of(&node, "min_protocol_version", PROTOCOLS)?,
    };
    out.config.desired.tls.server = Some(ServerCertificate {
        ca,
        common_name,
        dns_names,
        ip_addresses,
        validity,
        renew_before,
        key_type,
        min_protocol_version,
    });
    Ok(())
}

pub(super) fn decode_client(reader: &mut BlockReader<'_>, out: &mut Decoded) -> Result<()> {
    let (role, location) = reader.label(0);
    super::check_name("role", &role, &location)?;
    let key = format!("client_certificate.{role}");
    if let Some(first) = out.config.locations.get(&key) {
        return Err(ConfigError::at(
            location,
            format!("client_certificate \"{role}\" is already declared at {first}"),
        ));
    }
    let ca = authority_ref(reader, out, &format!("{key}.ca"))?;
    let out_dir = path(reader, "out_dir", &out.dir)?.map_or_else(|| absolute(&out.dir), |(p, _)| p);
    let (validity, renew_before) = validity_pair(reader)?;
    let key_type = key_type(reader)?;
    let mut client = ClientCertificate {
        role: role.clone(),
        ca,
        out_dir,
        validity,
        renew_before,
        key_type,
        existing: None,
        key_matches: false,
        key_private: false,
    };
    read_client_files(&mut client, &location)?;
    out.config.locations.insert(key, location);
    out.config.desired.tls.clients.insert(role, client);
    Ok(())
}

/// The `ca` attribute; recorded under `key` so [`validate`] can point at it.
fn authority_ref(reader: &mut BlockReader<'_>, out: &mut Decoded, key: &str) -> Result<String> {
    let Some(node) = reader.node("ca")? else {
        return Err(reader.missing("ca", "\"main\""));
    };
    let name = node.to_text("ca")?;
    out.config.locations.insert(key.to_owned(), node.location);
    Ok(name)
}

fn path(
    reader: &mut BlockReader<'_>,
    name: &'static str,
    dir: &Path,
) -> Result<Option<(PathBuf, Location)>> {
    let Some(node) = reader.node(name)? else {
        return Ok(None);
    };
    let text = node.to_text(name)?;
    if text.trim().is_empty() {
        return Err(ConfigError::at(
            node.location,
            format!("{name} cannot be empty"),
        ));
    }
    Ok(Some((absolute(&dir.join(text)), node.location)))
}

/// Paths are kept absolute: a saved plan may be applied from elsewhere.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn lifetime(
    reader: &mut BlockReader<'_>,
    name: &'static str,
) -> Result<Option<(Lifetime, Location)>> {
    let Some(node) = reader.node(name)? else {
        return Ok(None);
    };
    let text = node.to_text(name)?;
    match Lifetime::parse(&text) {
        Some(lifetime) => Ok(Some((lifetime, node.location))),
        None => Err(ConfigError::at(
            node.location,
            format!("invalid {name} \"{text}\": expected a number of days, hours or minutes"),
        )
        .with_hint("write e.g. \"365d\", \"12h\" or \"90m\"")),
    }
}

/// `validity` and `renew_before`; a certificate must outlive the margin
/// at which it is renewed, or every plan would renew it again.
pub(super) fn validity_pair(reader: &mut BlockReader<'_>) -> Result<(Lifetime, Lifetime)> {
    let validity = lifetime(reader, "validity")?;
    let renew = lifetime(reader, "renew_before")?;
    let validity_value = validity.as_ref().map_or(LEAF_VALIDITY, |(l, _)| *l);
    let renew_value = renew.as_ref().map_or(RENEW_BEFORE, |(l, _)| *l);
    if validity_value <= renew_value {
        let at = renew
            .map(|(_, l)| l)
            .or(validity.map(|(_, l)| l))
            .unwrap_or_else(|| reader.location());
        return Err(ConfigError::at(
            at,
            format!(
                "renew_before ({renew_value}) must be shorter than validity ({validity_value}): the certificate would be renewed on every apply"
            ),
        ));
    }
    Ok((validity_value, renew_value))
}

pub(super) fn key_type(reader: &mut BlockReader<'_>) -> Result<KeyType> {
    let Some(node) = reader.node("key_type")? else {
        return Ok(KeyType::default());
    };
    let text = one_of(&node, "key_type", KeyType::NAMES)?;
    Ok(KeyType::parse(&text).unwrap_or_default())
}

/// A text that must be one of `allowed` (compared without case).
pub(super) fn one_of(node: &Node, what: &str, allowed: &[&str]) -> Result<String> {
    let text = node.to_text(what)?;
    match allowed.iter().find(|a| a.eq_ignore_ascii_case(&text)) {
        Some(found) => Ok((*found).to_owned()),
        None => Err(ConfigError::at(
            node.location.clone(),
            format!(
                "invalid {what} \"{text}\", expected one of: {}",
                allowed.join(", ")
            ),
        )
        .with_optional_hint(did_you_mean(&text, allowed.iter().copied()))),
    }
}

pub(super) fn dns_names(reader: &mut BlockReader<'_>) -> Result<Vec<String>> {
    let Some(node) = reader.node("dns_names")? else {
        return Ok(Vec::new());
    };
    let names = super::common::text_list(&node, "dns_names", "DNS")?;
    super::common::check_unique(&names, "dns_names")?;
    names
        .into_iter()
        .map(|(name, location)| {
            if valid_dns_name(&name) {
                Ok(name.to_ascii_lowercase())
            } else {
                Err(ConfigError::at(location, format!("\"{name}\" is not a valid DNS name"))
                    .with_hint("letters, digits and hyphens in dot-separated labels of at most 63 characters; \"*.\" only as the first label; addresses go in ip_addresses"))
            }
        })
        .collect()
}

/// A host name (RFC 1123 labels), optionally with a leading `*.` label.
pub(crate) fn valid_dns_name(name: &str) -> bool {
    let rest = name.strip_prefix("*.").unwrap_or(name);
    !rest.is_empty()
        && name.len() <= 253
        && rest.parse::<IpAddr>().is_err()
        && rest.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

pub(super) fn ip_addresses(reader: &mut BlockReader<'_>) -> Result<Vec<IpAddr>> {
    let Some(node) = reader.node("ip_addresses")? else {
        return Ok(Vec::new());
    };
    let texts = super::common::text_list(&node, "ip_addresses", "IP address")?;
    super::common::check_unique(&texts, "ip_addresses")?;
    texts
        .into_iter()
        .map(|(text, location)| {
            text.parse().map_err(|_| {
                ConfigError::at(location, format!("\"{text}\" is not an IP address"))
                    .with_hint("write e.g. \"10.0.0.5\" or \"::1\"; host names go in dns_names")
            })
        })
        .collect()
}

/// The pair in `cert_file` / `key_file`: both present and valid, or both
/// absent (generated at apply). One without the other, an unreadable or
/// expired certificate, or a key of another certificate is an error.
fn existing_authority(
    cert: &(PathBuf, Location),
    key: &(PathBuf, Location),
    now: i64,
) -> Result<Option<CertFacts>> {
    let (cert_path, cert_at) = cert;
    let (key_path, key_at) = key;
    match (cert_path.exists(), key_path.exists()) {
        (false, false) => return Ok(None),
        (true, false) => {
            return Err(ConfigError::at(
                key_at.clone(),
                format!(
                    "{} exists but the key file {} does not",
                    cert_path.display(),
                    key_path.display()
                ),
            )
            .with_hint(
                "give the key's path in key_file, or remove both files to generate a new authority",
            ));
        }
        (false, true) => {
            return Err(ConfigError::at(
                cert_at.clone(),
                format!("{} exists but the certificate file {} does not", key_path.display(), cert_path.display()),
            )
            .with_hint("give the certificate's path in cert_file, or remove both files to generate a new authority"));
        }
        (true, true) => {}
    }
    let read = |path: &Path, at: &Location| {
        std::fs::read_to_string(path).map_err(|e| {
            ConfigError::at(at.clone(), format!("cannot read {}: {e}", path.display()))
        })
    };
    let facts = tls::first_certificate(&read(cert_path, cert_at)?)
        .map_err(|e| ConfigError::at(cert_at.clone(), format!("{}: {e}", cert_path.display())))?;
    if !facts.is_ca {
        return Err(ConfigError::at(
            cert_at.clone(),
            format!(
                "{} is not a certificate authority (no CA basic constraint)",
                cert_path.display()
            ),
        ));
    }
    if facts.not_after <= now {
        return Err(ConfigError::at(
            cert_at.clone(),
            format!("the authority in {} has expired", cert_path.display()),
        )
        .with_hint("replace it, or remove both files to generate a new authority (every certificate it issued must then be reissued)"));
    }
    // The key text is never put in a message.
    let key_pair = tls::load_key(&read(key_path, key_at)?)
        .map_err(|e| ConfigError::at(key_at.clone(), format!("{}: {e}", key_path.display())))?;
    if !tls::key_matches(&facts, &key_pair) {
        return Err(ConfigError::at(
            key_at.clone(),
            format!(
                "{} is not the key of {}",
                key_path.display(),
                cert_path.display()
            ),
        ));
    }
    Ok(Some(facts))
}

/// What `role.crt` / `role.key` hold now. Files that do not parse are
/// replaced, not refused: they are pgfort's own output.
fn read_client_files(client: &mut ClientCertificate, at: &Location) -> Result<()> {
    let cert_path = client.cert_path();
    if !cert_path.exists() {
        return Ok(());
    }
    let text = std::fs::read_to_string(&cert_path).map_err(|e| {
        ConfigError::at(
            at.clone(),
            format!("cannot read {}: {e}", cert_path.display()),
        )
    })?;
    client.existing = tls::first_certificate(&text).ok();
    let key_path = client.key_path();
    client.key_private = std::fs::metadata(&key_path)
        .is_ok_and(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o077 == 0);
    let key = std::fs::read_to_string(&key_path).ok();
    client.key_matches = match (&client.existing, key.and_then(|k| tls::load_key(&k).ok())) {
        (Some(facts), Some(key)) => tls::key_matches(facts, &key),
        _ => false,
    };
    Ok(())
}

/// The declared certificates with their local files read again, as they
/// are now (after an apply wrote some, or when time has passed).
pub(crate) fn refresh(config: &crate::config::Config) -> Result<crate::model::Tls> {
    let mut tls = config.desired.tls.clone();
    tls.now = tls::unix_now();
    for authority in tls.authorities.values_mut() {
        let at = config
            .locations
            .get(&format!("certificate_authority.{}", authority.name))
            .cloned()
            .unwrap_or_else(|| file_start(&authority.cert_file));
        authority.existing = existing_authority(
            &(authority.cert_file.clone(), at.clone()),
            &(authority.key_file.clone(), at),
            tls.now,
        )?;
    }
    for client in tls.clients.values_mut() {
        let at = config
            .locations
            .get(&format!("client_certificate.{}", client.role))
            .cloned()
            .unwrap_or_else(|| file_start(&client.out_dir));
        client.existing = None;
        client.key_matches = false;
        client.key_private = false;
        read_client_files(client, &at)?;
    }
    Ok(tls)
}

fn file_start(path: &Path) -> Location {
    Location {
        file: Arc::from(path),
        line: 1,
        column: 1,
    }
}

/// Settings a server certificate decides; written in `settings` too they
/// could only disagree.
const DERIVED_SETTINGS: &[&str] = &[
    "ssl",
    "ssl_cert_file",
    "ssl_key_file",
    "ssl_ca_file",
    "ssl_min_protocol_version",
];

/// Every `ca` names a declared authority; settings do not fight the
/// server certificate.
pub(crate) fn validate(decoded: &Decoded) -> Result<()> {
    let config = &decoded.config;
    let tls = &config.desired.tls;
    let refs = tls
        .server
        .iter()
        .map(|s| (s.ca.as_str(), "server_certificate.ca".to_owned()))
        .chain(
            tls.clients
                .values()
                .map(|c| (c.ca.as_str(), format!("client_certificate.{}.ca", c.role))),
        )
        .chain(config.desired.pgbouncers.values().filter_map(|p| {
            p.tls
                .as_ref()
                .map(|t| (t.ca.as_str(), super::pgbouncer_tls::ca_key(&p.name)))
        }));
    for (ca, key) in refs {
        if tls.authorities.contains_key(ca) {
            continue;
        }
        let message = format!("certificate_authority \"{ca}\" is not declared");
        let hint = did_you_mean(ca, tls.authorities.keys().map(String::as_str))
            .unwrap_or_else(|| format!("declare it: certificate_authority \"{ca}\" {{}}"));
        return Err(match config.locations.get(&key) {
            Some(at) => ConfigError::at(at.clone(), message),
            None => ConfigError::general(message),
        }
        .with_hint(hint));
    }
    if let Some(server) = &tls.server {
        for name in DERIVED_SETTINGS {
            let declared = config.desired.settings.values.get(*name);
            // The same minimum in both places (a baseline module's) agrees.
            let agrees = *name == "ssl_min_protocol_version"
                && declared.is_some_and(|v| v.eq_ignore_ascii_case(&server.min_protocol_version));
            if declared.is_some() && !agrees {
                let message = format!(
                    "{name} is set by server_certificate and cannot also be written in settings"
                );
                let at = config.locations.get(&format!("settings.{name}"));
                return Err(match at {
                    Some(at) => ConfigError::at(at.clone(), message),
                    None => ConfigError::general(message),
                }
                .with_hint("remove it from settings (ssl_min_protocol_version is server_certificate's min_protocol_version)"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::valid_dns_name;

    #[test]
    fn dns_names() {
        for good in ["db.example.com", "localhost", "*.example.com", "a-b.c1"] {
            assert!(valid_dns_name(good), "{good}");
        }
        for bad in [
            "",
            "-a.com",
            "a..b",
            "*",
            "a.*.com",
            "10.0.0.1",
            "under_score.com",
            "x y",
        ] {
            assert!(!valid_dns_name(bad), "{bad}");
        }
    }
}
