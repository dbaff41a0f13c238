//! Variables files read without asking: pgfort.pgfortvars, then
//! *.auto.pgfortvars in name order, below -var and -var-file (which count
//! in command-line order) and above PGFORT_VAR_*.

mod common;

use common::{TestCluster, workdir, write_files};

const CONFIG: &str = r#"
variable "limit" {
  type = number
}

role "vf_app" {
  connection_limit = var.limit
}
"#;

fn connection_limit(cluster: &TestCluster) -> Option<String> {
    cluster.query_value("SELECT rolconnlimit::text FROM pg_roles WHERE rolname = 'vf_app'")
}

#[test]
fn automatic_variables_files_are_picked_up() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(
        dir.path(),
        &[
            ("main.hcl", CONFIG),
            ("pgfort.pgfortvars", "limit = 3\n"),
            ("prod.auto.pgfortvars", "limit = 7\nunused = true\n"),
            ("override.vars", "limit = 11\n"),
        ],
    );

    let out = cluster
        .command()
        .current_dir(dir.path())
        .env("PGFORT_VAR_limit", "5")
        .args(["apply", "--auto-approve", "--no-color", "."])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(connection_limit(&cluster).as_deref(), Some("7"));
    // Paths are as the directory was given (`.`).
    assert!(
        stderr.contains(
            "warning: ./prod.auto.pgfortvars:2:1: no variable \"unused\" is declared; the value \
             is ignored"
        ),
        "{stderr}"
    );

    // -var and -var-file beat the files; between them the later wins.
    let plan = |args: &[&str]| {
        let mut all = vec!["plan", "--no-color"];
        all.extend_from_slice(args);
        all.push(".");
        cluster.pgfort_in(dir.path(), &all)
    };
    let out = plan(&["-var", "limit=9"]);
    assert!(out.stdout.contains("connection_limit = 7 -> 9"), "{out:?}");
    let out = plan(&["-var", "limit=9", "-var-file", "override.vars"]);
    assert!(out.stdout.contains("connection_limit = 7 -> 11"), "{out:?}");
    let out = plan(&["-var-file=override.vars", "-var", "limit=9"]);
    assert!(out.stdout.contains("connection_limit = 7 -> 9"), "{out:?}");

    // Without the automatic files, the environment gives the value.
    std::fs::remove_file(dir.path().join("prod.auto.pgfortvars")).unwrap();
    std::fs::remove_file(dir.path().join("pgfort.pgfortvars")).unwrap();
    let out = cluster
        .command()
        .current_dir(dir.path())
        .env("PGFORT_VAR_limit", "5")
        .args(["plan", "--no-color", "."])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("connection_limit = 7 -> 5"), "{stdout}");
}
