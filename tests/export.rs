//! `pgfort export` end to end: a server prepared with every kind of
//! object pgfort manages is exported, and a plan of the exported
//! directory against the same server is empty; the files then manage the
//! server (drift shows, apply repairs it).

mod common;

use std::path::Path;

use common::hba::hba_path;
use common::{PgfortOutput, TestCluster, workdir};

/// Roles, databases and cluster-wide settings.
const CLUSTER: &str = r#"
CREATE ROLE app_owner NOLOGIN;
CREATE ROLE app_readonly NOLOGIN;
CREATE ROLE app_readwrite NOLOGIN;
CREATE ROLE app_user LOGIN PASSWORD 'never-in-the-export' CONNECTION LIMIT 20
  VALID UNTIL '2031-01-01 00:00:00+00' IN ROLE app_readwrite;
CREATE ROLE etl LOGIN NOINHERIT CREATEDB;
CREATE ROLE auditor NOLOGIN BYPASSRLS;
CREATE ROLE "Mixed Case" LOGIN;
GRANT app_readonly TO etl WITH ADMIN OPTION;
ALTER ROLE app_user SET statement_timeout = '30s';
ALTER ROLE app_user SET search_path = "$user", public;
COMMENT ON ROLE app_user IS 'application login ${not a variable} %{nor a directive}';
CREATE DATABASE app OWNER app_owner CONNECTION LIMIT 50;
ALTER DATABASE app SET work_mem = '16MB';
COMMENT ON DATABASE app IS 'the application';
ALTER ROLE etl IN DATABASE app SET work_mem = '64MB';
CREATE DATABASE reporting
"#;

/// Schemas, objects, grants (whole schemas with default privileges, and
/// single objects), row-level security and policies in database app.
const APP: &str = r#"
CREATE SCHEMA sales AUTHORIZATION app_owner;
COMMENT ON SCHEMA sales IS 'orders and invoices';
SET ROLE app_owner;
CREATE TABLE sales.orders (id serial PRIMARY KEY, tenant text, total numeric);
CREATE TABLE sales.invoices (id int, tenant text);
CREATE VIEW sales.order_totals AS SELECT tenant, sum(total) AS total FROM sales.orders GROUP BY tenant;
CREATE FUNCTION sales.tax(numeric) RETURNS numeric LANGUAGE sql AS 'SELECT $1 * 0.2';
CREATE TYPE sales.status AS ENUM ('open', 'closed');
CREATE TABLE public.documents (id int, owner_id int, body text);
CREATE TABLE public.notes (id int);
RESET ROLE;
GRANT USAGE ON SCHEMA sales TO app_readonly, app_readwrite;
GRANT SELECT ON ALL TABLES IN SCHEMA sales TO app_readonly;
ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA sales GRANT SELECT ON TABLES TO app_readonly;
ALTER DEFAULT PRIVILEGES FOR ROLE etl IN SCHEMA sales GRANT SELECT ON TABLES TO app_readonly;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA sales TO app_readwrite;
ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA sales
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO app_readwrite;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA sales TO app_readwrite;
GRANT EXECUTE ON FUNCTION sales.tax(numeric) TO app_readonly;
GRANT USAGE ON TYPE sales.status TO app_readwrite;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO app_readonly;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO app_readonly;
GRANT SELECT ON public.documents TO app_user;
GRANT UPDATE (body) ON public.documents TO app_user;
GRANT SELECT ON public.notes TO etl WITH GRANT OPTION;
GRANT SELECT ON public.notes TO "Mixed Case";
GRANT CONNECT, TEMPORARY ON DATABASE app TO app_user;
GRANT CREATE ON DATABASE app TO etl;
ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.documents FORCE ROW LEVEL SECURITY;
CREATE POLICY own_documents ON public.documents FOR ALL TO app_user
  USING (owner_id = current_setting('app.user_id')::integer)
  WITH CHECK (owner_id = current_setting('app.user_id')::integer);
CREATE POLICY audit_read ON public.documents AS RESTRICTIVE FOR SELECT TO auditor USING (true);
COMMENT ON POLICY own_documents ON public.documents IS 'one owner per document';
ALTER TABLE sales.invoices ENABLE ROW LEVEL SECURITY;
"#;

/// The test harness's own rule (TCP from 127.0.0.1 with a password)
/// first, then rules of every shape the export must carry over.
const HBA: &str = "\
# a hand-written file
host    all             all             127.0.0.1/32            scram-sha-256
local   all             postgres                                scram-sha-256
host    app             app_user,etl    10.20.0.0 255.255.0.0   scram-sha-256
host    \"app\"           +app_readonly   192.168.0.0/16          md5
host    all             all             10.9.0.0/16             ident map=omap
host    replication     all             ::1/128                 scram-sha-256
host    all             all             0.0.0.0/0               reject
";

/// Runs each statement on its own: CREATE DATABASE and ALTER SYSTEM
/// refuse the implicit transaction of a multi-statement query.
fn exec_each(cluster: &TestCluster, sql: &str) {
    for statement in sql.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
        cluster.exec(statement);
    }
}

fn prepare(cluster: &TestCluster) {
    exec_each(cluster, CLUSTER);
    cluster.exec_in("app", APP);
    let available = cluster.query_value(
        "SELECT count(*) FROM pg_available_extensions WHERE name IN ('pg_trgm', 'pgcrypto')",
    );
    if available.as_deref() == Some("2") {
        cluster.exec_in(
            "app",
            "CREATE EXTENSION pg_trgm; CREATE EXTENSION pgcrypto SCHEMA sales;",
        );
    }
    if version(cluster) >= 160000 {
        cluster.exec("GRANT app_readonly TO auditor WITH INHERIT FALSE, SET FALSE");
    }
    exec_each(
        cluster,
        "ALTER SYSTEM SET log_connections = on;
         ALTER SYSTEM SET work_mem = '8MB';
         ALTER SYSTEM SET log_min_duration_statement = '250ms';
         SELECT pg_reload_conf();",
    );
    std::fs::write(hba_path(cluster), HBA).expect("write pg_hba.conf");
    cluster.exec("SELECT pg_reload_conf()");
}

fn version(cluster: &TestCluster) -> u32 {
    cluster
        .query_value("SHOW server_version_num")
        .and_then(|v| v.parse().ok())
        .expect("server_version_num")
}

fn export(cluster: &TestCluster, dir: &Path, extra: &[&str]) -> PgfortOutput {
    let mut args = vec!["export", "-o", dir.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    cluster.pgfort(&args)
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn export_then_plan_is_empty() {
    let cluster = TestCluster::start();
    prepare(&cluster);
    let work = workdir();
    let dir = work.path().join("adopted");

    let exported = export(&cluster, &dir, &[]);
    assert!(exported.success(), "{exported:?}");
    assert!(
        !exported.stderr.contains("note:"),
        "everything here has a block: {exported:?}"
    );
    for name in [
        "roles.hcl",
        "databases.hcl",
        "grants.hcl",
        "policies.hcl",
        "settings.hcl",
        "hba.hcl",
        "extensions.hcl",
        "connection.hcl",
    ] {
        assert!(
            exported.stdout.contains(name),
            "{name} is listed: {exported:?}"
        );
    }
    let mut everything = String::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        everything.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert!(!everything.contains("never-in-the-export"), "{everything}");
    assert!(!everything.contains("SCRAM-SHA-256$"), "{everything}");
    assert!(!everything.contains(cluster.password()), "{everything}");

    let roles = read(&dir, "roles.hcl");
    assert!(roles.contains("keep_password = true"), "{roles}");
    assert!(
        roles.contains("role \"postgres\""),
        "named by default privileges: {roles}"
    );
    let grants = read(&dir, "grants.hcl");
    assert!(
        grants
            .contains("on         = { database = \"app\", schema = \"sales\", all = \"tables\" }"),
        "{grants}"
    );
    assert!(grants.contains("owners     = [\"etl\"]"), "{grants}");
    assert!(grants.contains("tables = [\"notes\"]"), "{grants}");
    let hba = read(&dir, "hba.hcl");
    assert!(hba.contains("address  = \"10.20.0.0/16\""), "{hba}");
    assert!(hba.contains("options  = { map = \"omap\" }"), "{hba}");

    let plan = cluster.plan_in(&dir);
    assert_eq!(
        plan.code,
        Some(0),
        "the plan of an export is empty: {plan:?}"
    );
    assert!(plan.stdout.contains("No changes."), "{plan:?}");

    // The files manage the server: drift shows, and apply repairs it.
    cluster.exec_in("app", "REVOKE SELECT ON sales.orders FROM app_readonly");
    cluster.exec("ALTER ROLE etl CONNECTION LIMIT 3");
    let drift = cluster.plan_in(&dir);
    assert_eq!(drift.code, Some(2), "{drift:?}");
    assert!(drift.stdout.contains("app_readonly"), "{}", drift.stdout);
    assert!(
        drift.stdout.contains("role.etl") || drift.stdout.contains("role \"etl\""),
        "{}",
        drift.stdout
    );
    let applied = cluster.apply_in(&dir);
    assert!(applied.success(), "{applied:?}");
    let empty = cluster.plan_in(&dir);
    assert_eq!(empty.code, Some(0), "{empty:?}");
    assert_eq!(
        cluster.query_value("SELECT rolconnlimit::text FROM pg_roles WHERE rolname = 'etl'"),
        Some("-1".to_owned())
    );
}

#[test]
fn export_chooses_databases_and_kinds_and_keeps_existing_files() {
    let cluster = TestCluster::start();
    prepare(&cluster);
    let work = workdir();
    let dir = work.path().join("partial");

    let refused = export(&cluster, &dir, &["--include", "grants"]);
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused.stderr.contains("--include needs roles"),
        "{refused:?}"
    );
    let unknown = export(&cluster, &dir, &["--database", "nope"]);
    assert_eq!(unknown.code, Some(1), "{unknown:?}");
    assert!(
        unknown.stderr.contains("database \"nope\" does not exist"),
        "{unknown:?}"
    );

    let partial = export(
        &cluster,
        &dir,
        &["--database", "app", "--include", "roles,grants,policies"],
    );
    assert!(partial.success(), "{partial:?}");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["connection.hcl", "grants.hcl", "policies.hcl", "roles.hcl"]
    );
    assert!(!read(&dir, "grants.hcl").contains("reporting"));
    let plan = cluster.plan_in(&dir);
    assert_eq!(plan.code, Some(0), "{plan:?}");

    let again = export(&cluster, &dir, &[]);
    assert_eq!(again.code, Some(1), "{again:?}");
    assert!(
        again.stderr.contains("already holds configuration files"),
        "{again:?}"
    );
    assert!(again.stderr.contains("--force"), "{again:?}");
    std::fs::write(dir.join("mine.hcl"), "# kept\n").unwrap();
    let forced = export(&cluster, &dir, &["--force", "--include", "settings,hba"]);
    assert!(forced.success(), "{forced:?}");
    assert!(forced.stderr.contains("mine.hcl"), "{forced:?}");
    assert_eq!(read(&dir, "mine.hcl"), "# kept\n");
    assert!(read(&dir, "settings.hcl").contains("log_min_duration_statement = \"250ms\""));
}
