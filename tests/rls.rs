//! Row-level security end to end: tables' RLS switches and policies through
//! apply → plan empty → drift → plan shows exactly it → apply → empty;
//! spellings that must not make a difference; what the policies do for the
//! roles they apply to; and what planning locks.

mod common;

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{PgfortOutput, TestCluster, workdir, write_files};
use tokio_postgres::{NoTls, SimpleQueryMessage};

fn plan(cluster: &TestCluster, dir: &Path) -> PgfortOutput {
    cluster.pgfort_in(
        dir,
        &[
            "plan",
            "--detailed-exitcode",
            "--no-color",
            "--show-sql",
            ".",
        ],
    )
}

fn apply(cluster: &TestCluster, dir: &Path) -> PgfortOutput {
    let out = cluster.pgfort_in(dir, &["apply", "--auto-approve", "--no-color", "."]);
    assert_eq!(out.code, Some(0), "apply failed: {out:?}");
    out
}

fn assert_converged(cluster: &TestCluster, dir: &Path) -> PgfortOutput {
    let out = plan(cluster, dir);
    assert_eq!(out.code, Some(0), "expected no changes: {out:?}");
    out
}

/// Plan text with runs of spaces folded, so assertions ignore alignment.
fn squash(text: &str) -> String {
    text.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Roles, the database, and the grants the application needs.
const BASE: &str = r#"
role "app_owner" {}
role "app_user" {
  login    = true
  password = "app-user-pw"
}
database "docs" {
  owner = "app_owner"
}
grant {
  to         = ["app_user"]
  privileges = ["CONNECT"]
  on         = { database = "docs" }
}
grant {
  to         = ["app_user"]
  privileges = ["SELECT", "INSERT", "UPDATE", "DELETE"]
  on         = { database = "docs", schema = "public", tables = ["documents"] }
}
grant {
  to         = ["app_user"]
  privileges = ["USAGE"]
  on         = { database = "docs", schema = "public", sequences = ["documents_id_seq"] }
}
"#;

/// The declared table and its policy, with `rls` and the policy's
/// `using` / `with_check` lines.
fn secured(rls: &str, policy_body: &str) -> String {
    format!(
        r#"{BASE}
table "documents" {{
  database           = "docs"
  schema             = "public"
  owner              = "app_owner"
  row_level_security = {rls}
  comment            = "one row per document"
}}
policy "own_documents" {{
  database = "docs"
  table    = "public.documents"
  command  = "ALL"
  to       = ["app_user"]
{policy_body}
}}
"#
    )
}

const OWN_ROWS: &str = r#"  using      = "owner_id = current_setting('app.user_id')::integer"
  with_check = "owner_id = current_setting('app.user_id')::integer""#;

/// Applies the roles and database, then creates the seed's table (pgfort
/// does not create tables) with rows of owners 123 and 456.
fn bootstrap(cluster: &TestCluster) {
    let dir = workdir();
    // The grants name the table: create roles and database first.
    let roles_only = BASE.split("grant {").next().unwrap_or(BASE);
    write_files(dir.path(), &[("main.hcl", roles_only)]);
    apply(cluster, dir.path());
    cluster.exec_in(
        "docs",
        "CREATE TABLE documents (id serial PRIMARY KEY, owner_id integer, body text);
         ALTER TABLE documents OWNER TO app_owner;
         INSERT INTO documents (owner_id, body) VALUES (123, 'a'), (123, 'b'), (456, 'c');",
    );
}

/// Runs `sql` as `user`, returning rows or the server's message.
fn try_as(
    cluster: &TestCluster,
    user: &str,
    password: &str,
    sql: &str,
) -> Result<Vec<Vec<Option<String>>>, String> {
    let mut config = cluster.config("docs");
    config.user(user).password(password);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let (client, connection) = config.connect(NoTls).await.map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        let messages = client.simple_query(sql).await.map_err(|e| {
            e.as_db_error()
                .map(|db| db.message().to_owned())
                .unwrap_or_else(|| e.to_string())
        })?;
        Ok(messages
            .into_iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_owned))
                        .collect(),
                ),
                _ => None,
            })
            .collect())
    })
}

#[test]
fn rls_cycle_policy_altered_added_and_rls_disabled_by_hand() {
    let cluster = TestCluster::start();
    bootstrap(&cluster);
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", &secured("true", OWN_ROWS))]);
    let first = apply(&cluster, dir.path());
    let first = squash(&first.stdout);
    assert!(
        first.contains("# table.docs.public.documents will be updated in-place")
            && first.contains("row_level_security = false -> true")
            && first.contains("# policy.docs.public.documents.own_documents will be created"),
        "{first}"
    );
    let quiet = assert_converged(&cluster, dir.path());
    assert!(
        quiet.stdout.contains(
            "Note: table docs.public.documents: row level security policies do not apply to superusers"
        ) && quiet.stdout.contains("its owner app_owner"),
        "{}",
        quiet.stdout
    );

    cluster.exec_in(
        "docs",
        "ALTER POLICY own_documents ON documents USING (true);
         CREATE POLICY sneaky ON documents FOR SELECT TO PUBLIC USING (true);
         ALTER TABLE documents DISABLE ROW LEVEL SECURITY;",
    );
    let drifted = plan(&cluster, dir.path());
    assert_eq!(drifted.code, Some(2), "drift not seen: {drifted:?}");
    let text = squash(&drifted.stdout);
    for needle in [
        "# policy.docs.public.documents.own_documents will be updated in-place",
        "~ using = true -> (owner_id = (current_setting('app.user_id'::text))::integer)",
        "ALTER POLICY own_documents ON public.documents USING ((owner_id = (current_setting('app.user_id'::text))::integer))",
        "# policy.docs.public.documents.sneaky will be destroyed",
        "DROP POLICY sneaky ON public.documents",
        "# table.docs.public.documents will be updated in-place",
        "~ row_level_security = false -> true",
        "ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY",
        "Plan: 0 to add, 2 to change, 1 to destroy.",
    ] {
        assert!(text.contains(needle), "expected {needle:?} in:\n{text}");
    }
    assert!(!text.contains("with_check"), "{text}");
    apply(&cluster, dir.path());
    assert_converged(&cluster, dir.path());
}

#[test]
fn changes_alter_in_place_or_replace_in_one_transaction() {
    let cluster = TestCluster::start();
    bootstrap(&cluster);
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", &secured("true", OWN_ROWS))]);
    apply(&cluster, dir.path());

    // Roles and comment: ALTER POLICY and COMMENT ON POLICY.
    let config = secured("true", OWN_ROWS).replace(
        "to       = [\"app_user\"]",
        "to       = [\"app_user\", \"app_owner\"]\n  comment  = \"users see their own\"",
    );
    write_files(dir.path(), &[("main.hcl", &config)]);
    let out = squash(&plan(&cluster, dir.path()).stdout);
    assert!(
        out.contains("ALTER POLICY own_documents ON public.documents TO app_owner, app_user;")
            && out.contains(
                "COMMENT ON POLICY own_documents ON public.documents IS 'users see their own'"
            ),
        "{out}"
    );
    apply(&cluster, dir.path());
    assert_converged(&cluster, dir.path());

    // Restrictive, without WITH CHECK: DROP + CREATE, not destructive.
    let config = config.replace(
        OWN_ROWS,
        "  as    = \"restrictive\"\n  using = \"owner_id = current_setting('app.user_id')::integer\"",
    );
    write_files(dir.path(), &[("main.hcl", &config)]);
    let out = plan(&cluster, dir.path());
    let text = squash(&out.stdout);
    assert!(
        text.contains("# policy.docs.public.documents.own_documents must be replaced")
            && text.contains("permissive and restrictive")
            && text.contains("cannot remove a policy's WITH CHECK expression")
            && text.contains("DROP POLICY own_documents ON public.documents;")
            && text.contains("CREATE POLICY own_documents ON public.documents AS RESTRICTIVE FOR ALL TO app_owner, app_user USING"),
        "{text}"
    );
    apply(&cluster, dir.path());
    assert_converged(&cluster, dir.path());
    let row = cluster.psql_in(
        "docs",
        "SELECT polpermissive::text, (polwithcheck IS NULL)::text FROM pg_policy WHERE polname = 'own_documents'",
    );
    assert_eq!(row[0], vec![Some("false".into()), Some("true".into())]);
}

#[test]
fn spelling_variants_give_an_empty_plan() {
    let cluster = TestCluster::start();
    bootstrap(&cluster);
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", &secured("true", OWN_ROWS))]);
    apply(&cluster, dir.path());
    for (command_and_as, using) in [
        ("", "OWNER_ID=current_setting( 'app.user_id' )::int"),
        (
            "",
            "((owner_id) = (current_setting('app.user_id'::text)::integer))",
        ),
        (
            "",
            "owner_id  =  CAST(current_setting('app.user_id') AS integer)",
        ),
        (
            "  as = \"PERMISSIVE\"\n",
            "(owner_id = (current_setting('app.user_id'::text))::integer)",
        ),
    ] {
        let body = format!(
            "{command_and_as}  using      = \"{using}\"\n  with_check = \"owner_id = current_setting('app.user_id')::integer\""
        );
        let config = secured("true", &body).replace("command  = \"ALL\"", "command  = \"all\"");
        write_files(dir.path(), &[("main.hcl", &config)]);
        let out = plan(&cluster, dir.path());
        assert_eq!(out.code, Some(0), "{using}: {out:?}");
    }
}

#[test]
fn policies_filter_rows_and_check_new_ones_and_force_covers_the_owner() {
    let cluster = TestCluster::start();
    bootstrap(&cluster);
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", &secured("true", OWN_ROWS))]);
    apply(&cluster, dir.path());

    let rows = try_as(
        &cluster,
        "app_user",
        "app-user-pw",
        "SET app.user_id = '123'; SELECT string_agg(body, ',' ORDER BY body) FROM documents",
    )
    .unwrap();
    assert_eq!(rows[0][0].as_deref(), Some("a,b"));
    try_as(
        &cluster,
        "app_user",
        "app-user-pw",
        "SET app.user_id = '123'; INSERT INTO documents (owner_id, body) VALUES (123, 'mine')",
    )
    .unwrap();
    let refused = try_as(
        &cluster,
        "app_user",
        "app-user-pw",
        "SET app.user_id = '123'; INSERT INTO documents (owner_id, body) VALUES (456, 'theirs')",
    )
    .unwrap_err();
    assert!(
        refused.contains("violates row-level security policy"),
        "{refused}"
    );

    // Not forced: the owner sees every row.
    let as_owner =
        "SET ROLE app_owner; SET app.user_id = '123'; SELECT count(*)::text FROM documents";
    assert_eq!(
        cluster.psql_in("docs", as_owner)[0][0].as_deref(),
        Some("4")
    );
    write_files(dir.path(), &[("main.hcl", &secured("\"force\"", OWN_ROWS))]);
    let out = squash(&plan(&cluster, dir.path()).stdout);
    assert!(
        out.contains("row_level_security = true -> \"force\"")
            && out.contains("ALTER TABLE public.documents FORCE ROW LEVEL SECURITY"),
        "{out}"
    );
    let applied = apply(&cluster, dir.path());
    assert!(!applied.stdout.contains("its owner"), "{}", applied.stdout);
    // Forced: the owner is filtered too (no policy is for it: no rows).
    assert_eq!(
        cluster.psql_in("docs", as_owner)[0][0].as_deref(),
        Some("0")
    );
    assert_converged(&cluster, dir.path());
}

#[test]
fn bad_expressions_and_missing_tables_fail_the_plan_and_change_nothing() {
    let cluster = TestCluster::start();
    bootstrap(&cluster);
    let dir = workdir();
    let bad = secured("true", "  using = \"ownr_id = 1\"") + "role \"not_yet\" {}\n";
    write_files(dir.path(), &[("main.hcl", &bad)]);
    let out = cluster.pgfort_in(dir.path(), &["apply", "--auto-approve", "--no-color", "."]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("policy \"own_documents\" on docs.public.documents (declared at ")
            && out.stderr.contains("main.hcl:")
            && out
                .stderr
                .contains("invalid USING expression: column \"ownr_id\" does not exist"),
        "{}",
        out.stderr
    );
    assert_eq!(
        cluster.query_value("SELECT count(*)::text FROM pg_roles WHERE rolname = 'not_yet'"),
        Some("0".into())
    );
    assert_eq!(
        cluster.psql_in(
            "docs",
            "SELECT relrowsecurity::text FROM pg_class WHERE relname = 'documents'"
        )[0][0]
            .as_deref(),
        Some("false")
    );

    let bad_check = secured(
        "true",
        "  using = \"true\"\n  with_check = \"owner_id = 'x' +\"",
    );
    write_files(dir.path(), &[("main.hcl", &bad_check)]);
    let out = plan(&cluster, dir.path());
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("invalid WITH CHECK expression: syntax error"),
        "{}",
        out.stderr
    );

    let missing = secured("true", OWN_ROWS)
        .replace("table \"documents\"", "table \"missing\"")
        .replace("public.documents", "public.missing");
    write_files(dir.path(), &[("main.hcl", &missing)]);
    let out = plan(&cluster, dir.path());
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("table docs.public.missing (declared at ")
            && out.stderr.contains("main.hcl:")
            && out.stderr.contains("does not exist")
            && out.stderr.contains("does not create them"),
        "{}",
        out.stderr
    );
}

#[test]
fn disabled_rls_with_policies_is_a_warning() {
    let cluster = TestCluster::start();
    bootstrap(&cluster);
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", &secured("false", OWN_ROWS))]);
    let out = plan(&cluster, dir.path());
    assert!(
        out.stdout
            .contains("Warning: the policies on table docs.public.documents have no effect"),
        "{}",
        out.stdout
    );
}

#[test]
fn read_only_sessions_get_a_clear_error() {
    let cluster = TestCluster::start();
    bootstrap(&cluster);
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", &secured("true", OWN_ROWS))]);
    apply(&cluster, dir.path());
    cluster.exec("ALTER DATABASE docs SET default_transaction_read_only = on");
    let out = plan(&cluster, dir.path());
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("cannot check the policies of table docs.public.documents")
            && out.stderr.contains("writable session")
            && out.stderr.contains("25006"),
        "{}",
        out.stderr
    );
}

/// Holds `lock` on the documents table in an open transaction until the
/// returned sender is dropped.
fn hold_lock(
    cluster: &TestCluster,
    lock: &'static str,
) -> (mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let config = cluster.config("docs");
    let (locked_tx, locked_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let (client, connection) = config.connect(NoTls).await.expect("connect");
            tokio::spawn(connection);
            client.batch_execute("BEGIN").await.expect("begin");
            client.batch_execute(lock).await.expect("lock");
            let _ = locked_tx.send(());
            let _ = tokio::task::spawn_blocking(move || release_rx.recv()).await;
            let _ = client.batch_execute("ROLLBACK").await;
        });
    });
    locked_rx.recv().expect("the lock holder started");
    (release_tx, thread)
}

/// [`plan`], killed and failed if it takes longer than `limit` (a plan
/// waiting on a lock without a timeout would otherwise hang the test).
fn plan_within(cluster: &TestCluster, dir: &Path, limit: Duration) -> PgfortOutput {
    let mut child = cluster
        .command()
        .current_dir(dir)
        .args(["plan", "--detailed-exitcode", "--no-color", "."])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run pgfort");
    let started = Instant::now();
    while child.try_wait().expect("wait for pgfort").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pgfort plan was still waiting after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("pgfort output");
    PgfortOutput {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code(),
    }
}

/// Planning parses the expressions on temporary copies: with a writer's
/// ROW EXCLUSIVE lock held on the table (which CREATE POLICY on the table
/// itself would wait for, up to the lock timeout, then fail), the plan goes
/// through at once. An ACCESS EXCLUSIVE lock (a migration) is waited for
/// only briefly and named in the error.
#[test]
fn planning_takes_no_exclusive_lock_on_the_table() {
    let cluster = TestCluster::start();
    bootstrap(&cluster);
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", &secured("true", OWN_ROWS))]);
    apply(&cluster, dir.path());
    let changed = secured("true", "  using = \"owner_id = 7\"");
    write_files(dir.path(), &[("main.hcl", &changed)]);

    let (release, holder) = hold_lock(
        &cluster,
        "INSERT INTO documents (owner_id, body) VALUES (1, 'uncommitted')",
    );
    let started = Instant::now();
    let out = plan_within(&cluster, dir.path(), Duration::from_secs(30));
    let took = started.elapsed();
    drop(release);
    holder.join().expect("lock holder");
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(squash(&out.stdout).contains("~ using"), "{}", out.stdout);
    assert!(took < Duration::from_secs(3), "planning waited {took:?}");

    let (release, holder) = hold_lock(&cluster, "LOCK TABLE documents IN ACCESS EXCLUSIVE MODE");
    let out = plan_within(&cluster, dir.path(), Duration::from_secs(30));
    drop(release);
    holder.join().expect("lock holder");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains("policies") && out.stderr.contains("lock timeout"),
        "{}",
        out.stderr
    );
}
