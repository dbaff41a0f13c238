//! pg_hba.conf rewritten rule by rule for the hba controls that have one
//! right answer: trust, password, ident and md5 become peer (sockets) or
//! scram-sha-256, plain TCP rules become hostssl once the server serves
//! TLS, and superusers are rejected before the first rule that admits
//! remote clients. Rules that need a network, a database or a role named
//! (5.9-ext, 5.10-ext, 6.8-hostssl) are the user's to write. Each changed
//! rule says what it was in its comment.

use std::collections::BTreeSet;

use crate::audit::AuditFacts;
use crate::export::hba::rule_block;
use crate::export::hcl::Block;
use crate::model::hba_token::is_secret_option;
use crate::model::{ConnType, Hba, HbaAddress, HbaRule};

/// The hba controls whose failure the rewrite fixes.
pub(super) const FIXES: &[&str] = &[
    "5.3",
    "5.4-trust",
    "5.4-password",
    "5.4-ident",
    "5.4-md5",
    "5.8-ext",
    "5.11-ext",
];

/// The live rules with every failing fixable control's fix applied.
pub(super) fn rewrite(
    live: Option<&Hba>,
    failing: &BTreeSet<&str>,
    facts: &AuditFacts,
    tls: bool,
) -> Result<Vec<HbaRule>, String> {
    let hba = live.filter(|hba| hba.readable).ok_or_else(|| {
        "pg_hba.conf could not be read (needs superuser or pg_read_server_files)".to_owned()
    })?;
    if !hba.errors.is_empty() || !hba.unreadable.is_empty() {
        return Err("pg_hba.conf has lines the server cannot read: fix them first".to_owned());
    }
    if hba
        .rules
        .iter()
        .any(|rule| rule.options.iter().any(|(name, _)| is_secret_option(name)))
    {
        return Err("a rule holds a secret option: edit pg_hba.conf by hand".to_owned());
    }
    let mut rules: Vec<HbaRule> = hba
        .rules
        .iter()
        .map(|rule| fixed(rule, failing, tls))
        .collect();
    if failing.contains("5.11-ext")
        && let Some(at) = rules.iter().position(admits_remote)
    {
        let rejects = facts
            .roles
            .iter()
            .filter(|role| role.superuser)
            .flat_map(|role| ["0.0.0.0/0", "::/0"].map(|net| superuser_reject(&role.name, net)));
        rules.splice(at..at, rejects);
    }
    Ok(rules)
}

/// One rule with the method and type fixes the failing controls ask for.
fn fixed(rule: &HbaRule, failing: &BTreeSet<&str>, tls: bool) -> HbaRule {
    let mut out = rule.clone();
    let mut was = Vec::new();
    let host = rule.conn_type != ConnType::Local;
    let method = rule.method.as_str();
    if !host && method == "trust" && failing.contains("5.3") {
        out.method = "peer".to_owned();
        was.push(format!("method {method}"));
    }
    let weak = matches!(method, "trust" | "password" | "ident" | "md5");
    if host && weak && failing.contains(format!("5.4-{method}").as_str()) {
        out.method = "scram-sha-256".to_owned();
        was.push(format!("method {method}"));
    }
    if tls
        && failing.contains("5.8-ext")
        && matches!(rule.conn_type, ConnType::Host | ConnType::HostNoSsl)
        && admits_remote(rule)
    {
        out.conn_type = ConnType::HostSsl;
        was.push(format!("type {}", rule.conn_type.as_str()));
    }
    if !was.is_empty() {
        let note = format!("pgfort audit: was {}", was.join(", "));
        out.comment = Some(match &rule.comment {
            Some(comment) => format!("{comment} ({note})"),
            None => note,
        });
    }
    out
}

/// A TCP rule that lets someone in from beyond the loopback interface.
fn admits_remote(rule: &HbaRule) -> bool {
    rule.conn_type != ConnType::Local && rule.method != "reject" && !loopback_only(&rule.address)
}

fn loopback_only(address: &HbaAddress) -> bool {
    match address {
        HbaAddress::Net(net) => {
            net.addr().is_loopback()
                && net.prefix_len() >= if net.addr().is_ipv4() { 8 } else { 128 }
        }
        HbaAddress::SameHost => true,
        _ => false,
    }
}

fn superuser_reject(name: &str, net: &str) -> HbaRule {
    HbaRule {
        conn_type: ConnType::Host,
        databases: vec!["all".to_owned()],
        users: vec![name.to_owned()],
        address: HbaAddress::parse(net, None).unwrap_or(HbaAddress::All),
        method: "reject".to_owned(),
        options: Vec::new(),
        comment: Some("pgfort audit 5.11-ext: superusers only from this host".to_owned()),
    }
}

/// The `hba` block of `rules`, with their comments.
pub(super) fn block(rules: &[HbaRule]) -> Block {
    let mut hba = Block::new("hba");
    hba.body
        .comment("Authoritative: pg_hba.conf becomes exactly these rules, in order.");
    for (index, rule) in rules.iter().enumerate() {
        let mut block = rule_block(index, rule);
        if let Some(comment) = &rule.comment {
            block.body.attr("comment", comment.as_str());
        }
        hba.body.block(block);
    }
    hba
}
