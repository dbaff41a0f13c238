//! Every README works as written. The ```sh blocks of each example's
//! README run in one bash script, from a copy of the repository's
//! `examples/` and `modules/`, with pgfort and psql on PATH and the libpq
//! variables naming a test cluster of its own (the examples that run
//! against "a server you may change"); the sandboxes the examples create
//! live in that copy and are stopped at the end. The ```hcl snippet of each
//! module's README is applied, from a directory beside `modules/`, to a
//! cluster of its own, and must then plan empty.
//!
//! The scripts test the documentation, not the server version: they run
//! against the default PostgreSQL only, and say so when another major is
//! selected (`PGFORT_TEST_PG_BIN`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{TestCluster, workdir};

/// Passwords the snippets' sensitive variables get.
const SNIPPET_PASSWORD: &str = "Readme-Snippet-Pass-2026!";

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether another PostgreSQL major than the default is under test.
fn other_major(test: &str) -> bool {
    let other = std::env::var_os("PGFORT_TEST_PG_BIN").is_some();
    if other {
        eprintln!(
            "{test}: README scripts run against the default PostgreSQL only (PGFORT_TEST_PG_BIN is set)"
        );
    }
    other
}

/// The bodies of the ```lang fenced blocks of `markdown`, in order.
fn fenced_blocks(markdown: &str, lang: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match current.as_mut() {
            None if line.trim_end() == format!("```{lang}") => current = Some(String::new()),
            Some(block) if line.trim_end() == "```" => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

/// Copies `from` into `to`, leaving out what running the examples writes
/// (sandboxes, generated keys and certificates).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if matches!(name.to_str(), Some(".pgfort" | "pki" | "certs")) {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}

/// A copy of `examples/` and `modules/`, as a repository root.
fn workspace() -> tempfile::TempDir {
    let root = workdir();
    for dir in ["examples", "modules"] {
        copy_tree(&repository().join(dir), &root.path().join(dir));
    }
    root
}

/// A command run like a user at a shell: pgfort and the server's
/// programs first on PATH, the libpq variables naming `cluster` (without
/// the harness's sslmode: a user's default is prefer).
fn user_command(cluster: &TestCluster, program: &str, root: &Path) -> Command {
    let pgfort = PathBuf::from(env!("CARGO_BIN_EXE_pgfort"));
    let mut path = vec![
        pgfort.parent().unwrap().to_path_buf(),
        cluster.sandbox().pg_bin().to_path_buf(),
    ];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let mut command = Command::new(program);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PG") {
            command.env_remove(name);
        }
    }
    command
        .current_dir(root)
        .env("PATH", std::env::join_paths(path).unwrap())
        .env("HOME", root)
        .env("NO_COLOR", "1")
        .env("PGFORT_PG_BIN", cluster.sandbox().pg_bin())
        .envs(
            cluster
                .env_vars()
                .into_iter()
                .filter(|(name, _)| *name != "PGSSLMODE"),
        )
        .stdin(Stdio::null());
    command
}

fn report(what: &str, script: &str, output: &Output) -> String {
    format!(
        "{what}\n--- script:\n{script}\n--- stdout:\n{}\n--- stderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Stops every sandbox the script left under `.pgfort/`.
fn stop_sandboxes(cluster: &TestCluster, root: &Path) {
    let Ok(entries) = std::fs::read_dir(root.join(".pgfort")) else {
        return;
    };
    for entry in entries.flatten() {
        let _ = user_command(cluster, env!("CARGO_BIN_EXE_pgfort"), root)
            .args(["sandbox", "down", "--dir"])
            .arg(entry.path())
            .output();
    }
}

/// Stops every PgBouncer a failed script left running, by the pidfile in
/// its directory under `.pgfort/`.
fn stop_pgbouncers(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root.join(".pgfort")) else {
        return;
    };
    for entry in entries.flatten() {
        let pid = std::fs::read_to_string(entry.path().join("pgbouncer.pid"))
            .ok()
            .and_then(|text| text.trim().parse::<i32>().ok());
        if let Some(pid) = pid.filter(|pid| *pid > 0) {
            // SAFETY: kill has no memory preconditions; the pid is the one
            // the script's PgBouncer wrote.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
    }
}

/// Runs the ```sh blocks of `examples/NAME/README.md` as one script.
fn run_example(name: &str) {
    if other_major(name) {
        return;
    }
    let readme = repository().join("examples").join(name).join("README.md");
    let text = std::fs::read_to_string(&readme).unwrap();
    let script = fenced_blocks(&text, "sh").join("\n");
    assert!(
        !script.is_empty(),
        "{} has no ```sh block",
        readme.display()
    );
    let cluster = TestCluster::start();
    let root = workspace();
    let output = user_command(&cluster, "bash", root.path())
        .arg("-c")
        .arg(format!("set -euo pipefail\n{script}"))
        .output()
        .unwrap();
    stop_sandboxes(&cluster, root.path());
    stop_pgbouncers(root.path());
    assert!(
        output.status.success(),
        "{}",
        report(
            &format!("{} failed as written", readme.display()),
            &script,
            &output
        )
    );
}

/// Applies the ```hcl snippet of `modules/NAME/README.md` from a
/// directory beside `modules/`, then plans: nothing may be left. The
/// `databases` the README says must exist are created first.
fn run_module_snippet(name: &str, databases: &[&str]) {
    if other_major(name) {
        return;
    }
    let readme = repository().join("modules").join(name).join("README.md");
    let text = std::fs::read_to_string(&readme).unwrap();
    let snippets = fenced_blocks(&text, "hcl");
    assert_eq!(snippets.len(), 1, "{}", readme.display());
    let cluster = TestCluster::start();
    for database in databases {
        cluster.exec(&format!("CREATE DATABASE {database}"));
    }
    let root = workspace();
    let dir = root.path().join("config");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("main.hcl"), &snippets[0]).unwrap();
    let pgfort = |args: &[&str]| {
        user_command(&cluster, env!("CARGO_BIN_EXE_pgfort"), root.path())
            .env("PGFORT_VAR_app_password", SNIPPET_PASSWORD)
            .env("PGFORT_VAR_monitoring_password", SNIPPET_PASSWORD)
            .args(args)
            .output()
            .unwrap()
    };
    let applied = pgfort(&["apply", "--auto-approve", "config"]);
    assert!(
        applied.status.success(),
        "{}",
        report(
            &format!("the snippet of {} does not apply", readme.display()),
            &snippets[0],
            &applied
        )
    );
    let again = pgfort(&["plan", "--detailed-exitcode", "config"]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        report("not converged", &snippets[0], &again)
    );
}

#[test]
fn fenced_blocks_are_read_by_language() {
    let text = "intro\n```sh\na\nb\n```\n\n```hcl\nx\n```\n```sh\nc\n```\n";
    assert_eq!(fenced_blocks(text, "sh"), ["a\nb\n", "c\n"]);
    assert_eq!(fenced_blocks(text, "hcl"), ["x\n"]);
}

#[test]
fn every_example_and_module_has_a_readme_tested_here() {
    let tested = [
        "examples/fleet",
        "examples/hardened-server",
        "examples/modules",
        "examples/network-lockdown",
        "examples/pgbouncer",
        "examples/production",
        "examples/quickstart",
        "examples/rls-documents",
        "examples/ssl-everywhere",
        "examples/tuned-server",
        "modules/app-user",
        "modules/hardened-baseline",
        "modules/monitoring",
        "modules/readonly-role",
        "modules/readwrite-role",
    ];
    for parent in ["examples", "modules"] {
        for entry in std::fs::read_dir(repository().join(parent)).unwrap() {
            let path = entry.unwrap().path();
            if !path.is_dir() || path.file_name().is_some_and(|n| n == "bench") {
                continue;
            }
            let name = format!("{parent}/{}", path.file_name().unwrap().to_string_lossy());
            assert!(path.join("README.md").is_file(), "{name} has no README.md");
            assert!(
                tested.contains(&name.as_str()),
                "{name}'s README is not run by tests/readmes.rs"
            );
        }
    }
}

#[test]
fn example_fleet() {
    run_example("fleet");
}

#[test]
fn example_hardened_server() {
    run_example("hardened-server");
}

#[test]
fn example_modules() {
    run_example("modules");
}

#[test]
fn example_network_lockdown() {
    run_example("network-lockdown");
}

#[test]
fn example_pgbouncer() {
    if common::pgbouncer::skip_unless_installed() {
        return;
    }
    run_example("pgbouncer");
}

#[test]
fn example_production() {
    run_example("production");
}

#[test]
fn example_quickstart() {
    run_example("quickstart");
}

#[test]
fn example_rls_documents() {
    run_example("rls-documents");
}

#[test]
fn example_ssl_everywhere() {
    run_example("ssl-everywhere");
}

#[test]
fn example_tuned_server() {
    run_example("tuned-server");
}

#[test]
fn module_app_user() {
    run_module_snippet("app-user", &[]);
}

#[test]
fn module_hardened_baseline() {
    // Its README asks for an existing database.
    run_module_snippet("hardened-baseline", &["myapp"]);
}

#[test]
fn module_monitoring() {
    run_module_snippet("monitoring", &[]);
}

#[test]
fn module_readonly_role() {
    run_module_snippet("readonly-role", &[]);
}

#[test]
fn module_readwrite_role() {
    run_module_snippet("readwrite-role", &[]);
}

/// The README's table of audit controls is `pgfort audit --list-controls`,
/// so no control is missing from it and none is described differently.
#[test]
fn readme_lists_every_audit_control() {
    let readme = std::fs::read_to_string(repository().join("README.md")).expect("README.md");
    let start = "<!-- audit-controls:start -->\n";
    let end = "<!-- audit-controls:end -->";
    let table = readme
        .split_once(start)
        .and_then(|(_, rest)| rest.split_once(end))
        .map(|(table, _)| table)
        .expect("the README's audit-controls markers");
    let output = Command::new(env!("CARGO_BIN_EXE_pgfort"))
        .args(["audit", "--list-controls"])
        .output()
        .expect("pgfort audit --list-controls");
    assert!(output.status.success(), "{output:?}");
    let listed = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        table.trim(),
        listed.trim(),
        "README.md's control table is stale: replace it with `pgfort audit --list-controls`"
    );
}
