//! `pgfort audit --fix-out FILE.hcl`: the remedies of the failing controls
//! as one configuration, so `pgfort plan` on it shows the hardening.
//!
//! Settings remedies merge into one `settings` block and extension blocks
//! are written once. Some remedies are made concrete from what was read:
//! the server certificate for the address the audit used (6.8-ssl), PUBLIC's
//! privileges in each database that needs them (4.10-ext), and pg_hba.conf
//! rewritten rule by rule ([`hba`]). A remedy that needs names or choices
//! only the user has (roles, networks, a backup tool) is left out, and
//! listed at the top of the file with its example. Pure: the caller reads
//! the server and writes the file.

mod hba;
mod merge;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use super::{AuditFacts, Finding, RemedyKind, Status};
use crate::export::hcl::{Block, Body, Value};
use crate::model::Hba;
use merge::Merged;

/// The hba controls the file fixes by rewriting pg_hba.conf: the caller
/// reads the live file when one of them failed.
pub const FIXES_HBA: &[&str] = hba::FIXES;

/// What the file is made from.
pub struct FixContext<'a> {
    pub facts: &'a AuditFacts,
    /// pg_hba.conf as the server reads it, when pgfort could read it.
    pub hba: Option<&'a Hba>,
    /// The host clients reach the server by (the audited address): the
    /// server certificate is issued for it.
    pub host: &'a str,
}

/// The configuration, and which failing controls it fixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixFile {
    pub text: String,
    pub fixed: Vec<&'static str>,
    /// Failing controls the file leaves to the user, with why.
    pub left: Vec<(&'static str, String)>,
}

/// Settings remedies that carry a choice only the user can make, though
/// they are valid HCL.
const DECISIONS: &[(&str, &str)] = &[
    ("5.2", "the addresses clients connect to are yours to list"),
    ("7.4", "the archive command depends on your backup tool"),
    (
        "7.5",
        "the primary's address, replication role and CA are yours to give",
    ),
    (
        "ext-logs-outside-data",
        "the log directory must exist outside the data directory, writable by the server's user",
    ),
    (
        "ops-connections",
        "the number of connections depends on your workload",
    ),
];

/// The remedies of every failing control in `findings`.
pub fn fix_file(findings: &[Finding], context: &FixContext<'_>) -> FixFile {
    let failing: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .collect();
    let failing_ids: BTreeSet<&str> = failing.iter().map(|f| f.id).collect();
    let mut merged = Merged::default();
    let mut fixed = Vec::new();
    let mut left = Vec::new();
    for finding in &failing {
        match remedy_of(finding, context, &failing_ids, &mut merged) {
            Ok(()) => fixed.push(finding.id),
            Err(why) => left.push((finding.id, why)),
        }
    }
    let text = render(&merged, &fixed, &left, findings, context);
    FixFile { text, fixed, left }
}

/// Adds the remedy of one failing control, or says why it cannot.
fn remedy_of(
    finding: &Finding,
    context: &FixContext<'_>,
    failing: &BTreeSet<&str>,
    merged: &mut Merged,
) -> Result<(), String> {
    match finding.id {
        "6.8-ssl" => {
            merged.server_certificate(context.host);
            return Ok(());
        }
        "4.10-ext" => return merged.public_privileges(context.facts),
        id if hba::FIXES.contains(&id) => {
            return merged.hba(context.hba, failing, context.facts);
        }
        _ => {}
    }
    if let Some((_, why)) = DECISIONS.iter().find(|(id, _)| *id == finding.id) {
        return Err((*why).to_owned());
    }
    if finding.remedy_kind == RemedyKind::Manual {
        return Err("a manual step".to_owned());
    }
    merged.remedy(
        finding.id,
        finding.remedy,
        &context.facts.available_extensions,
    )
}

fn render(
    merged: &Merged,
    fixed: &[&str],
    left: &[(&'static str, String)],
    findings: &[Finding],
    context: &FixContext<'_>,
) -> String {
    let mut body = Body::new();
    body.comment(format!(
        "Remedies for the controls `pgfort audit` found failing on {} (PostgreSQL {}).",
        context.host,
        super::report::version_text(context.facts.version_num)
    ));
    body.comment("Review it, then: pgfort plan (in this file's directory).");
    if fixed.is_empty() {
        body.comment("No failing control has a remedy pgfort can write.");
    } else {
        body.comment(format!("Fixed here: {}.", fixed.join(", ")));
    }
    if !left.is_empty() {
        body.comment("Left for you (each remedy is in the audit report):");
        for (id, why) in left {
            let title = findings
                .iter()
                .find(|f| f.id == *id)
                .map_or("", |f| f.title);
            body.comment(format!("- {id} ({title}): {why}."));
        }
    }
    merged.write(&mut body);
    body.render()
}

/// A block with one string attribute per pair.
fn block_with(name: &'static str, label: Option<&str>, attrs: &[(&'static str, Value)]) -> Block {
    let mut block = match label {
        Some(label) => Block::labelled(name, label),
        None => Block::new(name),
    };
    for (attr, value) in attrs {
        block.body.attr(attr, value.clone());
    }
    block
}
