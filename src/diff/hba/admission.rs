//! Will pgfort still get in after this plan? Run on every plan, whether or
//! not pg_hba.conf changes: pgfort's own session is matched against the
//! rules the server will run after the apply (the new file when it is
//! rewritten, else the live rules), with its own role as it will be after
//! the apply (LOGIN, VALID UNTIL, and memberships followed through groups
//! for `+group`: the declared ones for a managed role, the live ones
//! otherwise), for every database pgfort connects to (the current one,
//! those it inspects, those with per-database work in the plan).
//!
//! Pure: fed with the desired and live states, the session facts the
//! inspection read, and the diff.

use std::collections::BTreeSet;

use super::lockout::{PASSWORD_METHODS, compatible};
use super::simulate::{Context, first_match};
use crate::diff::{Diff, DiffInput, InputProblem};
use crate::model::{HbaProbe, HbaRule, HbaSession, Password, Role, RoleAttributes};
use crate::plan::{Action, Target};

/// `Ok(notes)` when pgfort stays admitted everywhere it connects; `Err`
/// (pointing at the block to blame) when the plan would lock it out.
pub fn check(input: &DiffInput<'_>, diff: &Diff) -> Result<Vec<String>, InputProblem> {
    let Some(live_hba) = &input.live.hba else {
        return Ok(vec![]);
    };
    let Some(session) = &live_hba.session else {
        return Ok(vec![]);
    };
    let user = session.probe.user.as_str();
    let hba_changes = diff.hba.is_some();
    let current: &[HbaRule] = if live_hba.readable {
        &live_hba.rules
    } else {
        &[]
    };
    // The rules the server runs after the apply; `None`: unknown (the file
    // is not readable and not rewritten).
    let after: Option<&[HbaRule]> = match (&input.desired.hba, hba_changes) {
        (Some(desired), true) => Some(&desired.rules),
        _ if live_hba.readable => Some(&live_hba.rules),
        _ => None,
    };
    let dropped = dropped_roles(diff);
    let managed = input.desired.roles.contains_key(user);
    let attributes = role_after(input, user).map(|role| &role.attributes);
    let role_key = format!("role.{user}");
    let who = |database: &str| describe(&session.probe, database);

    if let Some(attributes) = attributes
        && !attributes.login
    {
        return Err(refuse(
            if managed { &role_key } else { "" },
            format!(
                "{}: role \"{user}\" will not have LOGIN",
                who(&input.facts.current_database)
            ),
            format!("add `login = true` to role \"{user}\""),
        ));
    }
    // Why a password login would fail after the apply, if it would.
    let password_refused = if attributes.is_some_and(|a| expired(a, input.desired.tls.now)) {
        let until = attributes
            .and_then(|a| a.valid_until.as_deref())
            .unwrap_or("?");
        Some((
            format!("the password of role \"{user}\" will have expired (valid_until = {until})"),
            format!("set valid_until of role \"{user}\" in the future, or remove it"),
        ))
    } else if managed
        && input.desired.roles.get(user).map(|r| &r.password) == Some(&Password::None)
        && input
            .live
            .roles
            .get(user)
            .is_some_and(|r| matches!(r.password, Password::Stored(_)))
    {
        Some((
            format!("role \"{user}\" will have no password (the configuration declares none)"),
            format!(
                "declare the password of role \"{user}\" (password = var.…), or keep_password = true"
            ),
        ))
    } else {
        None
    };

    // Over TLS once the apply switched to it (see `TlsHandover`).
    let ssl = session.probe.ssl || diff.hba.as_ref().is_some_and(|w| w.over_tls.is_some());
    let member_of_after = memberships(input, user, &dropped, true);
    let member_of_before = memberships(input, user, &BTreeSet::new(), false);
    let mut notes = BTreeSet::new();
    for database in databases(input, diff) {
        let probe = HbaProbe {
            database: database.clone(),
            ssl,
            ..session.probe.clone()
        };
        let method = match after {
            Some(rules) => {
                match admitted(
                    current,
                    rules,
                    &probe,
                    session,
                    &member_of_after,
                    &mut notes,
                ) {
                    Ok(method) => Some(method),
                    Err(why) => {
                        // Whom to blame: the rules when they change, else
                        // the role whose memberships change, else the
                        // database pgfort cannot reach.
                        let ok_before = admitted(
                            current,
                            rules,
                            &probe,
                            session,
                            &member_of_before,
                            &mut BTreeSet::new(),
                        )
                        .is_ok();
                        let (key, hint) = if ok_before && managed {
                            (
                                role_key.clone(),
                                format!(
                                    "keep role \"{user}\" in the group its pg_hba rule names (member_of), or add a rule for user {user} itself"
                                ),
                            )
                        } else if hba_changes {
                            (
                                "hba".to_owned(),
                                format!(
                                    "add a rule admitting user {user} to database {database} from this connection before the others"
                                ),
                            )
                        } else {
                            (
                                format!("database.{database}"),
                                format!(
                                    "let pg_hba.conf admit user {user} to database {database} (pgfort connects to it for this plan), or remove the per-database work from the configuration"
                                ),
                            )
                        };
                        return Err(refuse(&key, format!("{}: {why}", who(&database)), hint));
                    }
                }
            }
            None => session.auth_method.clone(),
        };
        if let Some((why, hint)) = &password_refused
            && method
                .as_deref()
                .is_none_or(|m| PASSWORD_METHODS.contains(&m))
        {
            return Err(refuse(
                if managed { &role_key } else { "" },
                format!(
                    "{}: {why}, and it logs in with {}",
                    who(&database),
                    method.as_deref().unwrap_or("a password")
                ),
                hint.clone(),
            ));
        }
    }
    Ok(notes.into_iter().collect())
}

pub(super) fn describe(probe: &HbaProbe, database: &str) -> String {
    format!("pgfort's own connection ({})", probe.describe(database))
}

fn refuse(key: &str, why: String, hint: String) -> InputProblem {
    InputProblem {
        key: key.to_owned(),
        message: format!("refusing this plan: it would lock out {why}; nothing was changed"),
        hint: Some(hint),
    }
}

/// The method pgfort meets under `rules`, or why it is refused.
fn admitted(
    current: &[HbaRule],
    rules: &[HbaRule],
    probe: &HbaProbe,
    session: &HbaSession,
    member_of: &[String],
    notes: &mut BTreeSet<String>,
) -> Result<String, String> {
    let context = Context {
        member_of: Some(member_of),
        server_address: session.server_address,
    };
    let now = first_match(rules, probe, context);
    if !now.uncertain.is_empty() {
        let list: Vec<String> = now
            .uncertain
            .iter()
            .map(|i| format!("{} ({})", i + 1, rules[*i].line()))
            .collect();
        notes.insert(format!(
            "hba: rule(s) {} cannot be evaluated offline (host names, samenet, regular expressions, files); the check of pgfort's own connection assumes they do not match",
            list.join(", ")
        ));
    }
    let Some(index) = now.rule else {
        return Err("no pg_hba rule matches it".to_owned());
    };
    let rule = &rules[index];
    let at = format!("pg_hba rule {} ({})", index + 1, rule.line());
    if rule.method == "reject" {
        return Err(format!("{at} rejects it"));
    }
    // The method pgfort authenticated with: the server's word, else the
    // current file's first match for the session as it is now.
    let current_method = session.auth_method.clone().or_else(|| {
        let live = Context {
            member_of: Some(&session.member_of),
            server_address: session.server_address,
        };
        first_match(current, &session.probe, live)
            .rule
            .map(|i| current[i].method.clone())
    });
    if compatible(current_method.as_deref(), &rule.method) {
        return Ok(rule.method.clone());
    }
    Err(format!(
        "{at} asks for {}, but pgfort authenticated with {}",
        rule.method,
        current_method.as_deref().unwrap_or("an unknown method")
    ))
}

/// pgfort's session with the memberships its role will have after the
/// apply (for the check of a pg_hba.conf rewrite).
pub(crate) fn session_after(
    input: &DiffInput<'_>,
    diff: &Diff,
    session: &HbaSession,
) -> HbaSession {
    let dropped = dropped_roles(diff);
    HbaSession {
        member_of: memberships(input, &session.probe.user, &dropped, true),
        ..session.clone()
    }
}

/// Roles the plan drops.
fn dropped_roles(diff: &Diff) -> BTreeSet<String> {
    diff.changes
        .iter()
        .filter(|change| change.action == Action::Delete)
        .filter_map(|change| change.address.strip_prefix("role."))
        .map(str::to_owned)
        .collect()
}

/// The role as it will be: declared when managed, live otherwise.
fn role_after<'a>(input: &'a DiffInput<'_>, name: &str) -> Option<&'a Role> {
    input
        .desired
        .roles
        .get(name)
        .or_else(|| input.live.roles.get(name))
}

/// Every role `user` is a member of, directly or through groups (what
/// `+group` tests, superuser or not), itself included: after the apply
/// (`after`) or as it is now.
fn memberships(
    input: &DiffInput<'_>,
    user: &str,
    dropped: &BTreeSet<String>,
    after: bool,
) -> Vec<String> {
    let direct = |name: &str| -> Vec<String> {
        let live = input.live.roles.get(name);
        match input.desired.roles.get(name).filter(|_| after) {
            Some(desired) => {
                let mut groups: Vec<String> = desired.member_of.keys().cloned().collect();
                // Kept although undeclared (see Role::implicit_admin_of).
                groups.extend(live.into_iter().flat_map(|role| {
                    role.implicit_admin_of
                        .iter()
                        .filter(|g| role.member_of.contains_key(*g))
                        .cloned()
                }));
                groups
            }
            None => live
                .map(|role| role.member_of.keys().cloned().collect())
                .unwrap_or_default(),
        }
    };
    let mut seen = BTreeSet::from([user.to_owned()]);
    let mut queue = vec![user.to_owned()];
    while let Some(role) = queue.pop() {
        for group in direct(&role) {
            if !dropped.contains(&group) && seen.insert(group.clone()) {
                queue.push(group);
            }
        }
    }
    seen.into_iter().collect()
}

/// Every database pgfort connects to for this plan: the current one, the
/// ones inspection reads (those the configuration names that accept
/// connections), and those with per-database work.
fn databases(input: &DiffInput<'_>, diff: &Diff) -> Vec<String> {
    let mut out = BTreeSet::from([input.facts.current_database.clone()]);
    let scope = crate::inspect::InspectScope::from_desired(input.desired, input.manage);
    let connectable: BTreeSet<&String> = input.facts.databases.iter().collect();
    out.extend(
        scope
            .databases
            .into_iter()
            .filter(|db| connectable.contains(db)),
    );
    for change in &diff.changes {
        for statement in &change.statements {
            if let Target::Database(db) = &statement.target {
                out.insert(db.clone());
            }
        }
    }
    out.into_iter().collect()
}

/// Whether the role's password will have expired (VALID UNTIL in the
/// past), at `now` (seconds since the epoch).
fn expired(attributes: &RoleAttributes, now: i64) -> bool {
    match attributes.valid_until.as_deref() {
        None | Some("infinity") => false,
        Some("-infinity") => true,
        Some(text) => unix_seconds(text).is_some_and(|at| at <= now),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` (as roles are normalised) in seconds since the
/// epoch.
fn unix_seconds(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 20 || bytes[10] != b'T' || bytes[19] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

#[cfg(test)]
#[path = "admission_tests.rs"]
mod tests;
