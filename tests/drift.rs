//! `pgfort drift` end to end: every kind of object changed behind pgfort's
//! back is reported under its kind, in text, JSON (conforming to its
//! schema) and Markdown, with exit 2; no drift is exit 0; errors exit 1.

mod common;

use common::{TestCluster, schema_check, workdir, write_files};

const CONFIG: &str = r#"
role "dr_owner" {}

role "dr_app" {
  login            = true
  connection_limit = 5
}

database "dr_db" {
  owner = "dr_owner"
}

schema "app" {
  database = "dr_db"
  owner    = "dr_owner"
}

grant {
  to         = ["dr_app"]
  privileges = ["USAGE"]
  on         = { database = "dr_db", schema = "app" }
}

table "documents" {
  database           = "dr_db"
  schema             = "app"
  row_level_security = true
}

policy "own_rows" {
  database = "dr_db"
  table    = "app.documents"
  command  = "SELECT"
  to       = ["dr_app"]
  using    = "owner = current_user"
}

extension "pg_trgm" {
  database = "dr_db"
}

settings {
  work_mem = "8MB"
}
"#;

/// Applies the configuration (the table is created by hand in between:
/// pgfort manages its security, not its columns).
fn applied(cluster: &TestCluster) -> tempfile::TempDir {
    let dir = workdir();
    let first = CONFIG.split("table \"documents\"").next().unwrap_or(CONFIG);
    write_files(dir.path(), &[("main.hcl", first)]);
    let out = cluster.apply_in(dir.path());
    assert!(out.success(), "{out:?}");
    cluster.exec_in(
        "dr_db",
        "CREATE TABLE app.documents (id int, owner name); ALTER TABLE app.documents OWNER TO dr_owner",
    );
    write_files(dir.path(), &[("main.hcl", CONFIG)]);
    let out = cluster.apply_in(dir.path());
    assert!(out.success(), "{out:?}");
    dir
}

fn drift(cluster: &TestCluster, dir: &std::path::Path, format: &str) -> common::PgfortOutput {
    cluster.pgfort_in(dir, &["drift", "--format", format, "."])
}

#[test]
fn every_kind_of_drift_is_reported_by_kind_in_every_format() {
    let cluster = TestCluster::start();
    let dir = applied(&cluster);
    let clean = drift(&cluster, dir.path(), "text");
    assert_eq!(clean.code, Some(0), "{clean:?}");
    assert!(clean.stdout.starts_with("No drift:"), "{}", clean.stdout);

    cluster.exec("ALTER ROLE dr_app CONNECTION LIMIT 50; ALTER DATABASE dr_db CONNECTION LIMIT 3");
    cluster.exec("ALTER SYSTEM SET work_mem = '64MB'");
    cluster.exec("SELECT pg_reload_conf()");
    cluster.exec_in(
        "dr_db",
        "ALTER SCHEMA app OWNER TO postgres;
         REVOKE USAGE ON SCHEMA app FROM dr_app;
         ALTER TABLE app.documents DISABLE ROW LEVEL SECURITY;
         ALTER POLICY own_rows ON app.documents USING (true);
         DROP EXTENSION pg_trgm;",
    );
    let expected = [
        (
            "role",
            "role.dr_app",
            "connection_limit: 50 on the server, 5 configured",
        ),
        (
            "database",
            "database.dr_db",
            "connection_limit: 3 on the server",
        ),
        (
            "schema",
            "schema.dr_db.app",
            "owner: postgres on the server, dr_owner configured",
        ),
        ("grant", "grant.dr_app.dr_db.app", "missing on the server"),
        ("table", "table.dr_db.app.documents", "row_level_security"),
        ("policy", "policy.dr_db.app.documents.own_rows", "using"),
        (
            "extension",
            "extension.dr_db.pg_trgm",
            "missing on the server",
        ),
        (
            "setting",
            "setting.work_mem",
            "value: \"64MB\" on the server, \"8MB\" configured",
        ),
    ];

    // The plan sees the same drift, with --detailed-exitcode.
    let plan = cluster.plan_in(dir.path());
    assert_eq!(plan.code, Some(2), "{plan:?}");

    let text = drift(&cluster, dir.path(), "text");
    assert_eq!(text.code, Some(2), "{text:?}");
    for (kind, address, what) in expected {
        assert!(
            text.stdout.contains(&format!("\n{kind} (")),
            "{kind} in:\n{}",
            text.stdout
        );
        let line = text
            .stdout
            .lines()
            .position(|l| l.contains(&format!(" {address}: ")))
            .unwrap_or_else(|| panic!("{address} in:\n{}", text.stdout));
        let block: String = text
            .stdout
            .lines()
            .skip(line)
            .take(4)
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            block.contains(what),
            "{what:?} under {address}:\n{}",
            text.stdout
        );
    }

    let json = drift(&cluster, dir.path(), "json");
    assert_eq!(json.code, Some(2), "{json:?}");
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/drift.schema.json")).unwrap();
    schema_check::conforms(&schema, &schema, &document, "$").unwrap();
    assert_eq!(document["drifted"], true);
    let kinds: Vec<&str> = document["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["kind"].as_str())
        .collect();
    for (kind, _, _) in expected {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    // Values are typed: a number is a number, text has no shown quotes.
    let difference = |address: &str, attribute: &str| {
        document["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|k| k["objects"].as_array().unwrap())
            .find(|o| o["address"] == address)
            .and_then(|o| {
                o["differences"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|d| d["attribute"] == attribute)
                    .cloned()
            })
            .unwrap_or_else(|| panic!("{address} {attribute} in {document:#}"))
    };
    let limit = difference("role.dr_app", "connection_limit");
    assert_eq!(
        (&limit["server"], &limit["configured"]),
        (&50.into(), &5.into())
    );
    let work_mem = difference("setting.work_mem", "value");
    assert_eq!(
        (&work_mem["server"], &work_mem["configured"]),
        (&"64MB".into(), &"8MB".into())
    );

    let markdown = drift(&cluster, dir.path(), "markdown");
    assert_eq!(markdown.code, Some(2), "{markdown:?}");
    assert!(
        markdown.stdout.starts_with("## pgfort drift"),
        "{}",
        markdown.stdout
    );
    for (kind, address, _) in expected {
        assert!(
            markdown.stdout.contains(&format!("### {kind} (")),
            "{}",
            markdown.stdout
        );
        assert!(
            markdown.stdout.contains(&format!("| `{address}` |")),
            "{}",
            markdown.stdout
        );
    }

    let fixed = cluster.apply_in(dir.path());
    assert!(fixed.success(), "{fixed:?}");
    let clean = drift(&cluster, dir.path(), "json");
    assert_eq!(clean.code, Some(0), "{clean:?}");
}

#[test]
fn an_undeclared_role_with_superuser_level_powers_is_drift() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(
        dir.path(),
        &[("main.hcl", "role \"dr_app\" {\n  login = true\n}\n")],
    );
    let out = cluster.apply_in(dir.path());
    assert!(out.success(), "{out:?}");
    // An ordinary undeclared role is listed, not drift.
    cluster.exec("CREATE ROLE dr_reader LOGIN");
    let quiet = drift(&cluster, dir.path(), "text");
    assert_eq!(quiet.code, Some(0), "{quiet:?}");
    assert!(
        quiet
            .stdout
            .contains("Unmanaged roles (not declared, left alone): dr_reader"),
        "{}",
        quiet.stdout
    );
    // A superuser, and a role reaching the server's files through a group.
    cluster.exec(
        "CREATE ROLE dr_intruder LOGIN SUPERUSER;
         CREATE ROLE dr_files; GRANT pg_write_server_files TO dr_files;
         CREATE ROLE dr_sneaky LOGIN IN ROLE dr_files",
    );
    let text = drift(&cluster, dir.path(), "text");
    assert_eq!(text.code, Some(2), "{text:?}");
    assert!(
        text.stdout
            .contains("! role.dr_intruder: on the server, not in the configuration, with superuser-level powers\n      (because it holds SUPERUSER)"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("(because it holds membership in pg_write_server_files)"),
        "{}",
        text.stdout
    );
    let json = drift(&cluster, dir.path(), "json");
    assert_eq!(json.code, Some(2), "{json:?}");
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/drift.schema.json")).unwrap();
    schema_check::conforms(&schema, &schema, &document, "$").unwrap();
    let unmanaged: Vec<&str> = document["kinds"][0]["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["state"] == "unmanaged")
        .filter_map(|o| o["address"].as_str())
        .collect();
    assert_eq!(
        unmanaged,
        ["role.dr_files", "role.dr_intruder", "role.dr_sneaky"]
    );
    assert_eq!(
        document["unmanaged_roles"],
        serde_json::json!(["dr_reader"])
    );
    // The plan warns too (it changes nothing: the roles are not managed).
    let plan = cluster.plan_in(dir.path());
    assert_eq!(plan.code, Some(0), "{plan:?}");
    assert!(
        plan.stderr
            .contains("role \"dr_intruder\" is not in the configuration but holds SUPERUSER")
            || plan
                .stdout
                .contains("role \"dr_intruder\" is not in the configuration but holds SUPERUSER"),
        "{plan:?}"
    );
    // Gone again: no drift.
    cluster.exec("DROP ROLE dr_intruder, dr_sneaky, dr_files");
    let clean = drift(&cluster, dir.path(), "text");
    assert_eq!(clean.code, Some(0), "{clean:?}");
}

#[test]
fn drift_errors_exit_1() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(
        dir.path(),
        &[("main.hcl", "role \"a\" {\n  login = maybe\n}\n")],
    );
    let out = drift(&cluster, dir.path(), "text");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("main.hcl:2"), "{}", out.stderr);
}
