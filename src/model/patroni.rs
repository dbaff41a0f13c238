//! A server managed by Patroni: where its REST API is, what its dynamic
//! configuration holds, and what it asks apply to change there.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::Secret;

/// The `patroni {}` block: how to reach the REST API of the cluster the
/// server belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatroniEndpoint {
    /// Base URLs of cluster members' REST APIs (`http://10.0.0.1:8008`),
    /// tried in order: any member answers for the whole cluster.
    pub urls: Vec<String>,
    /// Basic authentication for the API's writing endpoints.
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// The authority an `https` API's certificate must chain to (PEM);
    /// without it, the public roots.
    pub cacert: Option<PathBuf>,
    /// A client certificate and key (PEM), when the API verifies clients.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

/// One member of a Patroni cluster, as `GET /cluster` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatroniMember {
    pub name: String,
    /// `leader`, `replica`, `sync_standby`, `standby_leader`…
    pub role: String,
    /// `running`, `streaming`, `stopped`…
    pub state: String,
    /// Where its PostgreSQL listens.
    pub host: String,
    pub port: u16,
    /// Its REST API's base URL (`api_url` without `/patroni`).
    pub api: String,
    /// Patroni says a restart-only parameter waits for a restart.
    pub pending_restart: bool,
}

impl PatroniMember {
    pub fn is_leader(&self) -> bool {
        matches!(self.role.as_str(), "leader" | "master" | "primary")
    }
}

/// What the REST API said about the cluster at inspection (live only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PatroniView {
    /// The API that answered.
    pub url: String,
    pub members: Vec<PatroniMember>,
    /// `postgresql.parameters` of the dynamic configuration, as text.
    pub parameters: BTreeMap<String, String>,
    /// `postgresql.pg_hba` of the dynamic configuration, when set.
    pub pg_hba: Option<Vec<String>>,
}

impl PatroniView {
    pub fn leader(&self) -> Option<&PatroniMember> {
        self.members.iter().find(|m| m.is_leader())
    }
}

/// One `PATCH /config` apply sends: parameters to set (`None` removes
/// one) and the pg_hba lines, each only when they change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatroniPatch {
    /// The API the plan was computed against (no credentials).
    pub url: String,
    pub parameters: BTreeMap<String, Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pg_hba: Option<Vec<String>>,
}

impl PatroniPatch {
    pub fn is_empty(&self) -> bool {
        self.parameters.is_empty() && self.pg_hba.is_none()
    }

    /// The JSON merge patch Patroni takes: `null` removes a parameter.
    pub fn body(&self) -> serde_json::Value {
        let mut postgresql = serde_json::Map::new();
        if !self.parameters.is_empty() {
            let parameters: serde_json::Map<String, serde_json::Value> = self
                .parameters
                .iter()
                .map(|(name, value)| {
                    let value = value
                        .as_ref()
                        .map_or(serde_json::Value::Null, |v| v.clone().into());
                    (name.clone(), value)
                })
                .collect();
            postgresql.insert("parameters".into(), parameters.into());
        }
        if let Some(lines) = &self.pg_hba {
            postgresql.insert("pg_hba".into(), lines.clone().into());
        }
        serde_json::json!({ "postgresql": postgresql })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_body_sets_removes_and_replaces_pg_hba() {
        let patch = PatroniPatch {
            url: "http://127.0.0.1:8008".into(),
            parameters: [
                ("work_mem".to_owned(), Some("8MB".to_owned())),
                ("lock_timeout".to_owned(), None),
            ]
            .into(),
            pg_hba: Some(vec!["host all all 127.0.0.1/32 scram-sha-256".into()]),
        };
        assert_eq!(
            patch.body(),
            serde_json::json!({"postgresql": {
                "parameters": {"lock_timeout": null, "work_mem": "8MB"},
                "pg_hba": ["host all all 127.0.0.1/32 scram-sha-256"],
            }})
        );
        let only_hba = PatroniPatch {
            parameters: BTreeMap::new(),
            ..patch
        };
        assert!(only_hba.body()["postgresql"].get("parameters").is_none());
    }
}
