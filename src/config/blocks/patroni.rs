//! `patroni { url = … }`: the server belongs to a Patroni cluster, whose
//! REST API is where its settings and pg_hba rules are written and which
//! names the leader pgfort connects to.

use super::{Decoded, Result};
use crate::config::error::{ConfigError, Location};
use crate::config::reader::BlockReader;
use crate::config::value::{Node, NodeKind};
use crate::model::PatroniEndpoint;

pub(super) fn decode(reader: &mut BlockReader<'_>, out: &mut Decoded) -> Result<()> {
    if out.in_module() {
        return Err(ConfigError::at(
            reader.location(),
            "a patroni block is only allowed in the root configuration, not in a module",
        )
        .with_hint(
            "how the server is managed is the caller's choice: move it to the root configuration",
        ));
    }
    out.claim_per_directory("patroni", reader.location())?;
    let location = reader.location();
    let Some(url) = reader.node("url")? else {
        return Err(reader.missing("url", "\"http://10.0.0.1:8008\" (Patroni's restapi.listen)"));
    };
    let urls = match &url.kind {
        NodeKind::List(items) if !items.is_empty() => {
            items.iter().map(check_url).collect::<Result<Vec<_>>>()?
        }
        NodeKind::List(_) => {
            return Err(ConfigError::at(
                url.location.clone(),
                "url must name at least one REST API",
            ));
        }
        _ => vec![check_url(&url)?],
    };
    let username = reader.string("username")?;
    let password = reader.secret("password")?;
    if password.is_some() && username.is_none() {
        return Err(reader.missing("username", "\"patroni\" (restapi.authentication.username)"));
    }
    let path = |value: Option<String>| value.map(|p| out.dir.join(p));
    let cacert = path(reader.string("cacert")?);
    let cert = path(reader.string("cert")?);
    let key = path(reader.string("key")?);
    if cert.is_some() != key.is_some() {
        return Err(ConfigError::at(
            location,
            "cert and key go together: a client certificate needs its key",
        ));
    }
    out.config.locations.insert("patroni".to_owned(), location);
    out.config.patroni = Some(PatroniEndpoint {
        urls,
        username,
        password,
        cacert,
        cert,
        key,
    });
    Ok(())
}

/// An `http(s)://host:port` base URL, without credentials, query or
/// control characters.
fn check_url(node: &Node) -> Result<String> {
    let url = node.to_text("url")?;
    let problem = if url.chars().any(char::is_control) || url.contains(char::is_whitespace) {
        Some("a URL cannot hold spaces or control characters")
    } else if !(url.starts_with("http://") || url.starts_with("https://")) {
        Some("expected an http:// or https:// URL")
    } else if url.contains('@') {
        Some("credentials do not go in the URL: use username and password")
    } else if url.contains('?') || url.contains('#') {
        Some("expected the API's base URL, without a query")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(ConfigError::at(
            node.location.clone(),
            format!(
                "invalid Patroni URL \"{}\": {problem}",
                crate::render::display_safe(&url)
            ),
        )
        .with_hint("write the base URL of a member's REST API, e.g. \"http://10.0.0.1:8008\"")),
        None => Ok(url),
    }
}

/// What a Patroni cluster cannot take from pgfort yet: a server
/// certificate is installed into one node's data directory, while its
/// `ssl_*` settings would reach every member.
pub(crate) fn validate(decoded: &Decoded) -> Option<ConfigError> {
    let config = &decoded.config;
    let (Some(_), Some(_)) = (&config.patroni, &config.desired.tls.server) else {
        return None;
    };
    let location: Location = config.locations.get("patroni")?.clone();
    Some(
        ConfigError::at(
            location,
            "server_certificate cannot be used with a patroni block: the certificate files \
             would reach only the leader, while the ssl settings go to every member",
        )
        .with_hint(
            "install the certificates on every member (Patroni's postgresql.parameters \
             ssl_cert_file/ssl_key_file), or remove server_certificate",
        ),
    )
}
