//! The blocks of the fix file, merged: one `settings` block (the first
//! control to name a setting wins), each extension once, and the blocks
//! made concrete from the facts.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::{block_with, hba};
use crate::audit::AuditFacts;
use crate::audit::controls::privileges::public_creators;
use crate::audit::facts::TlsProbe;
use crate::export::hcl::{Block, Body, Value};
use crate::model::{Hba, HbaRule, preload};

/// The certificate authority the fix file creates for the server
/// certificate, next to the file (keep its key out of version control).
const CA_NAME: &str = "pgfort";

#[derive(Debug, Default)]
pub(super) struct Merged {
    /// Each setting, its value and the control that asked for it.
    settings: Vec<(String, Value, &'static str)>,
    extensions: Vec<(String, Vec<(String, Value)>)>,
    /// The host to issue the server certificate for.
    certificate_for: Option<String>,
    /// Databases whose PUBLIC privileges become authoritative.
    public_databases: Vec<String>,
    hba: Option<Vec<HbaRule>>,
}

impl Merged {
    /// Adds a remedy made only of `settings` and `extension` blocks;
    /// anything else names objects only the user knows.
    /// An extension the server cannot install (`available`) makes the
    /// whole remedy wait for its package.
    pub(super) fn remedy(
        &mut self,
        id: &'static str,
        text: &str,
        available: &[String],
    ) -> Result<(), String> {
        let body = hcl::parse(text).map_err(|_| "its remedy is an example to adapt".to_owned())?;
        let mut settings = Vec::new();
        let mut extensions = Vec::new();
        for structure in body.into_inner() {
            let block = structure
                .into_block()
                .ok_or_else(|| "its remedy is an example to adapt".to_owned())?;
            let attributes = attributes(&block.body)?;
            match (block.identifier.as_str(), block.labels.as_slice()) {
                ("settings", []) => settings.extend(attributes),
                ("extension", [label]) => {
                    let name = label.as_str();
                    // A preload-only library (auth_delay) has no control
                    // file to be listed by.
                    let library_only = preload(name).is_some_and(|p| !p.creates_extension);
                    if !library_only && !available.iter().any(|known| known == name) {
                        return Err(format!(
                            "the server lacks extension {name}: install its package first"
                        ));
                    }
                    extensions.push((name.to_owned(), attributes));
                }
                (other, _) => {
                    return Err(format!(
                        "its remedy (a {other} block) names objects only you know"
                    ));
                }
            }
        }
        // Two remedies wanting different values for one setting cannot
        // both be fixed: the first keeps it, the second is left.
        for (name, value) in &settings {
            if let Some((_, _, other)) = self
                .settings
                .iter()
                .find(|(known, set, _)| known == name && set != value)
            {
                return Err(format!("its {name} differs from the one {other} sets"));
            }
        }
        for (name, value) in settings {
            if !self.settings.iter().any(|(known, _, _)| *known == name) {
                self.settings.push((name, value, id));
            }
        }
        for (name, attrs) in extensions {
            if !self.extensions.iter().any(|(known, _)| *known == name) {
                self.extensions.push((name, attrs));
            }
        }
        Ok(())
    }

    /// A certificate authority and a server certificate for `host`.
    pub(super) fn server_certificate(&mut self, host: &str) {
        self.certificate_for = Some(host.to_owned());
    }

    /// PUBLIC's privileges made authoritative in each database where PUBLIC
    /// may create in schema public, keeping CONNECT, TEMPORARY and USAGE.
    pub(super) fn public_privileges(&mut self, facts: &AuditFacts) -> Result<(), String> {
        self.public_databases = facts
            .databases
            .iter()
            .filter(|db| !public_creators(db).is_empty())
            .map(|db| db.name.clone())
            .collect();
        if self.public_databases.is_empty() {
            return Err("no database read shows the grant".to_owned());
        }
        Ok(())
    }

    /// pg_hba.conf rewritten for every failing hba control it can fix.
    pub(super) fn hba(
        &mut self,
        live: Option<&Hba>,
        failing: &BTreeSet<&str>,
        facts: &AuditFacts,
    ) -> Result<(), String> {
        if self.hba.is_none() {
            let served = matches!(facts.tls_probe, Some(TlsProbe::Served { .. }));
            let tls = served || failing.contains("6.8-ssl");
            self.hba = Some(hba::rewrite(live, failing, facts, tls)?);
        }
        Ok(())
    }

    pub(super) fn write(&self, body: &mut Body) {
        if !self.settings.is_empty() {
            let mut block = Block::new("settings");
            for (name, value, _) in &self.settings {
                block.body.attr_named(name, value.clone());
            }
            body.block(block);
        }
        for (name, attrs) in &self.extensions {
            let mut block = Block::labelled("extension", name);
            for (attr, value) in attrs {
                block.body.attr_named(attr, value.clone());
            }
            body.block(block);
        }
        if let Some(host) = &self.certificate_for {
            write_certificate(body, host);
        }
        if !self.public_databases.is_empty() {
            write_public_privileges(body, &self.public_databases);
        }
        if let Some(rules) = &self.hba {
            body.block(hba::block(rules));
        }
    }
}

/// The attributes of a remedy block as values to write.
fn attributes(body: &hcl::Body) -> Result<Vec<(String, Value)>, String> {
    body.iter()
        .map(|structure| {
            let attribute = structure
                .as_attribute()
                .ok_or_else(|| "its remedy is an example to adapt".to_owned())?;
            Ok((attribute.key.as_str().to_owned(), value(&attribute.expr)?))
        })
        .collect()
}

fn value(expr: &hcl::Expression) -> Result<Value, String> {
    use hcl::Expression as E;
    Ok(match expr {
        E::Bool(b) => Value::Bool(*b),
        E::Number(n) => Value::Int(n.as_i64().ok_or("a number pgfort cannot copy")?),
        E::String(s) => Value::Str(s.clone()),
        E::Array(items) => Value::List(items.iter().map(value).collect::<Result<_, _>>()?),
        E::Object(map) => Value::Map(
            map.iter()
                .map(|(key, v)| Ok((key.to_string(), value(v)?)))
                .collect::<Result<_, String>>()?,
        ),
        _ => return Err("its remedy refers to values only you have".to_owned()),
    })
}

fn write_certificate(body: &mut Body, host: &str) {
    body.comment("6.8-ssl: pgfort creates this authority next to this file; keep its key safe.");
    body.block(block_with(
        "certificate_authority",
        Some(CA_NAME),
        &[
            ("cert_file", Value::from("pki/ca.crt")),
            ("key_file", Value::from("pki/ca.key")),
        ],
    ));
    let names = match host.parse::<IpAddr>() {
        Ok(ip) => vec![("ip_addresses", Value::strings([ip.to_string()]))],
        Err(_) if host.starts_with('/') || host == "localhost" => vec![
            ("dns_names", Value::strings(["localhost"])),
            ("ip_addresses", Value::strings(["127.0.0.1"])),
        ],
        Err(_) => vec![("dns_names", Value::strings([host]))],
    };
    let mut attrs = vec![("ca", Value::from(CA_NAME))];
    attrs.extend(names);
    body.block(block_with("server_certificate", None, &attrs));
}

/// As modules/hardened-baseline does: PUBLIC keeps CONNECT and TEMPORARY
/// on the database and USAGE on schema public, and loses the rest.
fn write_public_privileges(body: &mut Body, databases: &[String]) {
    body.comment("4.10-ext: PUBLIC's privileges in these databases become authoritative.");
    body.block(block_with(
        "manage",
        None,
        &[("public_privileges", Value::Bool(true))],
    ));
    for database in databases {
        body.block(Block::labelled("database", database));
        body.block(grant(
            &["CONNECT", "TEMPORARY"],
            vec![("database".to_owned(), Value::from(database))],
        ));
        body.block(grant(
            &["USAGE"],
            vec![
                ("database".to_owned(), Value::from(database)),
                ("schema".to_owned(), Value::from("public")),
            ],
        ));
    }
}

fn grant(privileges: &[&str], on: Vec<(String, Value)>) -> Block {
    block_with(
        "grant",
        None,
        &[
            ("to", Value::strings(["public"])),
            ("privileges", Value::strings(privileges.iter().copied())),
            ("on", Value::Map(on)),
        ],
    )
}
