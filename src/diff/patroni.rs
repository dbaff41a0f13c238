//! Under Patroni, pg_hba.conf is Patroni's to write (it rewrites the file
//! on every member from its dynamic configuration): the rewrite the hba
//! diff planned goes into `postgresql.pg_hba` instead.

use super::{Diff, DiffError, DiffInput};
use crate::model::PatroniPatch;

pub(super) fn route(input: &DiffInput<'_>, out: &mut Diff) -> Result<(), DiffError> {
    let Some(view) = &input.live.settings.patroni else {
        return Ok(());
    };
    if let (Some(dynamic), Some(text)) = (
        &view.pg_hba,
        input.live.hba.as_ref().and_then(|hba| hba.text.as_ref()),
    ) && rule_lines(text) != *dynamic
        && input.desired.hba.is_some()
    {
        out.warnings.push(
            "hba: pg_hba.conf on the leader is not Patroni's postgresql.pg_hba (edited by hand, \
             or set in the node's own Patroni configuration, which wins over the dynamic one)"
                .to_owned(),
        );
    }
    let pending: Vec<&str> = view
        .members
        .iter()
        .filter(|m| m.pending_restart)
        .map(|m| m.name.as_str())
        .collect();
    if !pending.is_empty() {
        out.notes.push(format!(
            "patroni: {} wait(s) for a restart; apply --restart-if-needed restarts them through \
             Patroni, replicas first",
            pending.join(", ")
        ));
    }
    if let Some(write) = &out.hba {
        if write.over_tls.is_some() {
            return Err(DiffError {
                message: "hba: the new rules admit pgfort's own connection only over TLS, and \
                          under Patroni pgfort cannot switch to TLS halfway through an apply"
                    .to_owned(),
                hint: Some("connect with sslmode=require (or stricter) and plan again".to_owned()),
            });
        }
        let lines = rule_lines(&write.after);
        out.patroni
            .get_or_insert_with(|| PatroniPatch {
                url: view.url.clone(),
                ..Default::default()
            })
            .pg_hba = Some(lines);
    }
    if out.patroni.is_some() {
        out.notes.push(format!(
            "patroni: settings and pg_hba rules go into the dynamic configuration of the cluster \
             at {} (PATCH /config), which Patroni applies on every member",
            view.url
        ));
    }
    Ok(())
}

/// The pg_hba.conf Patroni writes for the rules of `planned`: the header
/// comment it puts in `current` (its own), then the rules.
pub(super) fn as_patroni_writes(current: &str, planned: &str) -> String {
    let header: String = current
        .lines()
        .take_while(|line| line.starts_with('#'))
        .map(|line| format!("{line}\n"))
        .collect();
    format!("{header}{}\n", rule_lines(planned).join("\n"))
}

/// The rules of a pg_hba.conf text, one per line, without comments and
/// blank lines: the form of Patroni's `postgresql.pg_hba`.
pub fn rule_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::rule_lines;

    #[test]
    fn rule_lines_drop_comments_and_blanks() {
        let text = "# header\n\nlocal all all peer\n  host all all 127.0.0.1/32 scram-sha-256  \n";
        assert_eq!(
            rule_lines(text),
            [
                "local all all peer",
                "host all all 127.0.0.1/32 scram-sha-256"
            ]
        );
    }
}
