//! pg_hba.conf as an `hba` block: the rules the server reads, in order.
//! The block is authoritative, so a rule that could not be read would be
//! dropped by the next apply: those are named in notes. Options the
//! server only implies (`clientcert=verify-full` for `cert`, …) are left
//! out, as pgfort never writes them. Secret option values (`ldapbindpasswd`,
//! `radiussecrets`) are never written: each becomes a sensitive variable.

use super::Section;
use super::hcl::{Block, Body, Value};
use crate::model::hba_token::is_secret_option;
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
    // Secret option values are never written: each becomes a sensitive
    // variable the user gives when planning.
    for (index, rule) in hba.rules.iter().enumerate() {
        for (option, _) in rule
            .options
            .iter()
            .filter(|(name, _)| is_secret_option(name))
        {
            let name = secret_variable(index, option);
            let mut variable = Block::labelled("variable", &name);
            variable.body.attr(
                "description",
                format!(
                    "{option} of rule {} of pg_hba.conf (not exported)",
                    index + 1
                ),
            );
            variable.body.attr("sensitive", true);
            body.block(variable);
            notes.push(format!(
                "rule {} of {} holds a secret ({option}): exported as var.{name}; give it with -var {name}=… or PGFORT_VAR_{name}",
                index + 1,
                hba.file
            ));
        }
    }
    let mut block = Block::new("hba");
    block.body.comment(format!(
        "The rules of {}, in order. The block is authoritative: apply writes exactly these.",
        hba.file
    ));
    for (index, rule) in hba.rules.iter().enumerate() {
        block.body.block(rule_block(index, rule));
    }
    body.block(block);
    Section { body, notes }
}

/// The variable standing for secret `option` of the rule at `index`.
fn secret_variable(index: usize, option: &str) -> String {
    format!("hba_rule_{}_{option}", index + 1)
}

/// One rule as a `rule` block (secret options as variables).
pub(crate) fn rule_block(index: usize, rule: &HbaRule) -> Block {
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
        .map(|(name, value)| {
            let value = if is_secret_option(name) {
                Value::Var(secret_variable(index, name))
            } else {
                Value::from(value)
            };
            (name.clone(), value)
        })
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
