//! The Patroni configuration of one node.

use std::path::Path;

use serde_json::{Value, json};

use super::{HOST, LOCAL_PARAMETER, PatroniNode, REPLICATION_USER, REST_USER, SCOPE, SUPERUSER};

/// One node's Patroni configuration.
pub fn node_config(
    node: &PatroniNode,
    dir: &Path,
    pg_bin: &Path,
    etcd_client: u16,
    password: &str,
    replication_password: &str,
    rest_password: &str,
) -> Value {
    let rest = format!("{HOST}:{}", node.rest_port);
    let pg = format!("{HOST}:{}", node.pg_port);
    let (local_name, local_value) = LOCAL_PARAMETER;
    json!({
        "scope": SCOPE,
        "name": node.name,
        "restapi": {
            "listen": rest,
            "connect_address": rest,
            // Asked of PATCH, POST and DELETE requests.
            "authentication": { "username": REST_USER, "password": rest_password },
        },
        "etcd3": { "hosts": format!("{HOST}:{etcd_client}") },
        "bootstrap": {
            "dcs": {
                "ttl": 10,
                "loop_wait": 2,
                "retry_timeout": 5,
                "postgresql": {
                    "use_pg_rewind": true,
                    "parameters": {
                        "wal_level": "replica",
                        "hot_standby": "on",
                        "max_wal_senders": 5,
                        "max_replication_slots": 5,
                        "fsync": "off",
                    },
                    // Here rather than in the node's own `postgresql`
                    // section, where PATCH /config could not change it.
                    "pg_hba": base_hba(),
                },
            },
            "initdb": [
                { "encoding": "UTF8" },
                { "locale": "C" },
                { "auth-host": "scram-sha-256" },
                { "auth-local": "scram-sha-256" },
            ],
        },
        "postgresql": {
            "listen": pg,
            "connect_address": pg,
            "data_dir": node.data_dir,
            "bin_dir": pg_bin,
            "pgpass": dir.join(format!("{}.pgpass", node.name)),
            "use_pg_rewind": true,
            "authentication": {
                "superuser": { "username": SUPERUSER, "password": password },
                "replication": { "username": REPLICATION_USER, "password": replication_password },
            },
            "parameters": {
                "unix_socket_directories": dir,
                local_name: local_value,
            },
        },
    })
}

/// The pg_hba lines the cluster starts with: replication and the
/// superuser from 127.0.0.1, with passwords.
pub fn base_hba() -> Vec<String> {
    vec![
        format!("host replication {REPLICATION_USER} {HOST}/32 scram-sha-256"),
        format!("host all {SUPERUSER} {HOST}/32 scram-sha-256"),
    ]
}
