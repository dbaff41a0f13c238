//! The shipped modules (modules/) called through `module` blocks, applied
//! to a real server and checked by logging in as the roles they create;
//! the modules example end to end; and module errors as the CLI reports
//! them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{PgfortOutput, TestCluster, workdir, write_files};

/// An absolute path in the repository, for `source` and for examples.
fn repo(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

/// A fresh directory holding `main.hcl`.
fn root(text: &str) -> tempfile::TempDir {
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", text)]);
    dir
}

fn apply(cluster: &TestCluster, dir: &Path, vars: &[&str]) -> PgfortOutput {
    let mut args = vec!["apply", "--auto-approve", "--no-color"];
    args.extend_from_slice(vars);
    args.push(".");
    cluster.pgfort_in(dir, &args)
}

fn plan(cluster: &TestCluster, dir: &Path, vars: &[&str]) -> PgfortOutput {
    let mut args = vec!["plan", "--detailed-exitcode", "--no-color"];
    args.extend_from_slice(vars);
    args.push(".");
    cluster.pgfort_in(dir, &args)
}

/// A database with a schema owned by app_owner and a table with a serial
/// key created before pgfort runs, as an application's migrations would.
fn shop(cluster: &TestCluster) {
    cluster.exec("CREATE ROLE app_owner");
    cluster.exec("CREATE DATABASE shop OWNER app_owner");
    cluster.exec_in("shop", "SET ROLE app_owner; CREATE SCHEMA app; CREATE TABLE app.orders (id bigserial PRIMARY KEY, note text); RESET ROLE;");
}

fn refused(cluster: &TestCluster, db: &str, user: &str, password: &str, sql: &str) -> bool {
    std::panic::catch_unwind(|| cluster.psql_as(db, user, password, sql)).is_err()
}

#[test]
fn app_user_can_do_its_job_and_no_more() {
    let cluster = TestCluster::start();
    shop(&cluster);
    let dir = root(&format!(
        r#"
variable "password" {{
  sensitive = true
}}

role "app_owner" {{}}

module "app" {{
  source   = "{}"
  database = "shop"
  schemas  = ["app"]
  owners   = ["app_owner"]
  password = var.password
}}
"#,
        repo("modules/app-user")
    ));
    let vars = ["-var", "password=App-Pass-123"];
    let out = apply(&cluster, dir.path(), &vars);
    assert_eq!(out.code, Some(0), "{out:?}");
    let again = plan(&cluster, dir.path(), &vars);
    assert_eq!(again.code, Some(0), "{again:?}");
    assert_eq!(
        cluster
            .query_value("SELECT pg_has_role('app_user', 'app_user_readwrite', 'MEMBER')::text")
            .as_deref(),
        Some("true"),
        "app_user is a member of the group the nested readwrite-role module made"
    );

    // CONNECT, USAGE, DML on tables and USAGE on sequences (bigserial).
    let rows = cluster.psql_as(
        "shop",
        "app_user",
        "App-Pass-123",
        "INSERT INTO app.orders (note) VALUES ('first');
         UPDATE app.orders SET note = 'changed';
         SELECT count(*)::text FROM app.orders;",
    );
    assert_eq!(rows[0][0].as_deref(), Some("1"));
    // A table the owner creates later works without another apply.
    cluster.exec_in(
        "shop",
        "SET ROLE app_owner; CREATE TABLE app.later (id serial, v text); RESET ROLE;",
    );
    cluster.psql_as(
        "shop",
        "app_user",
        "App-Pass-123",
        "INSERT INTO app.later (v) VALUES ('x'); DELETE FROM app.later;",
    );
    let after = plan(&cluster, dir.path(), &vars);
    assert_eq!(
        after.code,
        Some(0),
        "a new table must not cause drift: {after:?}"
    );
    // No DDL, no TRUNCATE.
    for forbidden in [
        "CREATE TABLE app.mine (x int)",
        "TRUNCATE app.orders",
        "DROP TABLE app.orders",
    ] {
        assert!(
            refused(&cluster, "shop", "app_user", "App-Pass-123", forbidden),
            "app_user must not be allowed: {forbidden}"
        );
    }
}

#[test]
fn readonly_role_twice_and_readwrite_role_each_on_their_own_database() {
    let cluster = TestCluster::start();
    shop(&cluster);
    cluster.exec("CREATE DATABASE crm OWNER app_owner");
    cluster.exec_in(
        "crm",
        "SET ROLE app_owner; CREATE TABLE contacts (id serial PRIMARY KEY, name text); RESET ROLE;",
    );
    let dir = root(&format!(
        r#"
role "app_owner" {{}}

module "shop_ro" {{
  source   = "{readonly}"
  name     = "shop_reader"
  database = "shop"
  schemas  = ["app"]
  owners   = ["app_owner"]
}}

module "crm_ro" {{
  source   = "{readonly}"
  name     = "crm_reader"
  database = "crm"
  owners   = ["app_owner"]
}}

module "crm_rw" {{
  source   = "{readwrite}"
  name     = "crm_writer"
  database = module.crm_ro.database
  owners   = ["app_owner"]
}}

role "analyst" {{
  login     = true
  password  = "analyst-pw"
  member_of = [module.shop_ro.role, module.crm_ro.role]
}}

role "clerk" {{
  login     = true
  password  = "clerk-pw"
  member_of = [module.crm_rw.role]
}}
"#,
        readonly = repo("modules/readonly-role"),
        readwrite = repo("modules/readwrite-role"),
    ));
    let out = apply(&cluster, dir.path(), &[]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let again = plan(&cluster, dir.path(), &[]);
    assert_eq!(again.code, Some(0), "{again:?}");

    cluster.exec_in("shop", "INSERT INTO app.orders (note) VALUES ('seen')");
    cluster.exec_in("crm", "INSERT INTO contacts (name) VALUES ('ada')");
    let rows = cluster.psql_as(
        "shop",
        "analyst",
        "analyst-pw",
        "SELECT note FROM app.orders",
    );
    assert_eq!(rows[0][0].as_deref(), Some("seen"));
    let rows = cluster.psql_as("crm", "analyst", "analyst-pw", "SELECT name FROM contacts");
    assert_eq!(rows[0][0].as_deref(), Some("ada"));
    assert!(
        refused(
            &cluster,
            "shop",
            "analyst",
            "analyst-pw",
            "DELETE FROM app.orders"
        ),
        "readonly must not delete"
    );
    // Each instance covers its own database only.
    let crossed = cluster.psql_in(
        "crm",
        "SELECT has_table_privilege('shop_reader', 'public.contacts', 'SELECT')::text",
    );
    assert_eq!(crossed[0][0].as_deref(), Some("false"));

    // The readwrite module writes, on its database only, without DDL.
    cluster.psql_as(
        "crm",
        "clerk",
        "clerk-pw",
        "INSERT INTO contacts (name) VALUES ('bob'); UPDATE contacts SET name = 'eve'; DELETE FROM contacts;",
    );
    assert!(refused(
        &cluster,
        "crm",
        "clerk",
        "clerk-pw",
        "TRUNCATE contacts"
    ));
    assert!(refused(
        &cluster,
        "shop",
        "clerk",
        "clerk-pw",
        "SELECT * FROM app.orders"
    ));
}

#[test]
fn modules_example_applies_converges_and_its_logins_work() {
    let cluster = TestCluster::start();
    let example = PathBuf::from(repo("examples/modules"));
    let out = apply(&cluster, &example, &[]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("Needs restart"), "{}", out.stdout);
    cluster.restart();
    let again = plan(&cluster, &example, &[]);
    assert_eq!(again.code, Some(0), "{again:?}");

    let rows = cluster.psql_as(
        "shop",
        "app_user",
        "modules-example-app-password",
        "SELECT current_setting('statement_timeout')",
    );
    assert_eq!(rows[0][0].as_deref(), Some("30s"));
    // The monitoring module: pg_monitor, and pg_stat_statements answers.
    let rows = cluster.psql_as(
        "shop",
        "monitoring",
        "modules-example-monitoring-password",
        "SELECT pg_has_role('pg_monitor', 'USAGE')::text, (count(*) >= 0)::text FROM pg_stat_statements",
    );
    assert_eq!(rows[0][0].as_deref(), Some("true"));
    assert_eq!(rows[0][1].as_deref(), Some("true"));
    let member_of = cluster.query_value(
        "SELECT string_agg(b.rolname, ',' ORDER BY b.rolname) FROM pg_auth_members m
         JOIN pg_roles r ON r.oid = m.member JOIN pg_roles b ON b.oid = m.roleid
         WHERE r.rolname = 'analyst'",
    );
    assert_eq!(member_of.as_deref(), Some("crm_reader,shop_reader"));
}

/// Runs pgfort without a server (validate, fmt).
fn offline(args: &[&str]) -> PgfortOutput {
    let output = Command::new(env!("CARGO_BIN_EXE_pgfort"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("could not run pgfort: {e}"));
    PgfortOutput {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code(),
    }
}

#[test]
fn validate_and_fmt_accept_modules_and_outputs() {
    let out = offline(&["validate", &repo("examples/modules")]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.contains("5 file(s), 7 role(s)"),
        "{}",
        out.stdout
    );
    let out = offline(&["validate", &repo("examples/hardened-server")]);
    assert_eq!(out.code, Some(0), "{out:?}");
    for dir in [
        "examples/modules",
        "examples/hardened-server",
        "modules/app-user",
        "modules/hardened-baseline",
        "modules/monitoring",
        "modules/readonly-role",
        "modules/readwrite-role",
    ] {
        let out = offline(&["fmt", "--check", &repo(dir)]);
        assert_eq!(out.code, Some(0), "{dir} is not formatted: {out:?}");
    }
}

#[test]
fn validate_reports_module_errors_where_they_are() {
    let readonly = repo("modules/readonly-role");
    // (files of the configuration, texts its error output must hold)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: [Case<'_>; 5] = [
        (
            &[(
                "main.hcl",
                "role \"r\" {}\n\nmodule \"ro\" {\n  source   = \"../ro\"\n  name     = \"r\"\n  database = \"d\"\n}\n",
            )],
            &[
                "main.hcl:1:6: role \"r\" is already declared at ",
                "ro/main.hcl:",
            ],
        ),
        (
            &[(
                "main.hcl",
                "module \"ro\" {\n  source   = \"../ro\"\n  name     = \"r\"\n  databse  = \"d\"\n}\n",
            )],
            &[
                "main.hcl:4:3: unknown input \"databse\" for module \"ro\"",
                "hint: did you mean \"database\"?",
                "in module \"ro\" called at ",
            ],
        ),
        (
            &[("main.hcl", "module \"ro\" {\n  source = \"../ro\"\n}\n")],
            &[
                "main.hcl:1:1: module \"ro\" is missing the required inputs \"name\", \"database\"",
                "hint: add name = ... to the module block",
            ],
        ),
        (
            &[("main.hcl", "module \"x\" {\n  source = \"./nowhere\"\n}\n")],
            &["main.hcl:2:12: module source \"./nowhere\" does not exist"],
        ),
        (
            &[
                ("main.hcl", "module \"a\" {\n  source = \"./a\"\n}\n"),
                ("a/main.hcl", "module \"again\" {\n  source = \"..\"\n}\n"),
            ],
            &[
                "a/main.hcl:2:12: module \"again\" includes itself",
                "in module \"a\" called at ",
            ],
        ),
    ];
    let base = workdir();
    std::os::unix::fs::symlink(&readonly, base.path().join("ro")).unwrap();
    for (i, (files, expected)) in cases.iter().enumerate() {
        let dir = base.path().join(format!("case{i}"));
        write_files(&dir, files);
        let out = offline(&["validate", &dir.display().to_string()]);
        assert_eq!(out.code, Some(1), "{out:?}");
        for text in *expected {
            assert!(
                out.stderr.contains(text),
                "{text:?} not in:\n{}",
                out.stderr
            );
        }
    }
}

#[test]
fn hardened_baseline_locks_down_the_database_it_is_given() {
    let cluster = TestCluster::start();
    shop(&cluster);
    cluster.exec_in("shop", "GRANT CREATE ON SCHEMA public TO PUBLIC");
    let dir = root(&format!(
        r#"
role "app_owner" {{}}

module "baseline" {{
  source         = "{}"
  database       = "shop"
  database_owner = "app_owner"
  schema_owner   = "app_owner"
}}

settings {{
  log_temp_files = "10MB"
}}
"#,
        repo("modules/hardened-baseline")
    ));
    let out = apply(&cluster, dir.path(), &[]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let again = plan(&cluster, dir.path(), &[]);
    assert_eq!(again.code, Some(0), "{again:?}");
    let rows = cluster.psql_in(
        "shop",
        "SELECT has_schema_privilege('public', 'public', 'CREATE')::text,
                has_schema_privilege('app_owner', 'public', 'CREATE')::text,
                current_setting('log_temp_files'), current_setting('log_statement')",
    );
    assert_eq!(
        rows[0],
        [
            Some("false".to_owned()),
            Some("true".to_owned()),
            Some("10MB".to_owned()),
            Some("ddl".to_owned())
        ],
        "PUBLIC lost CREATE; the owner kept it; root and module settings both applied"
    );
}

#[test]
fn an_error_only_the_server_reveals_names_the_module_chain() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(
        dir.path(),
        &[
            (
                "main.hcl",
                "module \"outer\" {\n  source = \"./outer\"\n}\n",
            ),
            (
                "outer/main.hcl",
                "module \"inner\" {\n  source = \"../inner\"\n}\n",
            ),
            ("inner/main.hcl", "settings {\n  wrok_mem = \"4MB\"\n}\n"),
        ],
    );
    // Valid offline: only the server knows which settings exist.
    assert_eq!(
        offline(&["validate", &dir.path().display().to_string()]).code,
        Some(0)
    );
    let out = plan(&cluster, dir.path(), &[]);
    assert_eq!(out.code, Some(1), "{out:?}");
    for text in [
        "inner/main.hcl:2:3: ",
        "wrok_mem",
        "in module \"inner\" called at ",
        "outer/main.hcl:1:1, in module \"outer\" called at ",
        "/main.hcl:1:1",
    ] {
        assert!(
            out.stderr.contains(text),
            "{text:?} not in:\n{}",
            out.stderr
        );
    }
}
