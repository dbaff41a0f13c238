//! Patroni's REST API: finding the leader, reading and patching the
//! dynamic configuration, and restarting members. A server Patroni
//! manages gets its settings and pg_hba rules from there: Patroni rewrites
//! postgresql.conf and pg_hba.conf on every member from it, so writing
//! either file (or ALTER SYSTEM) behind its back would be undone or
//! would split the members.

mod client;
mod cluster;
mod restart;

pub use client::{PatroniApi, PatroniError};
pub use cluster::{dynamic_config, members};
pub use restart::{restart_order, rolling_restart};

use crate::connect::ConnectionSettings;
use crate::model::PatroniView;

/// `settings` pointed at the leader's PostgreSQL, as the cluster names it:
/// catalog work goes to the leader wherever the connection block points
/// (a failover moves it). User, database and TLS settings are kept; a
/// verify-full connection keeps the host name it verifies when the leader
/// is that host.
pub fn follow_leader(
    settings: &ConnectionSettings,
    view: &PatroniView,
) -> Result<ConnectionSettings, PatroniError> {
    let leader = view.leader().ok_or_else(|| PatroniError::NoLeader {
        url: view.url.clone(),
        members: view
            .members
            .iter()
            .map(|m| format!("{} ({}, {})", m.name, m.role, m.state))
            .collect(),
    })?;
    let mut followed = settings.clone();
    if followed.host != leader.host || followed.port != leader.port {
        followed.host = leader.host.clone();
        followed.port = leader.port;
        followed.hostaddr = None;
    }
    Ok(followed)
}
