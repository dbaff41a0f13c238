//! pg_hba.conf as an `hba` block: the rules the server reads, in order.
//! The block is authoritative, so a rule that could not be read would be
//! dropped by the next apply: those are named in notes. Options the
//! server only implies (`clientcert=verify-full` for `cert`, …) are left
//! out, as pgfort never writes them.

use super::Section;
use super::hcl::{Block, Body, Value};
use crate::model::{Hba, HbaAddress, HbaRule};

/// `hba.hcl`.
pub(super) fn section(hba: Option<&Hba>) -> Section {
    let mut body = Body::new();
    let mut notes = Vec::new();
    let Some(hba) = hba.filter(|hba| hba.readable) else {
        notes.push(
            "pg_hba.conf is not exported: reading it needs superuser or pg_read_server_files"
                .to_owned(),
        );
        return Section { body, notes };
    };
    for (line, error) in &hba.errors {
        notes.push(format!(
            "line {line} of {} is not exported: the server refuses it ({error})",
            hba.file
        ));
    }
    for line in &hba.unreadable {
        notes.push(format!(
            "line {line} of {} is not exported: the server describes it with empty columns \
             (radius on some versions); add it to the hba block by hand",
            hba.file
        ));
    }
    if hba.rules.is_empty() {
        return Section { body, notes };
    }
    let mut block = Block::new("hba");
    block.body.comment(format!(
        "The rules of {}, in order. The block is authoritative: apply writes exactly these.",
        hba.file
    ));
    for rule in &hba.rules {
        block.body.block(rule_block(rule));
    }
    body.block(block);
    Section { body, notes }
}

fn rule_block(rule: &HbaRule) -> Block {
    let mut block = Block::new("rule");
    let body = &mut block.body;
    body.attr("type", rule.conn_type.as_str());
    body.attr("database", words(&rule.databases));
    body.attr("user", words(&rule.users));
    if rule.address != HbaAddress::None {
        body.attr("address", rule.address.to_string());
    }
    body.attr("method", rule.method.as_str());
    let options: Vec<(String, Value)> = rule
        .options
        .iter()
        .filter(|(name, value)| !implied(&rule.method, name, value))
        .map(|(name, value)| (name.clone(), Value::from(value)))
        .collect();
    if !options.is_empty() {
        body.attr("options", Value::Map(options));
    }
    block
}

/// One word as a string, several as a list.
fn words(items: &[String]) -> Value {
    match items {
        [one] => Value::from(one),
        many => Value::strings(many.iter().cloned()),
    }
}

/// Options the server reports for a method although nobody wrote them
/// (see `HbaRule::effective_options`).
fn implied(method: &str, name: &str, value: &str) -> bool {
    matches!(
        (method, name, value),
        ("cert", "clientcert", "verify-full")
            | ("gss" | "sspi", "include_realm", "true")
            | ("ldap", "ldapscope", "2")
    )
}
