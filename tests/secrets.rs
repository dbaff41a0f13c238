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
