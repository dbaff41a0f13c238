//! pg_hba.conf on the server's host and at the edges: direct writes that
//! keep the file's mode, a role that may not read the file, a file the
//! server judges differently from pgfort (put back after the reload), every
//! kind of rule planning empty after apply, and examples/network-lockdown.

mod common;

use std::path::Path;

use common::hba::{APP_RULES, config, eventually_login, hba_bytes, hba_path};
use common::{PgfortOutput, TestCluster, workdir, write_files};

#[test]
fn the_network_lockdown_example_applies_and_plans_empty() {
    let cluster = TestCluster::start();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/network-lockdown");
    let applied = cluster.apply_in(&example);
    assert!(applied.success(), "{applied:?}");
    let empty = cluster.plan_in(&example);
    assert_eq!(empty.code, Some(0), "{empty:?}");
}

#[test]
fn on_the_servers_host_the_file_is_written_directly_and_keeps_its_mode() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let cluster = TestCluster::start();
    let path = hba_path(&cluster);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let owner = std::fs::metadata(&path).unwrap().uid();
    // A wider copy left behind, owned by whoever runs pgfort (root in CI).
    let backup_path = format!("{}.pgfort-backup", path.display());
    std::fs::write(&backup_path, "stale\n").unwrap();
    std::fs::set_permissions(&backup_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let data_owner = std::fs::metadata(cluster.sandbox().data_dir())
        .unwrap()
        .uid();
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", &config(APP_RULES))]);
    let sandbox_dir = cluster.dir().display().to_string();
    let applied = cluster.pgfort_in(
        dir.path(),
        &[
            "apply",
            "--auto-approve",
            "--no-color",
            "--sandbox",
            "--sandbox-dir",
            &sandbox_dir,
            ".",
        ],
    );
    assert!(applied.success(), "{applied:?}");
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o600);
    assert_eq!(meta.uid(), owner, "the file keeps its owner");
    let backup = std::fs::metadata(&backup_path).unwrap();
    assert_eq!(backup.mode() & 0o777, 0o600, "the backup is private");
    assert_eq!(backup.uid(), data_owner, "the backup is the server's");
    let empty = cluster.plan_in(dir.path());
    assert_eq!(empty.code, Some(0), "{empty:?}");
}

#[test]
fn without_the_right_to_read_the_file_hba_is_left_unmanaged() {
    let cluster = TestCluster::start();
    cluster.exec("CREATE ROLE deployer LOGIN CREATEROLE PASSWORD 'deployer-pw'");
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", &config(APP_RULES))]);
    let before = hba_bytes(&cluster);
    let out = run_as(&cluster, dir.path(), "deployer", "deployer-pw");
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.contains("pg_hba.conf is left unmanaged"),
        "{}",
        out.stdout
    );
    assert_eq!(hba_bytes(&cluster), before);
}

fn run_as(cluster: &TestCluster, dir: &Path, user: &str, password: &str) -> PgfortOutput {
    let output = cluster
        .command()
        .current_dir(dir)
        .env("PGUSER", user)
        .env("PGPASSWORD", password)
        .args(["plan", "--detailed-exitcode", "--no-color", "."])
        .output()
        .unwrap();
    PgfortOutput {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code(),
    }
}

#[test]
fn a_file_the_server_judges_differently_is_put_back_after_the_reload() {
    let cluster = TestCluster::start();
    let before = hba_bytes(&cluster);
    let dir = workdir();
    // samenet cannot be evaluated offline; on the server it covers
    // 127.0.0.1 (the loopback network) and rejects pgfort's new session.
    let text = r#"
hba {
  rule {
    type    = "host"
    user    = "postgres"
    address = "samenet"
    method  = "reject"
  }
  rule {
    type    = "host"
    user    = "postgres"
    address = "127.0.0.1/32"
    method  = "scram-sha-256"
  }
}
"#;
    write_files(dir.path(), &[("main.hcl", text)]);
    let planned = cluster.plan_in(dir.path());
    assert!(
        planned.stdout.contains("cannot be evaluated offline"),
        "{}",
        planned.stdout
    );
    let applied = cluster.apply_in(dir.path());
    assert!(!applied.success(), "{applied:?}");
    assert!(
        applied.stderr.contains("a new connection was refused"),
        "{}",
        applied.stderr
    );
    assert!(
        applied
            .stderr
            .contains("the previous one was put back and reloaded"),
        "{}",
        applied.stderr
    );
    assert_eq!(hba_bytes(&cluster), before);
    // The old rules are live again.
    eventually_login(&cluster, "postgres", cluster.password(), true);
}

#[test]
fn every_kind_of_rule_plans_empty_after_apply() {
    let cluster = TestCluster::start();
    cluster.exec("CREATE ROLE staff");
    let rules = r#"
  rule {
    type = "host"
    database = ["sameuser", "replication"]
    user = ["+staff", "bob"]
    address = "::1"
    method = "md5"
  }
  rule {
    type = "hostnossl"
    address = "samehost"
    method = "ident"
    options = { map = "m1" }
  }
  rule {
    type = "host"
    address = "db.example.com"
    method = "password"
  }
  rule {
    type = "local"
    user = "My User"
    method = "scram-sha-256"
  }
"#;
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", &config(rules))]);
    let applied = cluster.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}");
    let text = String::from_utf8(hba_bytes(&cluster)).unwrap();
    assert!(
        text.contains("local all \"My User\" scram-sha-256\n"),
        "{text}"
    );
    let empty = cluster.plan_in(dir.path());
    assert_eq!(empty.code, Some(0), "{empty:?}");
}
