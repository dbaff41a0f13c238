//! pg_hba.conf: the declared rules against the file on the server. Rules
//! are compared normalised (address forms, implied options), so a file
//! that says the same thing in other words is no change. A rewrite is
//! planned only when pgfort's own connection would still be admitted.

pub(crate) mod admission;
mod checks;
mod lint;
mod lockout;
pub(crate) mod simulate;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use similar::{ChangeTag, DiffOp, TextDiff};

use super::{Diff, DiffError, DiffInput};
use crate::model::{Hba, HbaRule, HbaWrite, Role};
use crate::plan::{Action, AttributeChange, Change, Phase, Statement, Target};
use crate::sql::hba as sql;
use lockout::Admission;

/// The address of the change in plans.
pub const ADDRESS: &str = "hba.pg_hba.conf";

/// Runs the declared `check` blocks against the declared rules; needs no
/// server, so `validate` runs them too. `+group` is decided from the
/// declared roles' memberships, then from `live` ones when given.
pub fn run_checks(
    hba: &Hba,
    declared: &BTreeMap<String, Role>,
    live: Option<&BTreeMap<String, Role>>,
) -> Result<(), DiffError> {
    let mut roles = vec![declared];
    roles.extend(live);
    checks::run(&hba.rules, &hba.checks, &roles).map_err(|message| DiffError {
        message,
        hint: Some("fix the rules, or the check's expect if the rules are right".to_owned()),
    })
}

pub(super) fn diff_hba(input: &DiffInput<'_>, out: &mut Diff) -> Result<(), DiffError> {
    let Some(desired) = &input.desired.hba else {
        return Ok(());
    };
    run_checks(desired, &input.desired.roles, Some(&input.live.roles))?;
    let superusers: Vec<String> = input
        .live
        .roles
        .values()
        .filter(|role| role.attributes.superuser)
        .map(|role| role.name.clone())
        .collect();
    out.warnings.extend(lint::lint(&desired.rules, &superusers));
    let Some(live) = &input.live.hba else {
        return Ok(());
    };
    if !live.readable {
        out.warnings.push(
            "hba: pg_hba.conf is left unmanaged: reading it needs superuser or pg_read_server_files"
                .to_owned(),
        );
        return Ok(());
    }
    if !live.unreadable.is_empty() {
        let lines: Vec<String> = live.unreadable.iter().map(u32::to_string).collect();
        out.warnings.push(format!(
            "hba: pg_hba_file_rules describes line(s) {} of pg_hba.conf with empty columns (radius on some versions); pgfort cannot compare them and plans a rewrite every time",
            lines.join(", ")
        ));
    }
    if live.rules == desired.rules && live.errors.is_empty() && live.unreadable.is_empty() {
        return Ok(());
    }
    let mut over_tls = None;
    if let Some(session) = &live.session {
        // With the memberships pgfort's role will have after the apply
        // (roles are diffed before pg_hba), followed through groups.
        let session = admission::session_after(input, out, session);
        match lockout::check(
            &live.rules,
            &desired.rules,
            &session,
            ssl_after_apply(input),
        )? {
            Admission::AsConnected(notes) => out.notes.extend(notes),
            Admission::OverTls(notes, handover) => {
                out.notes.extend(notes);
                out.notes.push(format!(
                    "hba: the new rules admit pgfort's own connection only over TLS ({}): apply turns SSL on first, then reconnects over TLS and writes pg_hba.conf through that session",
                    handover.admitted_by
                ));
                over_tls = Some(handover);
            }
        }
    }
    let before = live.text.clone().unwrap_or_default();
    // The configuration refused these tokens already; this is the second
    // line of defence, for rules that did not come from a configuration.
    let mut write =
        HbaWrite::new(&live.file, &before, &desired.rules).map_err(|err| DiffError {
            message: format!("hba: a rule cannot be written to pg_hba.conf: {err}"),
            hint: Some(err.hint()),
        })?;
    write.over_tls = over_tls;
    let patroni = input.live.settings.patroni.is_some();
    if patroni {
        write.after = super::patroni::as_patroni_writes(&write.before, &write.after);
    }
    // What plans show (text, JSON, saved): no secret option value.
    let shown = write.redacted();
    let mut change = Change::new(ADDRESS, Action::Update);
    change.attributes = rule_summary(&live.rules, &desired.rules);
    for (line, error) in &live.errors {
        change.reasons.push(format!(
            "line {line} of the current file is invalid: {error}"
        ));
    }
    change.file_diff = file_diff(&write.file, &shown.before, &shown.after);
    change.destructive = true;
    change.touches_access = true;
    change.sensitive |= shown.redacted;
    // Under Patroni the rules go into its dynamic configuration instead.
    if patroni {
        out.changes.push(change);
        out.hba = Some(write);
        return Ok(());
    }
    // Shown only: apply writes `write.after` itself, with the real values.
    change.statements.push(Statement::new(
        Phase::HbaFile,
        Target::NonTransactional,
        sql::copy_to_file(&write.file, &shown.after),
    ));
    change.statements.push(Statement::new(
        Phase::HbaFile,
        Target::NonTransactional,
        "SELECT pg_reload_conf()",
    ));
    out.changes.push(change);
    out.hba = Some(write);
    Ok(())
}

/// Whether SSL is on once the apply is done: a declared server certificate
/// turns it on, else a declared `ssl` setting decides, else it stays as it
/// is.
fn ssl_after_apply(input: &DiffInput<'_>) -> bool {
    if input.desired.tls.server.is_some() {
        return true;
    }
    let value = match input.desired.settings.values.get("ssl") {
        Some(declared) => declared.as_str(),
        None => input
            .live
            .settings
            .parameters
            .get("ssl")
            .map_or("off", |p| p.setting.as_str()),
    };
    crate::diff::parameters::parse_bool(value).unwrap_or(false)
}

/// One attribute per added, removed or replaced rule, named by position.
fn rule_summary(live: &[HbaRule], desired: &[HbaRule]) -> Vec<AttributeChange> {
    let old: Vec<String> = live.iter().map(HbaRule::compared_line).collect();
    let new: Vec<String> = desired.iter().map(HbaRule::compared_line).collect();
    let mut out = Vec::new();
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, &old, &new) {
        let (_, old_range, new_range) = op.as_tag_tuple();
        if matches!(op, DiffOp::Equal { .. }) {
            continue;
        }
        let count = old_range.len().max(new_range.len());
        for k in 0..count {
            let before = old.get(old_range.start + k).filter(|_| k < old_range.len());
            let after = new.get(new_range.start + k).filter(|_| k < new_range.len());
            let position = match after {
                Some(_) => new_range.start + k + 1,
                None => old_range.start + k + 1,
            };
            out.push(AttributeChange::new(
                &format!("rule {position}"),
                before.cloned(),
                after.cloned(),
            ));
        }
    }
    out
}

/// A unified diff of the file with old and new line numbers.
fn file_diff(path: &str, before: &str, after: &str) -> Vec<String> {
    shown_file_diff(path, before, after, &|line| line.to_owned())
}

/// [`file_diff`], each line of either file passed through `show` (which
/// redacts what must not be displayed) after the lines were compared.
pub(crate) fn shown_file_diff(
    path: &str,
    before: &str,
    after: &str,
    show: &dyn Fn(&str) -> String,
) -> Vec<String> {
    let diff = TextDiff::from_lines(before, after);
    let mut lines = vec![
        format!("--- {path} (current)"),
        format!("+++ {path} (planned)"),
    ];
    for hunk in diff.unified_diff().context_radius(2).iter_hunks() {
        lines.push(hunk.header().to_string());
        for change in hunk.iter_changes() {
            let number =
                |index: Option<usize>| index.map_or(String::new(), |i| (i + 1).to_string());
            let tag = match change.tag() {
                ChangeTag::Delete => '-',
                ChangeTag::Insert => '+',
                ChangeTag::Equal => ' ',
            };
            let mut line = String::new();
            let _ = write!(
                line,
                "{:>4} {:>4} {tag} {}",
                number(change.old_index()),
                number(change.new_index()),
                show(change.value().trim_end_matches('\n'))
            );
            lines.push(line);
        }
    }
    lines
}

#[cfg(test)]
mod tests;
