//! The answers of `GET /cluster` and `GET /config`, read into plain data.

use std::collections::BTreeMap;

use serde_json::Value;

use super::PatroniError;
use crate::model::PatroniMember;

/// The members `GET /cluster` lists.
pub fn members(url: &str, body: &Value) -> Result<Vec<PatroniMember>, PatroniError> {
    let invalid = |what: &str| PatroniError::Invalid {
        url: url.to_owned(),
        message: format!("GET /cluster: {what}"),
    };
    let list = body["members"]
        .as_array()
        .ok_or_else(|| invalid("no \"members\" list"))?;
    list.iter()
        .map(|member| {
            let text = |key: &str| member[key].as_str().unwrap_or_default().to_owned();
            let name = text("name");
            if name.is_empty() {
                return Err(invalid("a member without a name"));
            }
            let port = member["port"]
                .as_u64()
                .and_then(|p| u16::try_from(p).ok())
                .ok_or_else(|| invalid(&format!("member {name} has no port")))?;
            let api = text("api_url");
            let api = api.strip_suffix("/patroni").unwrap_or(&api).to_owned();
            Ok(PatroniMember {
                role: text("role"),
                state: text("state"),
                host: text("host"),
                port,
                api,
                pending_restart: member["pending_restart"] == Value::Bool(true),
                name,
            })
        })
        .collect()
}

/// `postgresql.parameters` (as text, names in lower case) and
/// `postgresql.pg_hba` of a dynamic configuration.
pub type DynamicConfig = (BTreeMap<String, String>, Option<Vec<String>>);

/// The [`DynamicConfig`] in what `GET /config` returns.
pub fn dynamic_config(url: &str, body: &Value) -> Result<DynamicConfig, PatroniError> {
    let postgresql = &body["postgresql"];
    let mut parameters = BTreeMap::new();
    if let Some(map) = postgresql["parameters"].as_object() {
        for (name, value) in map {
            let text = match value {
                Value::Null => continue,
                Value::String(s) => s.clone(),
                Value::Bool(b) => if *b { "on" } else { "off" }.to_owned(),
                other => other.to_string(),
            };
            parameters.insert(name.to_lowercase(), text);
        }
    }
    let pg_hba = match &postgresql["pg_hba"] {
        Value::Null => None,
        Value::Array(lines) => Some(
            lines
                .iter()
                .map(|line| {
                    line.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| PatroniError::Invalid {
                            url: url.to_owned(),
                            message: "GET /config: postgresql.pg_hba holds a non-string".into(),
                        })
                })
                .collect::<Result<_, _>>()?,
        ),
        _ => {
            return Err(PatroniError::Invalid {
                url: url.to_owned(),
                message: "GET /config: postgresql.pg_hba is not a list".into(),
            });
        }
    };
    Ok((parameters, pg_hba))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_members_and_the_dynamic_configuration() {
        let cluster = json!({"members": [
            {"name": "node1", "role": "leader", "state": "running", "host": "127.0.0.1",
             "port": 5433, "api_url": "http://127.0.0.1:8009/patroni", "pending_restart": true},
            {"name": "node2", "role": "replica", "state": "streaming", "host": "127.0.0.1",
             "port": 5434, "api_url": "http://127.0.0.1:8010/patroni"},
        ]});
        let listed = members("u", &cluster).unwrap();
        assert_eq!(listed[0].api, "http://127.0.0.1:8009");
        assert!(listed[0].is_leader() && listed[0].pending_restart);
        assert!(!listed[1].is_leader() && !listed[1].pending_restart);
        assert!(members("u", &json!({"members": [{"name": "x"}]})).is_err());

        let config = json!({"postgresql": {
            "parameters": {"work_mem": "8MB", "max_wal_senders": 5, "hot_standby": true,
                           "Gone": null},
            "pg_hba": ["host all all 127.0.0.1/32 scram-sha-256"],
        }});
        let (parameters, hba) = dynamic_config("u", &config).unwrap();
        assert_eq!(parameters["max_wal_senders"], "5");
        assert_eq!(parameters["hot_standby"], "on");
        assert!(!parameters.contains_key("gone"));
        assert_eq!(hba.unwrap().len(), 1);
        assert_eq!(
            dynamic_config("u", &json!({})).unwrap(),
            (BTreeMap::new(), None)
        );
        assert!(dynamic_config("u", &json!({"postgresql": {"pg_hba": "x"}})).is_err());
    }
}
