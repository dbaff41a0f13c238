//! Roles end to end against a real cluster: the apply → plan → drift →
//! plan → apply → plan cycle, secrets, bad input and the apply lock.

mod common;

use common::{TestCluster, workdir, write_files};

const CONFIG: &str = r#"
variable "app_password" {
  sensitive = true
}

role "app_owner" {}
role "app_readwrite" {}

role "app_user" {
  login            = true
  password         = var.app_password
  connection_limit = 50
  valid_until      = "2027-12-31"
  member_of        = ["app_readwrite"]
  settings         = { statement_timeout = "30s", search_path = ["app", "public"] }
  database_settings = { postgres = { work_mem = "64MB" } }
  comment          = "application login"
}
"#;

const PASSWORD: &str = "Corr3ct-Horse-Battery";

fn plan(cluster: &TestCluster, dir: &std::path::Path, extra: &[&str]) -> common::PgfortOutput {
    let mut args = vec!["plan", "--detailed-exitcode", "--no-color"];
    args.extend_from_slice(extra);
    args.push(".");
    cluster.pgfort_in(dir, &args)
}

fn apply(cluster: &TestCluster, dir: &std::path::Path) -> common::PgfortOutput {
    cluster.pgfort_in(dir, &["apply", "--auto-approve", "--no-color", "."])
}

/// Plan text with runs of spaces folded, so assertions ignore alignment.
fn squash(text: &str) -> String {
    text.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn role_exists(cluster: &TestCluster, name: &str) -> bool {
    cluster
        .query_value(&format!(
            "SELECT count(*) FROM pg_roles WHERE rolname = '{name}'"
        ))
        .as_deref()
        == Some("1")
}

#[test]
fn role_cycle_apply_plan_drift_plan_apply() {
    let cluster = TestCluster::start_with(&[("log_statement", "all")]);
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", CONFIG)]);
    let var = format!("app_password={PASSWORD}");

    let before = cluster.pgfort_in(
        dir.path(),
        &[
            "plan",
            "--detailed-exitcode",
            "--no-color",
            "-var",
            &var,
            ".",
        ],
    );
    assert_eq!(before.code, Some(2), "{before:?}");
    assert!(
        before
            .stdout
            .contains("Plan: 3 to add, 0 to change, 0 to destroy."),
        "{}",
        before.stdout
    );
    assert!(
        squash(&before.stdout).contains("+ password = (sensitive value)"),
        "{}",
        before.stdout
    );

    let applied = cluster.pgfort_in(dir.path(), &["apply", "--auto-approve", "-var", &var, "."]);
    assert!(applied.success(), "{applied:?}");
    assert!(
        applied
            .stdout
            .contains("Apply complete! Resources: 3 added, 0 changed, 0 destroyed."),
        "{}",
        applied.stdout
    );

    let empty = cluster.pgfort_in(
        dir.path(),
        &["plan", "--detailed-exitcode", "-var", &var, "."],
    );
    assert_eq!(empty.code, Some(0), "{empty:?}");
    assert!(empty.stdout.contains("No changes."), "{}", empty.stdout);

    // The role works as declared: it can log in with the password.
    let login = cluster.query_value(
        "SELECT rolcanlogin::text || rolconnlimit || to_char(rolvaliduntil AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM pg_roles WHERE rolname = 'app_user'",
    );
    assert_eq!(login.as_deref(), Some("true502027-12-31"));
    cluster.check_login("app_user", PASSWORD);

    // Drift behind pgfort's back.
    cluster.exec(
        "ALTER ROLE app_user CONNECTION LIMIT 7;
         ALTER ROLE app_user PASSWORD 'changed-by-hand';
         GRANT app_owner TO app_user;
         ALTER ROLE app_user SET statement_timeout = '5min';",
    );
    let drift = cluster.pgfort_in(
        dir.path(),
        &["plan", "--detailed-exitcode", "--json", "-var", &var, "."],
    );
    assert_eq!(drift.code, Some(2), "{drift:?}");
    let doc: serde_json::Value = serde_json::from_str(&drift.stdout).expect("plan --json is JSON");
    let changes = doc["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "{doc:#}");
    assert_eq!(changes[0]["address"], "role.app_user");
    assert_eq!(changes[0]["action"], "update");
    let mut attributes: Vec<String> = changes[0]["attributes"]
        .as_array()
        .expect("attributes")
        .iter()
        .map(|a| {
            format!(
                "{}: {} -> {}",
                a["name"].as_str().unwrap(),
                a["before"],
                a["after"]
            )
        })
        .collect();
    attributes.sort();
    // From PostgreSQL 16 a membership also has INHERIT and SET options; a
    // plain GRANT takes the member's INHERIT attribute and SET TRUE.
    let version: u32 = cluster
        .query_value("SHOW server_version_num")
        .and_then(|v| v.parse().ok())
        .expect("server_version_num");
    let membership = if version >= 160000 {
        "member_of.app_owner: \"admin=false inherit=true set=true\" -> null"
    } else {
        "member_of.app_owner: \"admin=false\" -> null"
    };
    assert_eq!(
        attributes,
        [
            "connection_limit: 7 -> 50",
            membership,
            "password: \"(sensitive)\" -> \"(sensitive)\"",
            "settings.statement_timeout: \"5min\" -> \"30s\"",
        ]
    );

    let text = cluster.pgfort_in(dir.path(), &["plan", "--no-color", "-var", &var, "."]);
    assert!(
        squash(&text.stdout).contains("~ connection_limit = 7 -> 50"),
        "{}",
        text.stdout
    );
    assert!(
        squash(&text.stdout).contains("~ password = (sensitive value)"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{}",
        text.stdout
    );

    let fixed = cluster.pgfort_in(dir.path(), &["apply", "--auto-approve", "-var", &var, "."]);
    assert!(fixed.success(), "{fixed:?}");
    let after = cluster.pgfort_in(
        dir.path(),
        &["plan", "--detailed-exitcode", "-var", &var, "."],
    );
    assert_eq!(after.code, Some(0), "{after:?}");
    cluster.check_login("app_user", PASSWORD);

    // No clear text anywhere: not in pgfort's output, not in the server log
    // (log_statement = all logged every statement pgfort sent).
    for output in [&before, &applied, &empty, &drift, &text, &fixed, &after] {
        assert!(!output.stdout.contains(PASSWORD) && !output.stderr.contains(PASSWORD));
    }
    let log = cluster.server_log();
    assert!(
        log.contains("CREATE ROLE app_user"),
        "log_statement=all is on, the log should show the DDL"
    );
    assert!(
        !log.contains(PASSWORD),
        "the server log holds the clear-text password"
    );
}

#[test]
fn bad_input_fails_with_location_and_changes_nothing() {
    let cluster = TestCluster::start();
    let roles_before = cluster.query_value("SELECT count(*) FROM pg_roles");
    let cases: &[(&str, &str, &str)] = &[
        ("syntax", "role \"a\" {\n  login = \n}\n", "main.hcl:2:"),
        (
            "unknown attribute",
            "role \"a\" {\n  logn = true\n}\n",
            "main.hcl:2:3",
        ),
        (
            "wrong type",
            "role \"a\" {\n  login = \"yes please\"\n}\n",
            "main.hcl:2:",
        ),
        (
            "duplicate role",
            "role \"a\" {}\nrole \"a\" {}\n",
            "main.hcl:2:6",
        ),
        (
            "undeclared member_of",
            "role \"a\" {\n  member_of = [\"ghost\"]\n}\n",
            "main.hcl:2:",
        ),
        (
            "undefined variable",
            "role \"a\" {\n  password = var.nope\n}\n",
            "main.hcl:2:",
        ),
        (
            "missing variable",
            "variable \"pw\" {}\nrole \"a\" {\n  password = var.pw\n}\n",
            "pw",
        ),
    ];
    for (what, source, expected) in cases {
        let dir = workdir();
        write_files(dir.path(), &[("main.hcl", source)]);
        let out = apply(&cluster, dir.path());
        assert_eq!(out.code, Some(1), "{what}: {out:?}");
        assert!(out.stderr.contains("error:"), "{what}: {}", out.stderr);
        assert!(
            out.stderr.contains(expected),
            "{what}: expected {expected:?} in {}",
            out.stderr
        );
        assert!(
            out.stdout.is_empty(),
            "{what}: nothing is planned: {}",
            out.stdout
        );
        let validate = cluster.pgfort_in(dir.path(), &["validate", "."]);
        if *what == "missing variable" {
            // validate needs no values: it names the variable it lacks.
            assert_eq!(validate.code, Some(0), "{what}: {validate:?}");
            assert!(validate.stdout.contains("(pw)"), "{validate:?}");
            continue;
        }
        assert_eq!(
            validate.code,
            Some(1),
            "{what}: validate agrees: {validate:?}"
        );
    }
    assert_eq!(
        cluster.query_value("SELECT count(*) FROM pg_roles"),
        roles_before
    );
    assert!(!role_exists(&cluster, "a"));
}

#[test]
fn apply_without_terminal_needs_auto_approve() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", "role \"lonely\" {}\n")]);
    let out = cluster.pgfort_in(dir.path(), &["apply", "."]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("--auto-approve"), "{}", out.stderr);
    assert!(!role_exists(&cluster, "lonely"));
}

#[test]
fn a_second_apply_waits_for_the_lock() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", "role \"queued\" {}\n")]);
    let holder = cluster.hold_advisory_lock(pgfort::apply::lock::LOCK_KEY);

    let out = cluster.pgfort_in(
        dir.path(),
        &["apply", "--auto-approve", "--lock-timeout", "1s", "."],
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("apply lock"), "{}", out.stderr);
    assert!(out.stderr.contains("held by backend pid"), "{}", out.stderr);
    assert!(!role_exists(&cluster, "queued"));

    let started = std::time::Instant::now();
    let waiting = std::thread::scope(|scope| {
        let run = scope.spawn(|| {
            cluster.pgfort_in(
                dir.path(),
                &["apply", "--auto-approve", "--lock-timeout", "30s", "."],
            )
        });
        std::thread::sleep(std::time::Duration::from_millis(1500));
        drop(holder);
        run.join().expect("apply thread")
    });
    assert!(waiting.success(), "{waiting:?}");
    assert!(
        waiting.stderr.contains("Waiting for the pgfort apply lock"),
        "{}",
        waiting.stderr
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(1500));
    assert!(role_exists(&cluster, "queued"));
}

#[test]
fn undeclared_roles_are_listed_then_pruned_with_their_objects_reassigned() {
    let cluster = TestCluster::start();
    cluster.exec("CREATE ROLE heir; CREATE ROLE legacy LOGIN; CREATE ROLE keep_me");
    cluster.exec("CREATE DATABASE shop");
    cluster.exec_in("shop", "CREATE TABLE orders (id int); ALTER TABLE orders OWNER TO legacy; GRANT SELECT ON orders TO keep_me");
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", "role \"heir\" {}\n")]);
    let listed = plan(&cluster, dir.path(), &[]);
    assert_eq!(listed.code, Some(0), "{listed:?}");
    assert!(
        listed
            .stdout
            .contains("Unmanaged roles (not declared, left alone): keep_me, legacy"),
        "{}",
        listed.stdout
    );

    write_files(
        dir.path(),
        &[(
            "manage.hcl",
            "manage {\n  prune_roles       = true\n  ignore_roles      = [\"keep_*\"]\n  reassign_owned_to = \"heir\"\n}\n",
        )],
    );
    let pruning = plan(&cluster, dir.path(), &[]);
    assert_eq!(pruning.code, Some(2), "{pruning:?}");
    assert!(
        pruning.stdout.contains("# role.legacy will be destroyed"),
        "{}",
        pruning.stdout
    );
    assert!(
        pruning
            .stdout
            .contains("Plan: 0 to add, 0 to change, 1 to destroy."),
        "{}",
        pruning.stdout
    );
    let applied = apply(&cluster, dir.path());
    assert!(applied.success(), "{applied:?}");
    assert!(!role_exists(&cluster, "legacy"));
    assert!(role_exists(&cluster, "keep_me"));
    assert_eq!(
        cluster.psql_in(
            "shop",
            "SELECT tableowner FROM pg_tables WHERE tablename = 'orders'"
        )[0][0]
            .as_deref(),
        Some("heir")
    );
    assert_eq!(plan(&cluster, dir.path(), &[]).code, Some(0));
}

#[test]
fn memberships_with_admin_option_and_database_settings_converge() {
    let cluster = TestCluster::start();
    cluster.exec("CREATE DATABASE reports");
    let dir = workdir();
    let config = r#"
role "analysts" {}
role "auditor" {
  login     = true
  member_of = [{ role = "analysts", admin = true }, "pg_read_all_stats"]
  database_settings = { reports = { search_path = "\"$user\", public", work_mem = "32MB" } }
  settings = { log_min_duration_statement = 250 }
}
"#;
    write_files(dir.path(), &[("main.hcl", config)]);
    let applied = apply(&cluster, dir.path());
    assert!(applied.success(), "{applied:?}");
    assert_eq!(plan(&cluster, dir.path(), &[]).code, Some(0));
    assert_eq!(
        cluster.query_value(
            "SELECT admin_option::text FROM pg_auth_members WHERE roleid = 'analysts'::regrole AND member = 'auditor'::regrole"
        )
        .as_deref(),
        Some("true")
    );
    cluster.exec("REVOKE ADMIN OPTION FOR analysts FROM auditor; ALTER ROLE auditor IN DATABASE reports RESET work_mem");
    let drift = plan(&cluster, dir.path(), &[]);
    assert_eq!(drift.code, Some(2), "{drift:?}");
    assert!(
        drift.stdout.contains("member_of.analysts"),
        "{}",
        drift.stdout
    );
    assert!(
        drift.stdout.contains("database_settings.reports.work_mem"),
        "{}",
        drift.stdout
    );
    assert!(apply(&cluster, dir.path()).success());
    assert_eq!(plan(&cluster, dir.path(), &[]).code, Some(0));
}

/// Without a terminal (CI), hashing many passwords prints plain progress
/// lines (here every 20 ms instead of every 5 s), never a password, and
/// the roles log in with them afterwards; saving a plan hashes with
/// progress too.
#[test]
fn password_hashing_shows_plain_progress_without_a_terminal() {
    let cluster = TestCluster::start();
    let dir = workdir();
    let mut config = String::new();
    for i in 0..60 {
        config.push_str(&format!(
            "role \"hp_{i:02}\" {{\n  login = true\n  password = \"Hash-Progress-{i:02}\"\n}}\n"
        ));
    }
    write_files(dir.path(), &[("main.hcl", &config)]);
    let run = |args: &[&str]| {
        let mut cmd = cluster.command();
        cmd.current_dir(dir.path())
            .env("PGFORT_PROGRESS_EVERY", "0.02")
            .args(args);
        let output = cmd.output().expect("pgfort runs");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };

    let (code, _, stderr) = run(&["plan", "--out", "hp.plan", "."]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("/60 passwords ("), "{stderr}");

    let (code, stdout, stderr) = run(&["apply", "--auto-approve", "--no-color", "."]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("hashing: ") && l.contains("/60 passwords ("))
        .collect();
    assert!(!lines.is_empty(), "{stderr}");
    assert!(!stdout.contains("Hash-Progress") && !stderr.contains("Hash-Progress"));

    let login = cluster.query_value(
        "SELECT count(*) FROM pg_authid WHERE rolname LIKE 'hp\\_%' AND rolpassword LIKE 'SCRAM-SHA-256$%'",
    );
    assert_eq!(login.as_deref(), Some("60"));
    let replan = plan(&cluster, dir.path(), &[]);
    assert_eq!(replan.code, Some(0), "{replan:?}");
}
