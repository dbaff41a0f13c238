//! A rolling restart through Patroni (`POST /restart`): the members that
//! report a pending restart, one at a time, replicas first and the leader
//! last, so a standby never runs with less than its primary needs (such as
//! a lower max_connections) and the leader keeps its lock throughout.

use std::time::{Duration, Instant};

use super::{PatroniApi, PatroniError};
use crate::model::{PatroniMember, PatroniView};

const POLL: Duration = Duration::from_millis(500);
/// How long members may take to report what a new configuration needs.
const REPORT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a restarted member may take to be running again, and the
/// whole cluster to clear its pending restarts.
const BACK_TIMEOUT: Duration = Duration::from_secs(120);

/// Restarts the members waiting for a restart; returns their names in the
/// order restarted (empty when none waits). `say` is told each step.
pub async fn rolling_restart(
    api: &PatroniApi,
    say: &dyn Fn(&str),
) -> Result<Vec<String>, PatroniError> {
    let pending = settled_pending(api).await?;
    let order = restart_order(&pending);
    for member in &order {
        say(&format!(
            "Restarting {} ({}) through Patroni…",
            member.name, member.role
        ));
        api.restart(&member.api).await?;
        wait_for(api, &format!("{} running again", member.name), |view| {
            view.members.iter().any(|m| {
                m.name == member.name && matches!(m.state.as_str(), "running" | "streaming")
            })
        })
        .await?;
    }
    if !order.is_empty() {
        wait_for(api, "no member waiting for a restart", |view| {
            view.members.iter().all(|m| !m.pending_restart)
        })
        .await?;
    }
    Ok(order.into_iter().map(|m| m.name).collect())
}

/// Replicas first (by name), the leader last.
pub fn restart_order(pending: &[PatroniMember]) -> Vec<PatroniMember> {
    let mut order: Vec<PatroniMember> = pending.to_vec();
    order.sort_by(|a, b| (a.is_leader(), &a.name).cmp(&(b.is_leader(), &b.name)));
    order
}

/// The members reporting a pending restart, once the report has stopped
/// changing: Patroni marks each member on its own loop after a change.
async fn settled_pending(api: &PatroniApi) -> Result<Vec<PatroniMember>, PatroniError> {
    let deadline = Instant::now() + REPORT_TIMEOUT;
    let mut previous: Option<Vec<String>> = None;
    let mut stable = 0;
    loop {
        let view = api.view().await?;
        let pending: Vec<PatroniMember> = view
            .members
            .iter()
            .filter(|m| m.pending_restart)
            .cloned()
            .collect();
        let names: Vec<String> = pending.iter().map(|m| m.name.clone()).collect();
        let everyone = pending.len() == view.members.len();
        if previous.as_ref() == Some(&names) {
            stable += 1;
        } else {
            stable = 0;
        }
        if everyone || stable >= 3 || Instant::now() > deadline {
            return Ok(pending);
        }
        previous = Some(names);
        tokio::time::sleep(POLL).await;
    }
}

async fn wait_for(
    api: &PatroniApi,
    what: &str,
    done: impl Fn(&PatroniView) -> bool,
) -> Result<(), PatroniError> {
    let deadline = Instant::now() + BACK_TIMEOUT;
    loop {
        // A member restarting may not answer for a moment.
        if let Ok(view) = api.view().await
            && done(&view)
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(PatroniError::Invalid {
                url: api.url().to_owned(),
                message: format!(
                    "waited {} s for {what}; see `patronictl list` and Patroni's logs",
                    BACK_TIMEOUT.as_secs()
                ),
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(name: &str, role: &str) -> PatroniMember {
        PatroniMember {
            name: name.into(),
            role: role.into(),
            state: "running".into(),
            host: "127.0.0.1".into(),
            port: 5432,
            api: format!("http://{name}:8008"),
            pending_restart: true,
        }
    }

    #[test]
    fn replicas_first_then_the_leader() {
        let order = restart_order(&[
            member("b", "leader"),
            member("c", "replica"),
            member("a", "sync_standby"),
        ]);
        let names: Vec<&str> = order.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["a", "c", "b"]);
    }
}
