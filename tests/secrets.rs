//! Secrets never reach stderr, whatever the log level: the database
//! driver prints statement texts at debug and trace, and a statement may
//! hold a password verifier.

mod common;

use common::{TestCluster, workdir, write_files};

#[test]
fn trace_logs_hold_no_password_nor_verifier() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(
        dir.path(),
        &[(
            "main.hcl",
            r#"
role "logged_user" {
  login    = true
  password = "Tr4ce-Secret-pw"
}
"#,
        )],
    );
    for level in [
        "debug",
        "trace",
        "tokio_postgres=trace,postgres_protocol=trace",
    ] {
        cluster.exec("DROP ROLE IF EXISTS logged_user");
        let output = cluster
            .command()
            .current_dir(dir.path())
            .env("RUST_LOG", level)
            .args(["apply", "--auto-approve", "--no-color", "."])
            .output()
            .expect("run pgfort");
        assert!(output.status.success(), "{output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        for text in [&stderr, &stdout] {
            assert!(
                !text.contains("Tr4ce-Secret-pw"),
                "RUST_LOG={level}: {text}"
            );
            assert!(!text.contains("SCRAM-SHA-256$"), "RUST_LOG={level}: {text}");
        }
        assert_eq!(
            cluster.query_value(
                "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'logged_user'"
            ),
            Some("t".to_owned())
        );
    }
}

#[test]
fn password_prompt_without_a_terminal_says_so_plainly() {
    use std::os::unix::process::CommandExt as _;
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", "role \"r\" {}\n")]);
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_pgfort"));
    command
        .current_dir(dir.path())
        .args([
            "plan",
            "--password-prompt",
            "--database-url",
            "host=127.0.0.1 port=1",
            ".",
        ])
        .stdin(std::process::Stdio::null());
    // A session of its own: no controlling terminal, as in CI.
    // SAFETY: setsid is async-signal-safe and touches no parent state.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let out = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--password-prompt needs a terminal to ask for the password of user"),
        "{stderr}"
    );
    assert!(stderr.contains("PGPASSWORD"), "{stderr}");
}
