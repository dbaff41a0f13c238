//! Saved plans end to end: `plan -out FILE` writes a 0600 file without
//! clear-text passwords, `show` prints it (its JSON conforms to the plan
//! schema), `apply FILE` runs exactly its statements, and a plan whose
//! server changed since is refused, naming what changed, with nothing
//! applied; so is a plan file edited after it was saved. Each test has its
//! own cluster.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use common::{TestCluster, schema_check, workdir, write_files};

const PASSWORD: &str = "Plan-File-Secret-7731";

const CONFIG: &str = r#"
variable "app_password" {
  sensitive = true
}

role "sp_owner" {}

role "sp_app" {
  login            = true
  password         = var.app_password
  connection_limit = 5
}

database "sp_db" {
  owner = "sp_owner"
}

grant {
  to         = ["sp_app"]
  privileges = ["CONNECT"]
  on         = { database = "sp_db" }
}
"#;

fn var() -> String {
    format!("app_password={PASSWORD}")
}

fn role_exists(cluster: &TestCluster, name: &str) -> bool {
    cluster.query_value(&format!(
        "SELECT count(*)::text FROM pg_roles WHERE rolname = '{name}'"
    )) == Some("1".to_owned())
}

fn plan_out(cluster: &TestCluster, dir: &Path) -> common::PgfortOutput {
    let out = cluster.pgfort_in(
        dir,
        &[
            "plan",
            "-var",
            &var(),
            "-out",
            "plan.pgfort",
            "--no-color",
            ".",
        ],
    );
    assert!(out.success(), "{out:?}");
    assert!(
        out.stdout.contains("pgfort apply plan.pgfort"),
        "{}",
        out.stdout
    );
    out
}

#[test]
fn a_saved_plan_is_applied_exactly() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", CONFIG)]);
    plan_out(&cluster, dir.path());
    let file = dir.path().join("plan.pgfort");

    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the plan file is for its owner only");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(PASSWORD), "clear-text password in:\n{text}");
    assert!(
        text.contains("\"scram_verifier\": \"SCRAM-SHA-256$4096:"),
        "{text}"
    );

    // Changing the configuration after planning changes nothing: the file
    // is what gets applied, not the directory.
    write_files(dir.path(), &[("late.hcl", "role \"sp_late\" {}\n")]);
    let refused = cluster.pgfort_in(
        dir.path(),
        &["apply", "--auto-approve", "-var", &var(), "plan.pgfort"],
    );
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("-var cannot be used when applying a saved plan"),
        "{}",
        refused.stderr
    );

    // Reviewed when it was saved: applied without --auto-approve, and
    // without a terminal, as Terraform does.
    let applied = cluster.pgfort_in(dir.path(), &["apply", "--no-color", "plan.pgfort"]);
    assert!(applied.success(), "{applied:?}");
    assert!(
        applied
            .stdout
            .contains("Apply complete! Resources: 4 added"),
        "{}",
        applied.stdout
    );
    assert!(role_exists(&cluster, "sp_app"));
    // Applying it again says it was applied, and changes nothing.
    let again = cluster.pgfort_in(dir.path(), &["apply", "--no-color", "plan.pgfort"]);
    assert_eq!(again.code, Some(1), "{again:?}");
    assert!(
        again
            .stderr
            .contains("plan.pgfort was already applied (applied 20"),
        "{}",
        again.stderr
    );
    assert!(
        again
            .stderr
            .contains("run `pgfort plan` to see whether anything is left"),
        "{}",
        again.stderr
    );
    assert!(!role_exists(&cluster, "sp_late"), "only the saved plan ran");
    // The verifier hashed when the plan was saved is the password's.
    cluster.check_login("sp_app", PASSWORD);
    assert_eq!(
        cluster.query_value("SELECT rolconnlimit::text FROM pg_roles WHERE rolname = 'sp_app'"),
        Some("5".to_owned())
    );

    std::fs::remove_file(dir.path().join("late.hcl")).unwrap();
    let after = cluster.pgfort_in(
        dir.path(),
        &["plan", "--detailed-exitcode", "-var", &var(), "."],
    );
    assert_eq!(after.code, Some(0), "not converged: {after:?}");
    assert!(!after.stdout.contains(PASSWORD));
    assert!(!applied.stdout.contains(PASSWORD) && !applied.stderr.contains(PASSWORD));
}

#[test]
fn show_prints_a_saved_plan_as_text_and_schema_conforming_json() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", CONFIG)]);
    plan_out(&cluster, dir.path());

    // The SQL is shown without asking: it is what apply will run.
    let text = cluster.pgfort_in(dir.path(), &["show", "plan.pgfort"]);
    assert!(text.success(), "{text:?}");
    for needle in [
        "Saved plan plan.pgfort",
        "SQL: CREATE ROLE sp_app",
        "SQL: CREATE DATABASE sp_db",
        "# role.sp_app will be created",
        "PASSWORD '(sensitive)'",
        "Plan: 4 to add, 0 to change, 0 to destroy.",
    ] {
        assert!(
            text.stdout.contains(needle),
            "{needle:?} in:\n{}",
            text.stdout
        );
    }
    assert!(!text.stdout.contains("SCRAM-SHA-256$"), "{}", text.stdout);

    let json = cluster.pgfort_in(dir.path(), &["show", "--json", "plan.pgfort"]);
    assert!(json.success(), "{json:?}");
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/plan.schema.json")).unwrap();
    schema_check::conforms(&schema, &schema, &document, "$").unwrap();
    assert_eq!(document["summary"]["add"], 4);
    assert_eq!(document["origin"]["target"]["dbname"], "postgres");
    assert_eq!(
        document["origin"]["configuration"]["digest"]
            .as_str()
            .map(str::len),
        Some(64)
    );
    assert!(!json.stdout.contains(PASSWORD) && !json.stdout.contains("SCRAM-SHA-256$"));

    // The same shape as `plan --json` prints.
    let planned = cluster.pgfort_in(dir.path(), &["plan", "--json", "-var", &var(), "."]);
    let planned: serde_json::Value = serde_json::from_str(&planned.stdout).unwrap();
    assert_eq!(planned["changes"], document["changes"]);
    assert_eq!(planned["fingerprint"], document["fingerprint"]);

    let not_a_plan = cluster.pgfort_in(dir.path(), &["show", "main.hcl"]);
    assert_eq!(not_a_plan.code, Some(1));
    assert!(
        not_a_plan
            .stderr
            .contains("is a file but not a saved pgfort plan"),
        "{}",
        not_a_plan.stderr
    );
}

#[test]
fn a_stale_plan_is_refused_naming_what_changed_and_nothing_is_applied() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", CONFIG)]);
    let first = cluster.pgfort_in(
        dir.path(),
        &["apply", "--auto-approve", "-var", &var(), "."],
    );
    assert!(first.success(), "{first:?}");

    // A new plan: one more role, a new connection limit.
    let changed =
        CONFIG.replace("connection_limit = 5", "connection_limit = 7") + "\nrole \"sp_new\" {}\n";
    write_files(dir.path(), &[("main.hcl", &changed)]);
    plan_out(&cluster, dir.path());

    // Someone changes a role the plan touches, behind pgfort's back.
    cluster.exec("ALTER ROLE sp_app CONNECTION LIMIT 9");
    let refused = cluster.pgfort_in(
        dir.path(),
        &["apply", "--auto-approve", "--no-color", "plan.pgfort"],
    );
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("the server changed since this plan was made: role.sp_app changed"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("nothing was applied"),
        "{}",
        refused.stderr
    );
    assert!(!role_exists(&cluster, "sp_new"), "nothing applied");
    assert_eq!(
        cluster.query_value("SELECT rolconnlimit::text FROM pg_roles WHERE rolname = 'sp_app'"),
        Some("9".to_owned())
    );

    // A password changed behind pgfort's back is a change too, though the
    // plan only ever shows passwords redacted.
    plan_out(&cluster, dir.path());
    cluster.exec("ALTER ROLE sp_app PASSWORD 'someone-else'");
    let refused = cluster.pgfort_in(dir.path(), &["apply", "--auto-approve", "plan.pgfort"]);
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused.stderr.contains("role.sp_app changed"),
        "{}",
        refused.stderr
    );

    // Planned again on the current state, it applies.
    plan_out(&cluster, dir.path());
    let applied = cluster.pgfort_in(dir.path(), &["apply", "--auto-approve", "plan.pgfort"]);
    assert!(applied.success(), "{applied:?}");
    assert!(role_exists(&cluster, "sp_new"));
    cluster.check_login("sp_app", PASSWORD);
}

#[test]
fn an_edited_plan_is_refused_and_nothing_is_applied() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", CONFIG)]);
    let first = cluster.pgfort_in(
        dir.path(),
        &["apply", "--auto-approve", "-var", &var(), "."],
    );
    assert!(first.success(), "{first:?}");
    let changed = CONFIG.replace("connection_limit = 5", "connection_limit = 7");
    write_files(dir.path(), &[("main.hcl", &changed)]);
    plan_out(&cluster, dir.path());
    let file = dir.path().join("plan.pgfort");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("CONNECTION LIMIT 7"), "{text}");
    std::fs::write(&file, text.replace("CONNECTION LIMIT 7", "SUPERUSER")).unwrap();

    let refused = cluster.pgfort_in(
        dir.path(),
        &["apply", "--auto-approve", "--no-color", "plan.pgfort"],
    );
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("plan.pgfort was changed after it was saved"),
        "{}",
        refused.stderr
    );
    let shown = cluster.pgfort_in(dir.path(), &["show", "plan.pgfort"]);
    assert_eq!(shown.code, Some(1), "{shown:?}");
    assert!(!shown.stdout.contains("SUPERUSER"), "{}", shown.stdout);
    let role = || {
        cluster.query_value(
            "SELECT rolsuper::text || ' ' || rolconnlimit::text FROM pg_roles WHERE rolname = 'sp_app'",
        )
    };
    assert_eq!(role(), Some("false 5".to_owned()), "nothing was applied");

    // Keyed with PGFORT_PLAN_KEY, a plan is applied only with that key:
    // an editor cannot simply recompute the digest.
    let keyed = |key: Option<&str>, args: &[&str]| {
        let mut cmd = cluster.command();
        cmd.current_dir(dir.path()).args(args);
        if let Some(key) = key {
            cmd.env("PGFORT_PLAN_KEY", key);
        }
        let output = cmd.output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let plan = ["plan", "-var", &var(), "-out", "plan.pgfort", "."];
    assert_eq!(keyed(Some("ci-key"), &plan).0, Some(0));
    let apply = ["apply", "--auto-approve", "plan.pgfort"];
    let (code, stderr) = keyed(None, &apply);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("PGFORT_PLAN_KEY is not set"), "{stderr}");
    let (code, stderr) = keyed(Some("wrong"), &apply);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("was changed after it was saved"),
        "{stderr}"
    );
    assert_eq!(role(), Some("false 5".to_owned()));
    let (code, stderr) = keyed(Some("ci-key"), &apply);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(role(), Some("false 7".to_owned()));
}
