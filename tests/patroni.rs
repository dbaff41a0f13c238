//! A two-node Patroni cluster (tests/common/patroni.rs) and what its REST
//! API does to PostgreSQL's settings and pg_hba.conf: the behaviour pgfort
//! relies on when a server is managed by Patroni. One cluster serves every
//! step, since starting one takes seconds.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use std::time::{Duration, Instant};

use common::patroni::config::base_hba;
use common::patroni::{LOCAL_PARAMETER, PatroniCluster, REST_USER};
use serde_json::{Value, json};

/// How long a change through the REST API may take to reach both nodes
/// (Patroni applies the dynamic configuration every loop_wait = 2 s).
const APPLY_TIMEOUT: Duration = Duration::from_secs(20);

#[test]
fn patroni_cluster_applies_its_dynamic_configuration() {
    let started = Instant::now();
    let Some(cluster) = PatroniCluster::start() else {
        return;
    };
    let leader = cluster.leader().expect("GET /cluster names a leader");
    let replica = 1 - leader;

    roles(&cluster, leader, replica);
    reload(&cluster, leader);
    alter_system(&cluster, leader, replica);
    restart(&cluster, leader, replica);
    pg_hba(&cluster, leader);
    local_pg_hba_wins(&cluster, leader, replica);
    remove_parameter(&cluster, replica);
    assert_eq!(cluster.leader(), Some(leader), "the leader never changed");

    let stopping = Instant::now();
    drop(cluster);
    eprintln!(
        "patroni: stopped in {:?}; the whole test took {:?}",
        stopping.elapsed(),
        started.elapsed()
    );
}

/// One leader, not in recovery, streaming to one replica in recovery.
fn roles(cluster: &PatroniCluster, leader: usize, replica: usize) {
    assert_eq!(
        cluster
            .query_value(leader, "SELECT pg_is_in_recovery()::text")
            .as_deref(),
        Some("false")
    );
    assert_eq!(
        cluster
            .query_value(replica, "SELECT pg_is_in_recovery()::text")
            .as_deref(),
        Some("true")
    );
    let streaming = cluster.query_value(
        leader,
        "SELECT string_agg(application_name || ' ' || state, ',') FROM pg_stat_replication",
    );
    let replica_name = &cluster.node(replica).name;
    assert_eq!(streaming, Some(format!("{replica_name} streaming")));

    let members = cluster.get_ok(leader, "/cluster").expect("GET /cluster");
    let role_of = |name: &str| {
        members["members"]
            .as_array()
            .and_then(|all| all.iter().find(|m| m["name"] == name))
            .map(|m| m["role"].clone())
    };
    assert_eq!(role_of(&cluster.node(leader).name), Some(json!("leader")));
    assert_eq!(role_of(replica_name), Some(json!("replica")));
    // The health endpoints a client can find the leader with.
    let status = |i: usize, path: &str| cluster.request(i, "GET", path, None).map(|(s, _)| s);
    assert_eq!(status(leader, "/leader"), Ok(200));
    assert_eq!(status(replica, "/leader"), Ok(503));
    assert_eq!(status(replica, "/replica"), Ok(200));
}

/// A reloadable parameter set through PATCH /config reaches both nodes;
/// one set in a node's own YAML does not change.
fn reload(cluster: &PatroniCluster, leader: usize) {
    let (local_name, local_value) = LOCAL_PARAMETER;
    let body = patch(
        cluster,
        leader,
        json!({"postgresql": {"parameters": {"work_mem": "8MB", local_name: "5s"}}}),
    );
    assert_eq!(
        body["postgresql"]["parameters"]["work_mem"], "8MB",
        "{body}"
    );
    let took = cluster.wait("work_mem = 8MB on both nodes", APPLY_TIMEOUT, |c| {
        on_both(c, |i| show(c, i, "work_mem").as_deref() == Some("8MB"))
    });
    eprintln!("patroni: a reloadable parameter reached both nodes in {took:?}");
    for i in 0..2 {
        assert_eq!(show(cluster, i, local_name).as_deref(), Some(local_value));
        let state = cluster.get_ok(i, "/patroni").expect("GET /patroni");
        assert_eq!(state.get("pending_restart"), None, "{state}");
    }
    assert_eq!(
        cluster.get_ok(leader, "/config").expect("GET /config"),
        body,
        "GET /config returns what PATCH /config answered"
    );
}

/// ALTER SYSTEM on one node wins over Patroni's value there, and only there.
fn alter_system(cluster: &PatroniCluster, leader: usize, replica: usize) {
    alter_system_and_reload(cluster, leader, "SET work_mem = '16MB'");
    cluster.wait(
        "ALTER SYSTEM's work_mem on the leader",
        APPLY_TIMEOUT,
        |c| show(c, leader, "work_mem").as_deref() == Some("16MB"),
    );
    let source = cluster.query_value(
        leader,
        "SELECT sourcefile FROM pg_settings WHERE name = 'work_mem'",
    );
    assert!(
        source
            .as_deref()
            .is_some_and(|file| file.ends_with("/postgresql.auto.conf")),
        "{source:?}"
    );
    assert_eq!(show(cluster, replica, "work_mem").as_deref(), Some("8MB"));

    // Patroni writes the new value into postgresql.conf, but
    // postgresql.auto.conf, read after it, still wins on the leader.
    patch(
        cluster,
        leader,
        json!({"postgresql": {"parameters": {"work_mem": "12MB"}}}),
    );
    let file_value = |c: &PatroniCluster| {
        c.try_psql(
            leader,
            "SELECT setting || ' ' || applied FROM pg_file_settings \
             WHERE name = 'work_mem' AND sourcefile LIKE '%/postgresql.conf'",
        )
        .ok()
        .and_then(|rows| rows.into_iter().next()?.into_iter().next()?)
    };
    cluster.wait(
        "Patroni's work_mem in both nodes' files",
        APPLY_TIMEOUT,
        |c| {
            file_value(c).as_deref() == Some("12MB false")
                && show(c, replica, "work_mem").as_deref() == Some("12MB")
        },
    );
    assert_eq!(show(cluster, leader, "work_mem").as_deref(), Some("16MB"));

    alter_system_and_reload(cluster, leader, "RESET work_mem");
    cluster.wait(
        "Patroni's work_mem back on the leader",
        APPLY_TIMEOUT,
        |c| show(c, leader, "work_mem").as_deref() == Some("12MB"),
    );
}

/// A restart-only parameter is pending on both nodes until POST /restart;
/// ALTER SYSTEM cannot override it, as Patroni passes it on the command line.
fn restart(cluster: &PatroniCluster, leader: usize, replica: usize) {
    let before: u32 = show(cluster, leader, "max_connections")
        .and_then(|v| v.parse().ok())
        .expect("max_connections");
    let wanted = (before + 20).to_string();
    patch(
        cluster,
        leader,
        json!({"postgresql": {"parameters": {"max_connections": wanted}}}),
    );
    let took = cluster.wait("pending_restart in GET /patroni", APPLY_TIMEOUT, |c| {
        on_both(c, |i| {
            c.get_ok(i, "/patroni")
                .is_some_and(|state| state["pending_restart"] == true)
        })
    });
    eprintln!("patroni: pending_restart reported by both nodes after {took:?}");
    cluster.wait("pending_restart in GET /cluster", APPLY_TIMEOUT, |c| {
        members(c, leader).is_some_and(|all| all.iter().all(|m| m["pending_restart"] == true))
    });
    for i in [leader, replica] {
        assert_eq!(
            show(cluster, i, "max_connections"),
            Some(before.to_string())
        );
        let pending =
            "SELECT pending_restart::text FROM pg_settings WHERE name = 'max_connections'";
        assert_eq!(cluster.query_value(i, pending).as_deref(), Some("true"));
    }
    let overridden = (before + 50).to_string();
    alter_system_and_reload(
        cluster,
        leader,
        &format!("SET max_connections = {overridden}"),
    );

    // The replica first: a standby needs at least the primary's value.
    for i in [replica, leader] {
        let restarting = Instant::now();
        let (status, body) = cluster
            .request(i, "POST", "/restart", Some(&json!({})))
            .unwrap_or_else(|e| panic!("{e}\n{}", cluster.logs()));
        assert_eq!(status, 200, "POST /restart: {body}\n{}", cluster.logs());
        eprintln!(
            "patroni: POST /restart on {} answered in {:?}",
            cluster.node(i).name,
            restarting.elapsed()
        );
    }
    cluster.wait("max_connections on both nodes", APPLY_TIMEOUT, |c| {
        on_both(c, |i| show(c, i, "max_connections") == Some(wanted.clone()))
    });
    cluster.wait("pending_restart cleared", APPLY_TIMEOUT, |c| {
        on_both(c, |i| {
            c.get_ok(i, "/patroni")
                .is_some_and(|state| state.get("pending_restart").is_none())
        }) && members(c, leader)
            .is_some_and(|all| all.iter().all(|m| m.get("pending_restart").is_none()))
    });
    assert_eq!(
        cluster.leader(),
        Some(leader),
        "a restart is not a failover"
    );
    assert_eq!(
        cluster
            .query_value(
                leader,
                "SELECT setting FROM pg_file_settings WHERE name = 'max_connections' \
                 AND sourcefile LIKE '%/postgresql.auto.conf'"
            )
            .as_deref(),
        Some(overridden.as_str()),
        "ALTER SYSTEM's value is in the file, yet the command line's is used"
    );
    alter_system_and_reload(cluster, leader, "RESET max_connections");
}

/// PATCH /config with `postgresql.pg_hba` rewrites pg_hba.conf everywhere.
fn pg_hba(cluster: &PatroniCluster, leader: usize) {
    let mut lines = base_hba();
    lines.push("host all pgfort_app 127.0.0.2/32 scram-sha-256".into());
    let body = patch(cluster, leader, json!({"postgresql": {"pg_hba": lines}}));
    assert_eq!(body["postgresql"]["pg_hba"], json!(lines), "{body}");
    let rule = "SELECT count(*)::text FROM pg_hba_file_rules \
                WHERE 'pgfort_app' = ANY (user_name) AND address = '127.0.0.2'";
    let took = cluster.wait("the new pg_hba rule on both nodes", APPLY_TIMEOUT, |c| {
        on_both(c, |i| {
            c.try_psql(i, rule)
                .is_ok_and(|rows| rows == vec![vec![Some("1".to_string())]])
        })
    });
    eprintln!("patroni: pg_hba.conf rewritten on both nodes in {took:?}");
    for i in 0..2 {
        let errors = "SELECT count(*)::text FROM pg_hba_file_rules WHERE error IS NOT NULL";
        assert_eq!(cluster.query_value(i, errors).as_deref(), Some("0"));
        let path = cluster.node(i).data_dir.join("pg_hba.conf");
        let file =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let rules: Vec<&str> = file
            .lines()
            .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
            .collect();
        assert_eq!(rules, lines, "{}:\n{file}", path.display());
    }
}

/// A `postgresql.pg_hba` in a node's own configuration file beats the one
/// in the dynamic configuration on that node, until it is removed again.
fn local_pg_hba_wins(cluster: &PatroniCluster, leader: usize, replica: usize) {
    let with_user = |user: &str, address: &str| {
        let mut lines = base_hba();
        lines.push(format!("host all {user} {address}/32 scram-sha-256"));
        lines
    };
    let has_rule = |c: &PatroniCluster, i: usize, user: &str| {
        let sql = format!(
            "SELECT count(*)::text FROM pg_hba_file_rules WHERE '{user}' = ANY (user_name)"
        );
        c.try_psql(i, &sql)
            .is_ok_and(|rows| rows == vec![vec![Some("1".to_string())]])
    };
    let local = with_user("pgfort_local", "127.0.0.3");
    cluster.edit_local_config(replica, |config| {
        config["postgresql"]["pg_hba"] = json!(local);
    });
    cluster.wait("the node's own pg_hba", APPLY_TIMEOUT, |c| {
        has_rule(c, replica, "pgfort_local")
    });

    // work_mem shows when the replica has taken in this configuration.
    let dynamic = with_user("pgfort_dynamic", "127.0.0.4");
    patch(
        cluster,
        leader,
        json!({"postgresql": {"pg_hba": dynamic, "parameters": {"work_mem": "6MB"}}}),
    );
    cluster.wait(
        "the dynamic configuration on both nodes",
        APPLY_TIMEOUT,
        |c| {
            has_rule(c, leader, "pgfort_dynamic")
                && on_both(c, |i| show(c, i, "work_mem").as_deref() == Some("6MB"))
        },
    );
    assert!(has_rule(cluster, replica, "pgfort_local"));
    assert!(!has_rule(cluster, replica, "pgfort_dynamic"));

    cluster.edit_local_config(replica, |config| {
        config["postgresql"]
            .as_object_mut()
            .expect("a postgresql section")
            .remove("pg_hba");
    });
    cluster.wait("the dynamic pg_hba on the replica", APPLY_TIMEOUT, |c| {
        has_rule(c, replica, "pgfort_dynamic") && !has_rule(c, replica, "pgfort_local")
    });
}

/// `null` in PATCH /config removes a parameter: the server default returns.
fn remove_parameter(cluster: &PatroniCluster, replica: usize) {
    let body = patch(
        cluster,
        replica,
        json!({"postgresql": {"parameters": {"work_mem": null}}}),
    );
    assert_eq!(
        body["postgresql"]["parameters"].get("work_mem"),
        None,
        "{body}"
    );
    cluster.wait("the default work_mem on both nodes", APPLY_TIMEOUT, |c| {
        on_both(c, |i| show(c, i, "work_mem").as_deref() == Some("4MB"))
    });
}

/// PATCH /config on node `i`: asserts 200 and returns the new configuration.
fn patch(cluster: &PatroniCluster, i: usize, change: Value) -> Value {
    let (status, body) = cluster
        .request(i, "PATCH", "/config", Some(&change))
        .unwrap_or_else(|e| panic!("{e}\n{}", cluster.logs()));
    assert_eq!(status, 200, "PATCH /config {change}: {body}");
    body
}

/// `ALTER SYSTEM {change}` on node `i`, then a reload (ALTER SYSTEM may not
/// share a transaction, so two statements).
fn alter_system_and_reload(cluster: &PatroniCluster, i: usize, change: &str) {
    cluster.psql(i, &format!("ALTER SYSTEM {change}"));
    cluster.psql(i, "SELECT pg_reload_conf()");
}

/// A setting as SHOW gives it; `None` while the node does not answer.
fn show(cluster: &PatroniCluster, i: usize, name: &str) -> Option<String> {
    let rows = cluster.try_psql(i, &format!("SHOW {name}")).ok()?;
    rows.into_iter().next()?.into_iter().next()?
}

fn on_both(cluster: &PatroniCluster, check: impl Fn(usize) -> bool) -> bool {
    (0..cluster.nodes().len()).all(check)
}

/// The members GET /cluster lists, asked of node `i`.
fn members(cluster: &PatroniCluster, i: usize) -> Option<Vec<Value>> {
    cluster.get_ok(i, "/cluster")?["members"]
        .as_array()
        .cloned()
}

/// The harness's HTTP client against canned answers: a plain body and a
/// chunked one with a multi-byte character split across chunks.
#[test]
fn http_client_reads_plain_and_chunked_bodies() {
    use std::io::{Read, Write};
    let answers: [&[u8]; 2] = [
        b"HTTP/1.0 200 OK\r\nContent-Length: 8\r\n\r\n{\"a\":1}\n",
        b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n\
          2\r\n\"\xc3\r\n4;x=y\r\n\xa9\r\n\"\r\n0\r\n\r\n",
    ];
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("an address").port();
    let server = std::thread::spawn(move || {
        let mut requests = Vec::new();
        for answer in answers {
            let (mut stream, _) = listener.accept().expect("a connection");
            let mut request = vec![0; 4096];
            let n = stream.read(&mut request).expect("a request");
            requests.push(String::from_utf8_lossy(&request[..n]).into_owned());
            stream.write_all(answer).expect("the answer");
        }
        requests
    });
    let plain = common::http::http(port, "GET", "/health", None);
    assert_eq!(plain, Ok((200, "{\"a\":1}\n".to_string())));
    let chunked = common::http::http(port, "PATCH", "/config", Some("{}"));
    assert_eq!(chunked, Ok((503, "\"é\r\n\"".to_string())));
    let requests = server.join().expect("the server thread");
    assert!(
        requests[0].starts_with("GET /health HTTP/1.1\r\n"),
        "{requests:?}"
    );
    assert!(
        requests[1].starts_with("PATCH /config HTTP/1.1\r\n")
            && requests[1].ends_with("\r\n\r\n{}"),
        "{requests:?}"
    );
}

/// pgfort against the Patroni cluster: pointed at the replica, it follows
/// the leader the REST API names; settings and pg_hba rules go through
/// PATCH /config (never ALTER SYSTEM or a file write); a restart-only
/// setting is restarted member by member, replicas first; drift made
/// through the API and through ALTER SYSTEM shows and is repaired; an API
/// that does not answer stops the run before anything changes.
#[test]
fn pgfort_cycle_through_patroni() {
    let Some(cluster) = PatroniCluster::start() else {
        return;
    };
    let leader = cluster.leader().expect("GET /cluster names a leader");
    let replica = 1 - leader;
    let max_connections: u32 = show(&cluster, leader, "max_connections")
        .and_then(|v| v.parse().ok())
        .expect("max_connections");
    let wanted_connections = (max_connections + 10).to_string();
    let dir = common::workdir();
    let credentials = format!(
        "  username = \"{REST_USER}\"\n  password = \"{}\"",
        cluster.rest_password()
    );
    // The replica's API first: any member answers for the cluster.
    let urls = format!(
        "[\"{}\", \"{}\"]",
        cluster.node(replica).rest_url(),
        cluster.node(leader).rest_url()
    );
    common::write_files(
        dir.path(),
        &[(
            "main.hcl",
            &patroni_config(&urls, &credentials, &wanted_connections),
        )],
    );
    let pgfort = |args: &[&str]| cluster.pgfort_in(replica, dir.path(), args);

    // From empty, connected to the replica: the leader is planned.
    let first = pgfort(&["plan", "--detailed-exitcode", "."]);
    assert_eq!(first.code, Some(2), "{first:?}");
    for expected in [
        "role.app_user",
        "setting.work_mem",
        "setting.max_connections",
        "PATCH /config",
    ] {
        assert!(first.stdout.contains(expected), "{expected}: {first:?}");
    }
    let applied = pgfort(&["apply", "--auto-approve", "."]);
    assert!(applied.success(), "{applied:?}\n{}", cluster.logs());
    assert!(
        applied.stdout.contains("dynamic configuration patched"),
        "{applied:?}"
    );
    let config = cluster.get_ok(leader, "/config").expect("GET /config");
    assert_eq!(
        config["postgresql"]["parameters"]["work_mem"], "8MB",
        "{config}"
    );
    assert_eq!(
        config["postgresql"]["pg_hba"],
        json!(hba_lines()),
        "{config}"
    );
    cluster.wait(
        "the new work_mem and rule on both nodes",
        APPLY_TIMEOUT,
        |c| {
            on_both(c, |i| {
                show(c, i, "work_mem").as_deref() == Some("8MB")
                    && c.try_psql(i, APP_RULE)
                        .is_ok_and(|rows| rows == vec![vec![Some("1".to_string())]])
            })
        },
    );
    let written_by_alter_system = "SELECT count(*)::text FROM pg_file_settings \
         WHERE sourcefile LIKE '%postgresql.auto.conf'";
    assert_eq!(
        cluster
            .query_value(leader, written_by_alter_system)
            .as_deref(),
        Some("0"),
        "nothing was written with ALTER SYSTEM"
    );
    cluster.wait("app_user replicated", APPLY_TIMEOUT, |c| {
        c.try_psql(replica, "SELECT 1 FROM pg_roles WHERE rolname = 'app_user'")
            .is_ok_and(|rows| rows.len() == 1)
    });

    // Empty, but max_connections waits for a restart.
    let second = pgfort(&["plan", "--detailed-exitcode", "."]);
    assert_eq!(second.code, Some(0), "{second:?}");
    assert!(second.stdout.contains("max_connections"), "{second:?}");

    // A rolling restart through Patroni: the replica, then the leader.
    let restarted = pgfort(&["apply", "--auto-approve", "--restart-if-needed", "."]);
    assert!(restarted.success(), "{restarted:?}\n{}", cluster.logs());
    let replica_at = restarted
        .stdout
        .find(&format!("Restarting {}", cluster.node(replica).name));
    let leader_at = restarted
        .stdout
        .find(&format!("Restarting {}", cluster.node(leader).name));
    assert!(
        replica_at.is_some() && replica_at < leader_at,
        "{restarted:?}"
    );
    assert!(
        restarted.stdout.contains("Restart complete"),
        "{restarted:?}"
    );
    for i in [leader, replica] {
        assert_eq!(
            show(&cluster, i, "max_connections"),
            Some(wanted_connections.clone())
        );
    }
    assert_eq!(
        cluster.leader(),
        Some(leader),
        "a restart is not a failover"
    );
    let quiet = pgfort(&["plan", "--detailed-exitcode", "."]);
    assert_eq!(quiet.code, Some(0), "{quiet:?}");
    assert!(!quiet.stdout.contains("max_connections"), "{quiet:?}");

    // Drift behind pgfort's back: the rule dropped through the API, and
    // work_mem overridden with ALTER SYSTEM on the leader.
    patch(
        &cluster,
        replica,
        json!({"postgresql": {"pg_hba": base_hba()}}),
    );
    alter_system_and_reload(&cluster, leader, "SET work_mem = '32MB'");
    cluster.wait("the drift on the leader", APPLY_TIMEOUT, |c| {
        show(c, leader, "work_mem").as_deref() == Some("32MB")
            && c.try_psql(leader, APP_RULE)
                .is_ok_and(|rows| rows == vec![vec![Some("0".to_string())]])
    });
    let drift = pgfort(&["plan", "--detailed-exitcode", "."]);
    assert_eq!(drift.code, Some(2), "{drift:?}");
    assert!(drift.stdout.contains("setting.work_mem"), "{drift:?}");
    assert!(drift.stdout.contains("postgresql.auto.conf"), "{drift:?}");
    assert!(drift.stdout.contains("hba"), "{drift:?}");
    assert!(!drift.stdout.contains("role.app_user"), "{drift:?}");
    let repaired = pgfort(&["apply", "--auto-approve", "."]);
    assert!(repaired.success(), "{repaired:?}\n{}", cluster.logs());
    assert_eq!(
        cluster
            .query_value(leader, written_by_alter_system)
            .as_deref(),
        Some("0")
    );
    cluster.wait("the repair on both nodes", APPLY_TIMEOUT, |c| {
        on_both(c, |i| {
            show(c, i, "work_mem").as_deref() == Some("8MB")
                && c.try_psql(i, APP_RULE)
                    .is_ok_and(|rows| rows == vec![vec![Some("1".to_string())]])
        })
    });
    let last = pgfort(&["plan", "--detailed-exitcode", "."]);
    assert_eq!(last.code, Some(0), "{last:?}");

    // A fleet entry naming the replica, its Patroni URL a variable: --env
    // follows the leader too (a standby would refuse the new role).
    let fleet = common::workdir();
    let config = patroni_config("var.patroni_url", &credentials, &wanted_connections)
        .replace("\"app_user\" {", "\"fleet_role\" {\n}\nrole \"app_user\" {");
    let fleet_config = format!(
        r#"{config}
variable "patroni_url" {{
  default = "http://127.0.0.1:9"
}}

environment "ha" {{
  servers = [
    {{ name = "pair", host = "127.0.0.1", port = {port}, user = "postgres",
       password = "{password}", dbname = "postgres", sslmode = "disable",
       variables = {{ patroni_url = "{url}" }} }},
  ]
}}
"#,
        port = cluster.node(replica).pg_port,
        password = cluster.password(),
        url = cluster.node(replica).rest_url(),
    );
    common::write_files(fleet.path(), &[("main.hcl", &fleet_config)]);
    let fleet_apply = cluster.pgfort_in(
        replica,
        fleet.path(),
        &["apply", "--env", "ha", "--auto-approve", "."],
    );
    assert!(fleet_apply.success(), "{fleet_apply:?}");
    assert!(fleet_apply.stdout.contains("1 changed"), "{fleet_apply:?}");
    // The section names the leader it changed, not the replica configured.
    let heading = format!(
        "=== ha/pair (postgres@127.0.0.1:{}/postgres) ===",
        cluster.node(leader).pg_port
    );
    assert!(
        fleet_apply.stdout.contains(&heading),
        "{heading} in {fleet_apply:?}"
    );
    assert_eq!(
        cluster
            .query_value(
                leader,
                "SELECT count(*)::text FROM pg_roles WHERE rolname = 'fleet_role'"
            )
            .as_deref(),
        Some("1")
    );

    // A wrong API password: refused before anything changes.
    let wrong = common::workdir();
    let config = patroni_config(
        &urls,
        &format!("  username = \"{REST_USER}\"\n  password = \"wrong\""),
        &wanted_connections,
    )
    .replace("\"app_user\"", "\"never_created\"")
    .replace("8MB", "9MB");
    common::write_files(wrong.path(), &[("main.hcl", &config)]);
    let denied = cluster.pgfort_in(replica, wrong.path(), &["apply", "--auto-approve", "."]);
    assert_eq!(denied.code, Some(1), "{denied:?}");
    assert!(denied.stderr.contains("HTTP 401"), "{denied:?}");
    assert!(denied.stderr.contains("nothing was applied"), "{denied:?}");
    assert!(
        !denied.stderr.contains("wrong"),
        "the password leaked: {denied:?}"
    );

    // An API that does not answer: an error naming it, nothing changed.
    let unreachable = common::workdir();
    let config = patroni_config("\"http://127.0.0.1:9\"", &credentials, &wanted_connections)
        .replace("\"app_user\"", "\"never_created\"");
    common::write_files(unreachable.path(), &[("main.hcl", &config)]);
    let refused = cluster.pgfort_in(
        replica,
        unreachable.path(),
        &["apply", "--auto-approve", "."],
    );
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(refused.stderr.contains("http://127.0.0.1:9"), "{refused:?}");
    assert_eq!(
        cluster.query_value(
            leader,
            "SELECT count(*)::text FROM pg_roles WHERE rolname = 'never_created'"
        ),
        Some("0".to_string())
    );
}

/// Counts the rule pgfort adds for app_user.
const APP_RULE: &str =
    "SELECT count(*)::text FROM pg_hba_file_rules WHERE 'app_user' = ANY (user_name)";

/// The harness's rules, then one for app_user.
fn hba_lines() -> Vec<String> {
    let mut lines = base_hba();
    lines.push("host all app_user 127.0.0.2/32 scram-sha-256".to_owned());
    lines
}

/// `credentials`: the `username` and `password` lines of the patroni block.
fn patroni_config(urls: &str, credentials: &str, max_connections: &str) -> String {
    format!(
        r#"
patroni {{
  url = {urls}
{credentials}
}}

role "app_user" {{
  login = true
}}

settings {{
  work_mem        = "8MB"
  max_connections = {max_connections}
}}

hba {{
  rule {{
    type     = "host"
    database = ["replication"]
    user     = ["replicator"]
    address  = "127.0.0.1/32"
    method   = "scram-sha-256"
  }}
  rule {{
    type    = "host"
    user    = ["postgres"]
    address = "127.0.0.1/32"
    method  = "scram-sha-256"
  }}
  rule {{
    type    = "host"
    user    = ["app_user"]
    address = "127.0.0.2/32"
    method  = "scram-sha-256"
  }}
}}
"#
    )
}

/// pgfort's REST API client over https, against a canned TLS server whose
/// certificate a test authority issued: trusted with `cacert` (and basic
/// authentication sent), refused with the public roots or another
/// authority.
#[test]
fn patroni_api_over_https_checks_the_authority() {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};

    use pgfort::model::{KeyType, Lifetime, PatroniEndpoint, Secret};
    use pgfort::patroni::PatroniApi;

    let now = pgfort::tls::unix_now();
    let ca = pgfort::tls::generate_authority("test CA", KeyType::EcdsaP256, Lifetime::days(1), now)
        .expect("an authority");
    let other =
        pgfort::tls::generate_authority("other", KeyType::EcdsaP256, Lifetime::days(1), now)
            .expect("another authority");
    let server = pgfort::tls::issue_server(
        "localhost",
        &["localhost".to_owned()],
        &["127.0.0.1".parse().expect("an address")],
        KeyType::EcdsaP256,
        Lifetime::days(1),
        &ca.cert_pem,
        &ca.key_pem,
        now,
    )
    .expect("a server certificate");
    let certs: Vec<_> = rustls_pemfile::certs(&mut server.cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .expect("PEM certificates");
    let key = rustls_pemfile::private_key(&mut server.key_pem.expose().as_bytes())
        .expect("a PEM key")
        .expect("a key");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("a server configuration"),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("an address").port();
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let recorded = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let Ok(connection) = rustls::ServerConnection::new(Arc::clone(&config)) else {
                continue;
            };
            let mut tls = rustls::StreamOwned::new(connection, stream);
            let mut request = Vec::new();
            let mut buffer = [0; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match tls.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            let request = String::from_utf8_lossy(&request).into_owned();
            let body = if request.starts_with("GET /cluster ") {
                json!({"members": [{"name": "n1", "role": "leader", "state": "running",
                    "host": "127.0.0.1", "port": 5432, "api_url": format!("https://localhost:{port}/patroni")}]})
            } else {
                json!({"loop_wait": 10, "postgresql": {"parameters": {"work_mem": "8MB"}}})
            }
            .to_string();
            if !request.is_empty() {
                recorded.lock().expect("the record").push(request);
            }
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tls.write_all(answer.as_bytes());
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });

    let dir = common::workdir();
    let write = |name: &str, pem: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, pem).expect("a PEM file");
        path
    };
    let endpoint = |cacert: Option<std::path::PathBuf>| PatroniEndpoint {
        urls: vec![format!("https://localhost:{port}")],
        username: Some("patroni".to_owned()),
        password: Some(Secret::new("api-secret")),
        cacert,
        cert: None,
        key: None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let view_with = |cacert| {
        let api = PatroniApi::new(&endpoint(cacert)).expect("a client");
        runtime.block_on(api.view())
    };

    let view = view_with(Some(write("ca.crt", &ca.cert_pem))).expect("trusted");
    assert_eq!(view.leader().map(|m| m.name.as_str()), Some("n1"));
    assert_eq!(
        view.parameters.get("work_mem").map(String::as_str),
        Some("8MB")
    );
    let requests = seen.lock().expect("the record").clone();
    assert_eq!(requests.len(), 2, "{requests:?}");
    let credentials = format!("Basic {}", B64.encode("patroni:api-secret"));
    assert!(
        requests
            .iter()
            .all(|r| r.contains(&format!("authorization: {credentials}"))
                || r.contains(&format!("Authorization: {credentials}"))),
        "{requests:?}"
    );

    for (cacert, why) in [
        (None, "the public roots"),
        (
            Some(write("other.crt", &other.cert_pem)),
            "another authority",
        ),
    ] {
        let refused = view_with(cacert).expect_err(why);
        let message = refused.to_string();
        assert!(message.contains("certificate"), "{why}: {message}");
        assert!(!message.contains("api-secret"), "{message}");
    }
    assert_eq!(
        seen.lock().expect("the record").len(),
        2,
        "no request got through"
    );
}
