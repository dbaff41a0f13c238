//! Server settings end to end, each test on a cluster of its own (ALTER
//! SYSTEM changes the whole server): the apply → plan → drift → apply cycle,
//! unit spellings, bad input and undeclared settings with the authoritative scope.

mod common;

use std::time::{Duration, Instant};

use common::{TestCluster, squash, workdir, write_files};

/// The logging and autovacuum settings of a production server.
const LOGGING: &str = r#"
settings {
  log_connections            = true
  log_disconnections         = true
  log_statement              = "mod"
  log_duration               = false
  log_line_prefix            = "%m [%p] %q%u@%d "
  log_min_duration_statement = "250ms"

  autovacuum                      = true
  autovacuum_naptime              = "30s"
  autovacuum_vacuum_scale_factor  = 0.05
  autovacuum_analyze_scale_factor = 0.02
  autovacuum_vacuum_cost_limit    = 1000
  autovacuum_vacuum_cost_delay    = "2ms"
}
"#;

fn auto_conf(cluster: &TestCluster) -> Vec<u8> {
    std::fs::read(cluster.sandbox().data_dir().join("postgresql.auto.conf"))
        .expect("postgresql.auto.conf")
}

/// `SHOW name` once a reload has reached new sessions (it is asynchronous).
fn eventually_shows(cluster: &TestCluster, name: &str, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let value = cluster.query_value(&format!("SHOW {name}"));
        if value.as_deref() == Some(expected) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name} is {value:?}, expected {expected}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn settings_cycle_apply_plan_drift_apply() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", LOGGING)]);

    let first = cluster.plan_in(dir.path());
    assert_eq!(first.code, Some(2), "{first:?}");
    assert!(
        squash(&first.stdout)
            .contains("+ setting \"log_statement\" { ~ value = \"none\" -> \"mod\" }"),
        "{}",
        first.stdout
    );
    let applied = cluster.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}");
    assert!(
        !applied.stdout.contains("Needs restart"),
        "{}",
        applied.stdout
    );
    let empty = cluster.plan_in(dir.path());
    assert_eq!(empty.code, Some(0), "{empty:?}");
    assert!(empty.stdout.contains("No changes."), "{}", empty.stdout);
    assert!(
        !empty.stdout.contains("Restart pending"),
        "{}",
        empty.stdout
    );
    // Reloaded: new sessions use the values.
    eventually_shows(&cluster, "log_statement", "mod");
    eventually_shows(&cluster, "log_line_prefix", "%m [%p] %q%u@%d ");
    eventually_shows(&cluster, "autovacuum_naptime", "30s");
    eventually_shows(&cluster, "autovacuum_vacuum_cost_delay", "2ms");

    // Drift: one declared setting changed by hand, one undeclared added.
    cluster.exec("ALTER SYSTEM SET log_statement = 'all'");
    cluster.exec("ALTER SYSTEM SET work_mem = '1GB'");
    let drift = cluster.plan_in(dir.path());
    assert_eq!(drift.code, Some(2), "{drift:?}");
    let text = squash(&drift.stdout);
    assert!(
        text.contains("~ setting \"log_statement\" { ~ value = \"all\" -> \"mod\" }"),
        "{}",
        drift.stdout
    );
    assert!(
        !text.contains("work_mem"),
        "undeclared settings are left alone: {text}"
    );
    assert!(
        text.contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{text}"
    );

    let fixed = cluster.apply_in(dir.path());
    assert!(fixed.success(), "{fixed:?}");
    assert_eq!(cluster.plan_in(dir.path()).code, Some(0));
    eventually_shows(&cluster, "log_statement", "mod");
}

#[test]
fn unit_spellings_give_an_empty_plan() {
    let cluster = TestCluster::start();
    let dir = workdir();
    let written = r#"
settings {
  work_mem                   = "64MB"
  maintenance_work_mem       = "1GB"
  effective_cache_size       = "4GB"
  statement_timeout          = "5min"
  log_min_duration_statement = "250ms"
  checkpoint_timeout         = "10min"
  log_connections            = true
  log_statement              = "mod"
  search_path                = "$user, public"
}
"#;
    write_files(dir.path(), &[("main.hcl", written)]);
    assert!(cluster.apply_in(dir.path()).success());
    assert_eq!(cluster.plan_in(dir.path()).code, Some(0));

    let respelt = r#"
settings {
  work_mem                   = 65536
  maintenance_work_mem       = "1048576kB"
  effective_cache_size       = 524288
  statement_timeout          = "300s"
  log_min_duration_statement = 250
  checkpoint_timeout         = 600
  log_connections            = "yes"
  log_statement              = "MOD"
  search_path                = ["$user", "public"]
}
"#;
    write_files(dir.path(), &[("main.hcl", respelt)]);
    let same = cluster.plan_in(dir.path());
    assert_eq!(same.code, Some(0), "{same:?}");

    // The same values written by hand in other spellings are no drift.
    cluster.exec("ALTER SYSTEM SET work_mem = '65536kB'");
    cluster.exec("ALTER SYSTEM SET effective_cache_size = '4096MB'");
    cluster.exec("ALTER SYSTEM SET log_connections = 'true'");
    assert_eq!(cluster.plan_in(dir.path()).code, Some(0));
}

#[test]
fn invalid_settings_stop_the_plan_and_leave_the_file_as_it_was() {
    let cluster = TestCluster::start();
    let dir = workdir();
    let original = auto_conf(&cluster);
    let cases: &[(&str, &str, &str)] = &[
        (
            "settings {\n  log_statement = \"modd\"\n}\n",
            "main.hcl:2:3: invalid value \"modd\" for log_statement",
            "did you mean \"mod\"?",
        ),
        (
            "settings {\n  shared_bufers = \"4GB\"\n}\n",
            "main.hcl:2:3: \"shared_bufers\" is not a PostgreSQL setting",
            "did you mean \"shared_buffers\"?",
        ),
        (
            "settings {\n  work_mem = \"64 megs\"\n}\n",
            "\"megs\" is not a unit it accepts",
            "B, kB, MB, GB, TB",
        ),
        (
            "settings {\n  max_connections = 0\n}\n",
            "max_connections = \"0\" is outside the valid range 1 .. 262143",
            "",
        ),
        (
            "role \"app\" {\n  settings = { shared_buffers = \"1GB\" }\n}\n",
            "main.hcl:2:16: shared_buffers cannot be set per role",
            "settings block",
        ),
        (
            "database \"postgres\" {\n  settings = { jit = \"sometimes\" }\n}\n",
            "main.hcl:2:16: invalid value \"sometimes\" for jit: expected a boolean",
            "",
        ),
    ];
    for (config, message, hint) in cases {
        write_files(dir.path(), &[("main.hcl", config)]);
        for args in [&["plan", "."][..], &["apply", "--auto-approve", "."]] {
            let out = cluster.pgfort_in(dir.path(), args);
            assert_eq!(out.code, Some(1), "{config}: {out:?}");
            assert!(out.stderr.contains(message), "{config}: {}", out.stderr);
            assert!(out.stderr.contains(hint), "{config}: {}", out.stderr);
        }
    }
    assert_eq!(auto_conf(&cluster), original);

    // A value only the server can refuse: the first setting is written,
    // the second refused, and the file is put back.
    write_files(
        dir.path(),
        &[(
            "main.hcl",
            "settings {\n  log_connections = true\n  timezone = \"Mars/Olympus_Mons\"\n}\n",
        )],
    );
    let out = cluster.apply_in(dir.path());
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("invalid value for parameter \"TimeZone\""),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("restored"), "{}", out.stderr);
    assert_eq!(
        String::from_utf8_lossy(&auto_conf(&cluster)),
        String::from_utf8_lossy(&original)
    );
}

#[test]
fn authoritative_settings_reset_what_is_not_declared() {
    let cluster = TestCluster::start();
    let dir = workdir();
    let config =
        "manage {\n  settings = \"authoritative\"\n}\n\nsettings {\n  log_statement = \"ddl\"\n}\n";
    write_files(dir.path(), &[("main.hcl", config)]);
    cluster.exec("ALTER SYSTEM SET work_mem = '1GB'");
    let out = cluster.plan_in(dir.path());
    assert_eq!(out.code, Some(2), "{out:?}");
    let text = squash(&out.stdout);
    assert!(
        text.contains("- setting \"work_mem\" { ~ value = \"1GB\" -> \"4MB\" }"),
        "{text}"
    );
    assert!(cluster.apply_in(dir.path()).success());
    assert_eq!(cluster.plan_in(dir.path()).code, Some(0));
    let conf = String::from_utf8_lossy(&auto_conf(&cluster)).into_owned();
    assert!(!conf.contains("work_mem"), "{conf}");
    assert!(conf.contains("log_statement = 'ddl'"), "{conf}");
}

/// ALTER SYSTEM without a reload: the files say one value, the server runs
/// another. The plan compares both, so it is never "No changes".
#[test]
fn a_setting_written_but_not_loaded_is_not_applied() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(
        dir.path(),
        &[("main.hcl", "settings { work_mem = \"64MB\" }\n")],
    );
    let applied = cluster.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}");
    assert_eq!(cluster.plan_in(dir.path()).code, Some(0));

    // Drift written behind pgfort's back, not loaded: the plan says both.
    cluster.exec("ALTER SYSTEM SET work_mem = '77MB'");
    let drift = cluster.plan_in(dir.path());
    assert_eq!(drift.code, Some(2), "{drift:?}");
    let text = squash(&drift.stdout);
    assert!(
        text.contains("~ setting \"work_mem\" { ~ value = \"77MB\" -> \"64MB\" }"),
        "{}",
        drift.stdout
    );
    assert!(
        text.contains("\"77MB\" is written in the configuration files but not loaded: the server still runs \"64MB\""),
        "{}",
        drift.stdout
    );
    let fixed = cluster.apply_in(dir.path());
    assert!(fixed.success(), "{fixed:?}");
    assert_eq!(cluster.plan_in(dir.path()).code, Some(0));

    // The desired value written by hand but not loaded: a pending reload.
    write_files(
        dir.path(),
        &[("main.hcl", "settings { work_mem = \"96MB\" }\n")],
    );
    cluster.exec("ALTER SYSTEM SET work_mem = '96MB'");
    let pending = cluster.plan_in(dir.path());
    assert_eq!(pending.code, Some(2), "{pending:?}");
    let text = squash(&pending.stdout);
    assert!(
        text.contains("~ setting \"work_mem\" { ~ value = \"64MB\" -> \"96MB\" }")
            && text.contains("the server still runs \"64MB\": reload pending"),
        "{}",
        pending.stdout
    );
    assert!(!text.contains("ALTER SYSTEM"), "{}", pending.stdout);
    let reloaded = cluster.apply_in(dir.path());
    assert!(reloaded.success(), "{reloaded:?}");
    let empty = cluster.plan_in(dir.path());
    assert_eq!(empty.code, Some(0), "{empty:?}");
    assert!(empty.stdout.contains("No changes."), "{}", empty.stdout);
    eventually_shows(&cluster, "work_mem", "96MB");
}

/// A restart-only setting written but not in use: the plan says a restart
/// is needed, not "No changes".
#[test]
fn a_restart_only_setting_written_but_not_restarted_needs_restart() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(
        dir.path(),
        &[("main.hcl", "settings { max_locks_per_transaction = 128 }\n")],
    );
    cluster.exec("ALTER SYSTEM SET max_locks_per_transaction = 128");
    let plan = cluster.plan_in(dir.path());
    assert!(
        plan.stdout
            .contains("max_locks_per_transaction: running 64, configured 128")
            && plan.stdout.contains("needs restart"),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("No changes"), "{}", plan.stdout);
    cluster.restart();
    let after = cluster.plan_in(dir.path());
    assert!(after.stdout.contains("No changes."), "{}", after.stdout);
}
