//! Names and comments holding terminal escape sequences, against a real
//! cluster: `pgfort plan` shows them escaped and writes no control
//! character (no colour either, stdout not being a terminal), while the
//! server receives them unchanged.

mod common;

use std::process::Output;

use common::{TestCluster, workdir, write_files};

/// "Erase this line, move up": would hide the line above from a reviewer.
const SHOWN: &str = r"\x1b[2K\x1b[1A";

const CONFIG: &str = r#"
role "reviewer" {
  superuser = true
  comment   = "looks harmless\u001b[2K\u001b[1A\u202e"
}
"#;

/// pgfort as a user runs it: no --no-color and no NO_COLOR, so only the
/// stdout not being a terminal keeps colour off.
fn run(cluster: &TestCluster, dir: &std::path::Path, args: &[&str]) -> Output {
    cluster
        .command()
        .env_remove("NO_COLOR")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("could not run pgfort: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_no_control(output: &Output) {
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert!(!output.stdout.contains(&0x1b), "ESC on stdout:\n{stdout}");
    assert!(!output.stderr.contains(&0x1b), "ESC on stderr:\n{stderr}");
    assert!(
        !stdout.contains('\u{202e}'),
        "bidi override on stdout:\n{stdout}"
    );
}

#[test]
fn plan_shows_escape_sequences_escaped() {
    let cluster = TestCluster::start();
    // An undeclared role with a hostile name appears among the unmanaged.
    cluster.exec("CREATE ROLE \"lurker\u{1b}[2K\" NOLOGIN");
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", CONFIG)]);

    let plan = run(
        &cluster,
        dir.path(),
        &["plan", "--detailed-exitcode", "--show-sql", "."],
    );
    assert_eq!(plan.status.code(), Some(2), "{}", text(&plan.stderr));
    assert_no_control(&plan);
    let stdout = text(&plan.stdout);
    assert!(stdout.contains("superuser"), "{stdout}");
    assert!(
        stdout.contains(&format!("looks harmless{SHOWN}\\u{{202e}}")),
        "{stdout}"
    );
    assert!(stdout.contains(r"lurker\x1b[2K"), "{stdout}");
    // The SQL preview escapes the literal too.
    assert!(
        stdout.contains(&format!("IS 'looks harmless{SHOWN}")),
        "{stdout}"
    );

    // Display only: the server gets the comment as configured.
    let applied = run(&cluster, dir.path(), &["apply", "--auto-approve", "."]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stderr));
    assert_no_control(&applied);
    let comment = cluster.query_value(
        "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = 'reviewer'",
    );
    assert_eq!(
        comment.as_deref(),
        Some("looks harmless\u{1b}[2K\u{1b}[1A\u{202e}")
    );
    let again = run(&cluster, dir.path(), &["plan", "--detailed-exitcode", "."]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stdout));
    assert_no_control(&again);
}

#[test]
fn drift_and_errors_show_escape_sequences_escaped() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", CONFIG)]);
    let applied = run(&cluster, dir.path(), &["apply", "--auto-approve", "."]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stderr));
    cluster.exec(r"COMMENT ON ROLE reviewer IS E'changed\x1b[2K\x1b[1A'");

    for format in ["text", "markdown"] {
        let drift = run(&cluster, dir.path(), &["drift", "--format", format, "."]);
        assert_eq!(drift.status.code(), Some(2), "{}", text(&drift.stderr));
        assert_no_control(&drift);
        assert!(text(&drift.stdout).contains(&format!("changed{SHOWN}")));
    }

    // An error quoting a hostile name from the configuration.
    write_files(
        dir.path(),
        &[(
            "main.hcl",
            "role \"reviewer\" {\n  member_of = [\"ghost\\u001b[2K\"]\n}\n",
        )],
    );
    let failed = run(&cluster, dir.path(), &["plan", "."]);
    assert_ne!(failed.status.code(), Some(0), "{}", text(&failed.stdout));
    assert_no_control(&failed);
    assert!(
        text(&failed.stderr).contains(r"ghost\x1b[2K"),
        "{}",
        text(&failed.stderr)
    );
}
