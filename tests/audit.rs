//! `pgfort audit` against real clusters, each test on its own (ALTER SYSTEM
//! changes the whole server): a fresh cluster's failures and exit code,
//! fixes flipping controls to pass, read-only proof, and the flags.

mod common;

use std::time::{Duration, Instant};

use common::{PgfortOutput, TestCluster};
use serde_json::Value;

fn audit(cluster: &TestCluster, extra: &[&str]) -> PgfortOutput {
    let mut args = vec!["audit", "--no-color"];
    args.extend_from_slice(extra);
    cluster.pgfort(&args)
}

/// The JSON report's status per control id.
fn statuses(cluster: &TestCluster, extra: &[&str]) -> (Value, Option<i32>) {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let out = audit(cluster, &args);
    let json: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", out.stdout, out.stderr));
    (json, out.code)
}

fn status_of(report: &Value, id: &str) -> String {
    report["findings"]
        .as_array()
        .and_then(|findings| findings.iter().find(|f| f["id"] == id))
        .map(|f| f["status"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_else(|| panic!("no finding {id}"))
}

#[test]
fn fresh_cluster_fails_logging_and_ssl_and_exits_3() {
    let cluster = TestCluster::start();
    let out = audit(&cluster, &[]);
    assert_eq!(out.code, Some(3), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("FAIL [high]     3.1.20"),
        "{}",
        out.stdout
    );
    // off before PostgreSQL 18, an empty list from 18 on.
    assert!(
        out.stdout.contains("log_connections = off")
            || out.stdout.contains("log_connections = \"\" (empty)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("6.8-ssl"), "{}", out.stdout);
    assert!(out.stdout.contains("Score: "), "{}", out.stdout);
    assert!(!out.stdout.contains("SCRAM-SHA-256$"), "a verifier leaked");
    let (report, _) = statuses(&cluster, &[]);
    assert_eq!(report["format_version"], 3);
    // The report names the server audited.
    assert_eq!(
        report["target"]["server"],
        format!("127.0.0.1:{}", cluster.port())
    );
    assert!(
        out.stdout
            .contains(&format!(" on 127.0.0.1:{} (PostgreSQL ", cluster.port())),
        "{}",
        out.stdout
    );
    // A constant number of queries, whatever the catalog holds.
    let queries = |cluster: &TestCluster| {
        let out = cluster.pgfort(&["audit", "-v", "--no-color"]);
        out.stderr
            .lines()
            .find_map(|l| l.split("audit used ").nth(1).map(str::to_owned))
            .unwrap_or_else(|| panic!("no query count: {}", out.stderr))
    };
    let empty = queries(&cluster);
    cluster.exec(
        "CREATE ROLE audit_many_a LOGIN; CREATE ROLE audit_many_b LOGIN;
         CREATE TABLE audit_t1 (id int); CREATE TABLE audit_t2 (id int);
         GRANT SELECT ON audit_t1, audit_t2 TO PUBLIC;",
    );
    assert_eq!(empty, queries(&cluster));
    assert_eq!(status_of(&report, "3.1.20"), "fail");
    assert_eq!(status_of(&report, "6.8-ssl"), "fail");
    assert_eq!(status_of(&report, "5.12-ext"), "pass");
    assert_eq!(status_of(&report, "ops-autovacuum"), "pass");
    assert_ne!(status_of(&report, "ext-password-verifiers"), "skip");
}

#[test]
fn fixes_by_sql_flip_controls_to_pass() {
    let cluster = TestCluster::start();
    let (report, _) = statuses(&cluster, &[]);
    assert_eq!(status_of(&report, "ext-idle-in-transaction"), "fail");
    cluster.exec("ALTER SYSTEM SET log_connections = on");
    cluster.exec("ALTER SYSTEM SET log_disconnections = on");
    cluster.exec("ALTER SYSTEM SET idle_in_transaction_session_timeout = '10min'");
    cluster.exec("ALTER SYSTEM SET log_statement = 'ddl'");
    cluster.exec("SELECT pg_reload_conf()");
    let deadline = Instant::now() + Duration::from_secs(5);
    while cluster.query_value("SHOW log_statement").as_deref() != Some("ddl") {
        assert!(Instant::now() < deadline, "reload did not arrive");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (report, _) = statuses(&cluster, &[]);
    for id in ["3.1.20", "3.1.21", "3.1.25", "ext-idle-in-transaction"] {
        assert_eq!(status_of(&report, id), "pass", "{id}");
    }
    // ssl = on without a certificate: the setting says on, the server
    // serves no TLS (and would not start again): no pass.
    cluster.exec("ALTER SYSTEM SET ssl = on");
    cluster.exec("SELECT pg_reload_conf()");
    let deadline = Instant::now() + Duration::from_secs(5);
    while cluster.query_value("SHOW ssl").as_deref() != Some("on") {
        assert!(Instant::now() < deadline, "reload did not arrive");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (report, _) = statuses(&cluster, &[]);
    assert_eq!(status_of(&report, "6.8-ssl"), "fail");
    let evidence = report["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["id"] == "6.8-ssl"))
        .map(|f| f["evidence"].to_string())
        .unwrap_or_default();
    assert!(evidence.contains("refuses TLS"), "{evidence}");
    cluster.exec("ALTER SYSTEM RESET ssl");
    cluster.exec("SELECT pg_reload_conf()");
}

#[test]
fn weak_objects_are_reported() {
    let cluster = TestCluster::start();
    cluster.exec(
        "CREATE ROLE audit_weak LOGIN BYPASSRLS CREATEDB;
         CREATE ROLE audit_former LOGIN PASSWORD 'Former-pw-1' VALID UNTIL '2000-01-01';
         GRANT CREATE ON SCHEMA public TO PUBLIC;
         CREATE TABLE public.audit_open (id int);
         GRANT SELECT ON public.audit_open TO PUBLIC;
         CREATE FUNCTION public.audit_definer() RETURNS int
           LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
         CREATE SCHEMA audit_open_schema;
         GRANT CREATE ON SCHEMA audit_open_schema TO PUBLIC;
         ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC;
         CREATE ROLE audit_ops;
         GRANT pg_read_server_files TO audit_ops;
         GRANT audit_ops TO audit_weak;
         CREATE ROLE audit_guessable LOGIN PASSWORD 'audit_guessable123';
         SET password_encryption = 'md5';
         CREATE ROLE audit_md5 LOGIN PASSWORD 'changeme';",
    );
    // A second database is audited too, over its own connection.
    cluster.exec("CREATE DATABASE audit_other");
    cluster.exec_in(
        "audit_other",
        "CREATE FUNCTION public.other_definer() RETURNS int
           LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';",
    );
    let (report, code) = statuses(&cluster, &[]);
    assert_eq!(code, Some(3));
    let other = report.to_string();
    for evidence in [
        "database audit_other: public.other_definer() (owner postgres): no search_path",
        "database audit_other: public.other_definer() (owner postgres): EXECUTE granted to PUBLIC",
        "database postgres: public.audit_definer() (owner postgres): no search_path",
    ] {
        assert!(other.contains(evidence), "{evidence} in {other}");
    }
    let weak = report["findings"]
        .as_array()
        .and_then(|all| all.iter().find(|f| f["id"] == "ext-weak-passwords"))
        .expect("the weak-password control");
    assert_eq!(weak["status"], "fail", "{weak}");
    let evidence = weak["evidence"].to_string();
    assert!(evidence.contains("audit_guessable: "), "{evidence}");
    assert!(evidence.contains("audit_md5: "), "{evidence}");
    assert!(
        !evidence.contains("audit_former"),
        "a strong password: {evidence}"
    );
    assert!(!evidence.contains("postgres:"), "{evidence}");
    let text = report.to_string();
    let md5_verifier = cluster
        .query_value("SELECT rolpassword FROM pg_authid WHERE rolname = 'audit_md5'")
        .expect("the md5 verifier");
    assert!(md5_verifier.starts_with("md5"), "{md5_verifier}");
    for secret in [
        "audit_guessable123",
        "changeme",
        "SCRAM-SHA-256$",
        &md5_verifier,
    ] {
        assert!(!text.contains(secret), "{secret} leaked");
    }
    for id in [
        "4.7",
        "4.3-createdb",
        "4.10-ext",
        "ext-public-table-privileges",
        "4.5",
        "5.5",
        "ext-login-without-password",
        "ext-expired-passwords",
    ] {
        assert_eq!(status_of(&report, id), "fail", "{id}");
    }
    let text = report.to_string();
    assert!(text.contains("audit_weak: BYPASSRLS"), "{text}");
    assert_eq!(status_of(&report, "4.9"), "fail");
    for (id, evidence) in [
        (
            "ext-public-definers",
            "public.audit_definer() (owner postgres): EXECUTE granted to PUBLIC",
        ),
        (
            "ext-public-create-schemas",
            "schema audit_open_schema: PUBLIC may CREATE",
        ),
        (
            "ext-public-default-privileges",
            "default privileges FOR ROLE postgres: SELECT ON TABLES to PUBLIC",
        ),
    ] {
        assert_eq!(status_of(&report, id), "fail", "{id}");
        assert!(text.contains(evidence), "{evidence} in {text}");
    }
    assert!(
        text.contains("audit_weak: member of pg_read_server_files"),
        "through audit_ops: {text}"
    );
    assert!(text.contains("audit_weak: LOGIN, no password"), "{text}");
    assert!(text.contains("audit_former: password expired"), "{text}");
    assert!(text.contains("public.audit_definer()"), "{text}");
}

/// Catalog rows and postgresql.auto.conf, to compare around an audit.
fn snapshot(cluster: &TestCluster) -> (Vec<Vec<Option<String>>>, Vec<u8>) {
    let catalogs = cluster.psql(
        "SELECT 'role', rolname::text, rolsuper::text || rolcanlogin::text FROM pg_roles
         UNION ALL SELECT 'acl', nspname::text, nspacl::text FROM pg_namespace
         UNION ALL SELECT 'rel', relname::text, relacl::text FROM pg_class
         UNION ALL SELECT 'db', datname::text, datacl::text FROM pg_database
         UNION ALL SELECT 'set', name::text, setting::text FROM pg_settings
         ORDER BY 1, 2, 3",
    );
    let auto = std::fs::read(cluster.sandbox().data_dir().join("postgresql.auto.conf"))
        .expect("postgresql.auto.conf");
    (catalogs, auto)
}

#[test]
fn audit_is_read_only() {
    let cluster = TestCluster::start();
    let before = snapshot(&cluster);
    for format in ["text", "json", "sarif", "markdown"] {
        let out = audit(&cluster, &["--format", format]);
        assert_eq!(out.code, Some(3), "{format}: {}", out.stderr);
    }
    assert_eq!(before, snapshot(&cluster));
}

#[test]
fn fail_on_controls_and_formats() {
    let cluster = TestCluster::start();
    // A fresh cluster has no critical failure (trust is not used over TCP).
    let out = audit(&cluster, &["--fail-on", "critical"]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);

    let (report, code) = statuses(&cluster, &["--controls", "3.1.20,5.12-ext"]);
    assert_eq!(code, Some(3));
    let ids: Vec<&str> = report["findings"]
        .as_array()
        .map(|f| f.iter().filter_map(|f| f["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, ["5.12-ext", "3.1.20"]);

    let out = audit(&cluster, &["--controls", "5.12-ext"]);
    assert_eq!(out.code, Some(0), "{}", out.stdout);

    // Health (ops-*) is reported apart and fails the run only when asked.
    let health = ["--controls", "ops-stat-statements", "--fail-on", "low"];
    let out = audit(&cluster, &health);
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    assert!(
        out.stdout.contains("FAIL [low]      ops-stat-statements"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("Operational health, apart: 0 passed, 1 failed"),
        "{}",
        out.stdout
    );
    let out = audit(&cluster, &[&health[..], &["--fail-on-ops"]].concat());
    assert_eq!(out.code, Some(3), "{}", out.stdout);

    // A configuration directory's connection block is honoured.
    let work = common::workdir();
    common::write_files(
        work.path(),
        &[(
            "main.hcl",
            &format!(
                "connection {{\n  host = \"127.0.0.1\"\n  port = {}\n  dbname = \"template1\"\n}}\n",
                cluster.port()
            ),
        )],
    );
    let mut cmd = cluster.command();
    cmd.env_remove("PGDATABASE");
    let out = cmd
        .args(["audit", "--format", "json", "--controls", "3.1.20"])
        .arg(work.path())
        .output()
        .expect("run pgfort");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(report["target"]["database"], "template1");

    let out = audit(&cluster, &["--controls", "no-such-control"]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr
            .contains("unknown control id(s): no-such-control"),
        "{}",
        out.stderr
    );

    let (report, _) = statuses(&cluster, &["--min-severity", "high"]);
    assert!(report["findings"].as_array().is_some_and(|f| {
        f.iter()
            .all(|f| f["severity"] == "high" || f["severity"] == "critical")
    }));

    let out = audit(&cluster, &["--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&out.stdout).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    assert!(
        sarif["runs"][0]["results"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["ruleId"] == "3.1.20"))
    );
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "."
    );

    let out = audit(&cluster, &["--format", "markdown"]);
    assert!(out.stdout.starts_with("## pgfort audit"), "{}", out.stdout);
    assert!(out.stdout.contains("#### `3.1.20`"), "{}", out.stdout);
}

#[test]
fn unprivileged_role_skips_instead_of_passing() {
    let cluster = TestCluster::start();
    cluster.exec("CREATE ROLE audit_plain LOGIN PASSWORD 'audit-plain-pw'");
    let out = cluster
        .command()
        .env("PGUSER", "audit_plain")
        .env("PGPASSWORD", "audit-plain-pw")
        .args(["audit", "--format", "json"])
        .output()
        .expect("run pgfort");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    for id in [
        "ext-password-verifiers",
        "5.4-trust",
        "6.8-hostssl",
        "ops-long-queries",
    ] {
        assert_eq!(status_of(&report, id), "skip", "{id}");
    }
    let finding = report["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["id"] == "5.4-trust"))
        .cloned()
        .unwrap_or_default();
    assert!(
        finding["skip_reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("needs superuser")),
        "{finding}"
    );
}

#[test]
fn hardened_baseline_module_makes_its_controls_pass() {
    let cluster = TestCluster::start();
    cluster.exec("GRANT CREATE ON SCHEMA public TO PUBLIC");
    // The example that calls the module.
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join("hardened-server");
    let out = cluster.apply_in(&dir);
    assert_eq!(out.code, Some(0), "{out:?}");
    let plan = cluster.plan_in(&dir);
    assert_eq!(plan.code, Some(0), "not converged: {plan:?}");
    let deadline = Instant::now() + Duration::from_secs(5);
    while cluster.query_value("SHOW log_statement").as_deref() != Some("ddl") {
        assert!(Instant::now() < deadline, "reload did not arrive");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (report, _) = statuses(&cluster, &[]);
    for id in [
        "5.12-ext",
        "5.7-ext",
        "3.1.6",
        "3.1.7",
        "3.1.8",
        "3.1.9",
        "3.1.14",
        "3.1.15",
        "3.1.16",
        "3.1.17",
        "3.1.18",
        "3.1.20",
        "3.1.21",
        "3.1.23",
        "3.1.24",
        "3.1.25",
        "7.2",
        "6.2-ignore-system-indexes",
        "6.2-post-auth-delay",
        "6.8-tls",
        "ops-autovacuum",
        "ext-idle-in-transaction",
        "3.1.22",
        "ext-log-checkpoints",
        "ext-log-lock-waits",
        "ext-log-timezone",
        "4.10-ext",
    ] {
        assert_eq!(status_of(&report, id), "pass", "{id}");
    }
}

/// The 3.2 remedy, exactly as the control prints it, applied to a fresh
/// cluster and followed by the restart it asks for, makes 3.2 pass: pgaudit
/// is preloaded, created and logs DDL. Where the server lacks pgaudit (no
/// package for its major), 3.2 fails instead of skipping.
#[test]
fn pgaudit_remedy_makes_3_2_pass() {
    let cluster = TestCluster::start();
    let (before, _) = statuses(&cluster, &["--controls", "3.2"]);
    assert_eq!(status_of(&before, "3.2"), "fail", "{before}");
    let available = cluster
        .query_value("SELECT count(*)::text FROM pg_available_extensions WHERE name = 'pgaudit'");
    if available.as_deref() != Some("1") {
        eprintln!(
            "skipped: pgaudit is not installed for these server binaries (Debian: apt-get install postgresql-NN-pgaudit)"
        );
        return;
    }
    let remedy = pgfort::audit::controls::all()
        .find(|control| control.id == "3.2")
        .map(|control| control.remedy)
        .expect("control 3.2");
    let dir = common::workdir();
    common::write_files(dir.path(), &[("main.hcl", remedy)]);
    let applied = cluster.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}");
    // Before the restart, PostgreSQL 15 and 16 refuse both CREATE EXTENSION
    // pgaudit and pgaudit.log: they wait, said so, and nothing fails.
    let waiting = cluster.plan_in(dir.path());
    assert_eq!(waiting.code, Some(0), "{waiting:?}");
    let said = format!("{}{}", waiting.stdout, waiting.stderr);
    assert!(
        said.contains("extension pgaudit in postgres waits for a restart"),
        "{said}"
    );
    cluster.restart();
    let converged = cluster.apply_in(dir.path());
    assert!(converged.success(), "{converged:?}");
    assert_eq!(cluster.plan_in(dir.path()).code, Some(0));
    let (after, _) = statuses(&cluster, &["--controls", "3.2"]);
    assert_eq!(status_of(&after, "3.2"), "pass", "{after}");
    cluster.exec("CREATE TABLE audited (id int)");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !cluster.server_log().contains("AUDIT: SESSION") {
        assert!(Instant::now() < deadline, "no AUDIT line in the server log");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The failing control ids a fix file names in its header.
fn fixed_ids(text: &str) -> Vec<String> {
    let header: Vec<&str> = text
        .lines()
        .take_while(|line| line.starts_with('#'))
        .map(|line| line.trim_start_matches('#').trim())
        .collect();
    let header = header.join(" ");
    let Some((_, rest)) = header.split_once("Fixed here: ") else {
        return Vec::new();
    };
    let list = rest.split(" Left for you").next().unwrap_or(rest);
    list.trim()
        .trim_end_matches('.')
        .split(", ")
        .map(str::to_owned)
        .collect()
}

/// `audit --fix-out` on a fresh cluster writes one configuration that
/// validates; applying it (with the restart it asks for) makes every
/// control it claims to fix pass, and leaves the plan empty.
#[test]
fn fix_out_applied_makes_the_fixed_controls_pass() {
    let cluster = TestCluster::start();
    let dir = common::workdir();
    // A directory of its own, created by pgfort.
    let file = dir.path().join("fix").join("main.hcl");
    let path = file.display().to_string();
    let out = audit(&cluster, &["--fix-out", &path]);
    assert_eq!(out.code, Some(3), "{out:?}");
    assert!(out.stderr.contains("Wrote the remedies of"), "{out:?}");
    let text = std::fs::read_to_string(&file).expect("the fix file");
    let fixed = fixed_ids(&text);
    let mut expected = vec!["3.1.20", "6.8-ssl", "3.1.24", "ext-log-lock-waits"];
    let version: u32 = cluster
        .query_value("SHOW server_version_num")
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    if version < 150000 {
        // Before 15, PUBLIC may create in schema public of every database.
        expected.push("4.10-ext");
    }
    for id in expected {
        assert!(fixed.iter().any(|f| f == id), "{id} not fixed:\n{text}");
    }
    let config = dir.path().join("fix");
    let validated = cluster.pgfort_in(&config, &["validate", "."]);
    assert!(validated.success(), "{validated:?}\n{text}");
    let applied = cluster.apply_in(&config);
    assert!(applied.success(), "{applied:?}\n{text}");
    cluster.restart();
    // Extensions that must be preloaded first are created now.
    let after_restart = cluster.apply_in(&config);
    assert!(after_restart.success(), "{after_restart:?}");
    let plan = cluster.plan_in(&config);
    assert_eq!(plan.code, Some(0), "not converged: {plan:?}");
    let (report, _) = statuses(&cluster, &[]);
    let still_failing: Vec<&String> = fixed
        .iter()
        .filter(|id| status_of(&report, id) != "pass")
        .collect();
    assert!(
        still_failing.is_empty(),
        "fixed but not passing: {still_failing:?}\n{text}\n{report}"
    );
}

/// The 4.10-ext remedy, exactly as printed, is a whole configuration: a
/// plan of it alone makes the control pass.
#[test]
fn public_create_remedy_works_on_its_own() {
    let cluster = TestCluster::start();
    cluster.exec("GRANT CREATE ON SCHEMA public TO PUBLIC");
    // Before PostgreSQL 15 template1 lets PUBLIC create too; the remedy
    // names one database, as the evidence would.
    cluster.exec_in("template1", "REVOKE CREATE ON SCHEMA public FROM PUBLIC");
    let (before, _) = statuses(&cluster, &["--controls", "4.10-ext"]);
    assert_eq!(status_of(&before, "4.10-ext"), "fail", "{before}");
    let remedy = pgfort::audit::controls::all()
        .find(|control| control.id == "4.10-ext")
        .map(|control| control.remedy)
        .expect("control 4.10-ext");
    let dir = common::workdir();
    common::write_files(dir.path(), &[("main.hcl", remedy)]);
    let applied = cluster.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}");
    assert_eq!(cluster.plan_in(dir.path()).code, Some(0));
    let (after, _) = statuses(&cluster, &["--controls", "4.10-ext"]);
    assert_eq!(status_of(&after, "4.10-ext"), "pass", "{after}");
    // PUBLIC can still connect and use the schema.
    let acl = cluster.query_value("SELECT nspacl::text FROM pg_namespace WHERE nspname = 'public'");
    assert!(acl.as_deref().is_some_and(|a| a.contains("=U/")), "{acl:?}");
}

/// The evidence of one finding, as JSON text.
fn evidence_of(report: &Value, id: &str) -> String {
    report["findings"]
        .as_array()
        .and_then(|findings| findings.iter().find(|f| f["id"] == id))
        .map(|f| f["evidence"].to_string())
        .unwrap_or_else(|| panic!("no finding {id}"))
}

/// log_timezone, the contrib libraries auth_delay and passwordcheck (they
/// ship with the server binaries; preloading needs a restart), and an
/// extension nothing uses in a database of its own: each control fails,
/// then passes once fixed.
#[test]
fn timezone_auth_libraries_and_unused_extensions_flip_to_pass() {
    let cluster = TestCluster::start();
    cluster.exec("CREATE DATABASE audit_ext");
    cluster.exec_in("audit_ext", "CREATE EXTENSION hstore");
    cluster.exec("ALTER SYSTEM SET log_timezone = 'Europe/Berlin'");
    cluster.exec("SELECT pg_reload_conf()");
    let deadline = Instant::now() + Duration::from_secs(5);
    while cluster.query_value("SHOW log_timezone").as_deref() != Some("Europe/Berlin") {
        assert!(Instant::now() < deadline, "reload did not arrive");
        std::thread::sleep(Duration::from_millis(20));
    }
    let ids = [
        "ext-log-timezone",
        "ext-auth-delay",
        "ext-password-check",
        "ext-unused-extensions",
    ];
    let selection = ["--controls", &ids.join(",")];
    let (before, _) = statuses(&cluster, &selection);
    for id in ids {
        assert_eq!(status_of(&before, id), "fail", "{id}: {before}");
    }
    let unused = evidence_of(&before, "ext-unused-extensions");
    assert!(
        unused.contains("database audit_ext: hstore (nothing depends on it)"),
        "{unused}"
    );
    assert!(!unused.contains("plpgsql"), "{unused}");

    cluster.exec("ALTER SYSTEM SET log_timezone = 'UTC'");
    cluster.exec("ALTER SYSTEM SET shared_preload_libraries = 'auth_delay', 'passwordcheck'");
    cluster.restart();
    // Loaded, auth_delay waits 0ms until told otherwise (and before
    // PostgreSQL 17 its setting can be written only once it is loaded).
    let (loaded, _) = statuses(&cluster, &["--controls", "ext-auth-delay"]);
    assert_eq!(status_of(&loaded, "ext-auth-delay"), "fail", "{loaded}");
    cluster.exec("ALTER SYSTEM SET auth_delay.milliseconds = 500");
    cluster.exec("SELECT pg_reload_conf()");
    let deadline = Instant::now() + Duration::from_secs(5);
    while cluster
        .query_value("SHOW auth_delay.milliseconds")
        .as_deref()
        != Some("500ms")
    {
        assert!(Instant::now() < deadline, "reload did not arrive");
        std::thread::sleep(Duration::from_millis(20));
    }
    // A column of its type puts hstore to use.
    cluster.exec_in("audit_ext", "CREATE TABLE kv (attrs hstore)");
    let (after, _) = statuses(&cluster, &selection);
    for id in ids {
        assert_eq!(status_of(&after, id), "pass", "{id}: {after}");
    }
    assert!(
        evidence_of(&after, "ext-auth-delay").contains("auth_delay.milliseconds = 500"),
        "{after}"
    );
    // Dropped with its last user, nothing is left over either.
    cluster.exec_in("audit_ext", "DROP TABLE kv; DROP EXTENSION hstore");
    let (dropped, _) = statuses(&cluster, &selection);
    assert_eq!(status_of(&dropped, "ext-unused-extensions"), "pass");
}
