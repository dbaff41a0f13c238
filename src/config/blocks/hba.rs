//! `hba { rule { … } check { … } }`: pg_hba.conf, authoritatively. The
//! file becomes exactly the declared rules, in order. Combinations the
//! server would refuse (an address on `local`, `cert` without `hostssl`, a
//! bad CIDR) are refused here, where they have a location.

use std::net::IpAddr;

use super::Decoded;
use crate::config::error::{ConfigError, Location, Result};
use crate::config::reader::BlockReader;
use crate::config::suggest::did_you_mean;
use crate::config::value::{Node, NodeKind};
use crate::model::hba_token::{self, TokenError};
use crate::model::{ConnType, HBA_METHODS, Hba, HbaAddress, HbaCheck, HbaProbe, HbaRule};

pub(super) fn decode(reader: &mut BlockReader<'_>, out: &mut Decoded) -> Result<()> {
    out.claim_singleton("hba", reader.location())?;
    let mut hba = Hba::default();
    for mut rule_reader in reader.nested("rule") {
        hba.rules.push(rule(&mut rule_reader)?);
        rule_reader.finish()?;
    }
    for mut check_reader in reader.nested("check") {
        hba.checks.push(check(&mut check_reader)?);
        check_reader.finish()?;
    }
    if hba.rules.is_empty() {
        return Err(ConfigError::at(
            reader.location(),
            "an hba block needs at least one rule block (an empty pg_hba.conf admits nobody)",
        )
        .with_hint("write: hba { rule { type = \"host\" … } }"));
    }
    out.config
        .locations
        .insert("hba".to_owned(), reader.location());
    out.config.desired.hba = Some(hba);
    Ok(())
}

fn rule(reader: &mut BlockReader<'_>) -> Result<HbaRule> {
    let location = reader.location();
    let type_node = reader.node("type")?;
    let database_node = reader.node("database")?;
    let user_node = reader.node("user")?;
    let address_node = reader.node("address")?;
    let netmask_node = reader.node("netmask")?;
    let method_node = reader.node("method")?;
    let options_node = reader.node("options")?;
    let comment = reader.string("comment")?;
    let Some(type_node) = type_node else {
        return Err(reader.missing("type", "\"hostssl\""));
    };
    let Some(method_node) = method_node else {
        return Err(reader.missing("method", "\"scram-sha-256\""));
    };
    let type_text = type_node.to_text("type")?;
    let conn_type = ConnType::parse(&type_text).ok_or_else(|| {
        ConfigError::at(
            type_node.location.clone(),
            format!(
                "unknown rule type \"{type_text}\", expected one of: {}",
                ConnType::NAMES.join(", ")
            ),
        )
    })?;
    let method = method_node.to_text("method")?;
    if !HBA_METHODS.contains(&method.as_str()) {
        return Err(ConfigError::at(
            method_node.location.clone(),
            format!(
                "unknown method \"{method}\", expected one of: {}",
                HBA_METHODS.join(", ")
            ),
        ));
    }
    let databases = match database_node {
        Some(node) => words(&node, "database")?,
        None => vec!["all".to_owned()],
    };
    let users = match user_node {
        Some(node) => words(&node, "user")?,
        None => vec!["all".to_owned()],
    };
    if conn_type != ConnType::Local && address_node.is_none() {
        // Through the reader, so a misspelt `address` is named as such.
        return Err(reader.missing(
            "address",
            "\"10.0.0.0/8\" (or \"all\", \"samenet\", a host name)",
        ));
    }
    let address = address(conn_type, address_node, netmask_node, &location)?;
    let options = match options_node {
        Some(node) => options(&node)?,
        None => Vec::new(),
    };
    check_method(conn_type, &method, &method_node.location)?;
    if let Some(comment) = &comment
        && comment.chars().any(|c| c.is_control() && c != '\n')
    {
        return Err(ConfigError::at(
            location,
            "a rule comment cannot hold control characters",
        ));
    }
    Ok(HbaRule {
        conn_type,
        databases,
        users,
        address,
        method,
        options,
        comment,
    })
}

/// A string or a non-empty list of strings, in written order.
fn words(node: &Node, what: &str) -> Result<Vec<String>> {
    let items: Vec<&Node> = match &node.kind {
        NodeKind::List(items) if !items.is_empty() => items.iter().collect(),
        NodeKind::List(_) => {
            return Err(ConfigError::at(
                node.location.clone(),
                format!("{what} cannot be an empty list"),
            ));
        }
        _ => vec![node],
    };
    items
        .into_iter()
        .map(|item| {
            let text = item.to_text(what)?;
            hba_token::name_token(&text, what).map_err(|err| refused(&item.location, &err))?;
            Ok(text)
        })
        .collect()
}

fn address(
    conn_type: ConnType,
    address: Option<Node>,
    netmask: Option<Node>,
    location: &Location,
) -> Result<HbaAddress> {
    if conn_type == ConnType::Local {
        if let Some(node) = address.as_ref().or(netmask.as_ref()) {
            return Err(ConfigError::at(
                node.location.clone(),
                "a local rule (Unix socket) takes no address",
            )
            .with_hint("remove address, or use type = \"host\""));
        }
        return Ok(HbaAddress::None);
    }
    let Some(address) = address else {
        return Err(ConfigError::at(
            location.clone(),
            format!("a {} rule needs an address", conn_type.as_str()),
        )
        .with_hint("write address = \"10.0.0.0/8\" (or \"all\", \"samenet\", a host name)"));
    };
    let text = address.to_text("address")?;
    let mask = netmask.as_ref().map(|n| n.to_text("netmask")).transpose()?;
    if mask.is_some() && text.contains('/') {
        return Err(ConfigError::at(
            address.location.clone(),
            "write either a CIDR address or an address with a netmask, not both",
        ));
    }
    let parsed = HbaAddress::parse(&text, mask.as_deref())
        .map_err(|message| ConfigError::at(address.location.clone(), message))?;
    hba_token::word_token(&parsed.to_string(), "address")
        .map_err(|err| refused(&address.location, &err))?;
    Ok(parsed)
}

/// A token pg_hba.conf cannot hold, at the value that holds it.
fn refused(location: &Location, err: &TokenError) -> ConfigError {
    ConfigError::at(location.clone(), format!("hba: {err}")).with_hint(err.hint())
}

/// Methods the server accepts only on some connection types.
fn check_method(conn_type: ConnType, method: &str, location: &Location) -> Result<()> {
    let problem = match method {
        "cert" if conn_type != ConnType::HostSsl => Some(
            "method cert needs type = \"hostssl\" (it authenticates with the TLS client certificate)",
        ),
        "peer" if conn_type != ConnType::Local => Some(
            "method peer works only on local rules (Unix sockets); use ident or a password method over TCP",
        ),
        _ => None,
    };
    match problem {
        Some(message) => Err(ConfigError::at(location.clone(), message)),
        None => Ok(()),
    }
}

/// `options = { name = "value" }`. Names are checked as strictly as the
/// values: both end up in the file. Only options that carry a credential
/// take a sensitive value; plans redact those whatever their origin.
fn options(node: &Node) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for entry in node.to_map("options")? {
        let name = &entry.key;
        hba_token::check_option_name(name).map_err(|err| {
            let error = refused(&entry.key_location, &err);
            match &err {
                TokenError::UnknownOption { .. } => error.with_optional_hint(did_you_mean(
                    name,
                    hba_token::OPTION_NAMES.iter().copied(),
                )),
                _ => error,
            }
        })?;
        let what = format!("options.{name}");
        let value = if hba_token::is_secret_option(name) {
            entry.value.to_secret(&what)?.expose().to_owned()
        } else {
            entry.value.to_text(&what)?
        };
        hba_token::option_token(name, &value)
            .map_err(|err| refused(&entry.value.location, &err))?;
        out.push((name.clone(), value));
    }
    out.sort();
    Ok(out)
}

fn check(reader: &mut BlockReader<'_>) -> Result<HbaCheck> {
    let location = reader.location();
    let user = reader.string("user")?;
    let database = reader.string("database")?;
    let address_node = reader.node("address")?;
    let ssl = reader.bool("ssl")?.unwrap_or(false);
    let expect = reader.string("expect")?;
    let Some(user) = user else {
        return Err(reader.missing("user", "\"app\""));
    };
    let Some(expect) = expect else {
        return Err(reader.missing("expect", "\"scram-sha-256\""));
    };
    if !HBA_METHODS.contains(&expect.as_str()) {
        return Err(ConfigError::at(
            location,
            format!(
                "unknown expected method \"{expect}\", expected one of: {}",
                HBA_METHODS.join(", ")
            ),
        ));
    }
    let address = match address_node {
        Some(node) => {
            let text = node.to_text("address")?;
            let ip: IpAddr = text.parse().map_err(|_| {
                ConfigError::at(
                    node.location.clone(),
                    format!("a check's address must be one IP address, got \"{text}\""),
                )
                .with_hint("leave address out for a Unix-socket connection")
            })?;
            Some(ip)
        }
        None => None,
    };
    Ok(HbaCheck {
        probe: HbaProbe {
            database: database.unwrap_or_else(|| user.clone()),
            user,
            address,
            ssl,
        },
        expect,
        location: location.to_string(),
    })
}
