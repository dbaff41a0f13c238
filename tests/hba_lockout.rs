//! The lockout guard on every plan, on real clusters: pgfort's own role
//! losing the membership its `+group` rule needs, its password expiring,
//! a database its rule does not admit it to, and the rollback marker an
//! interrupted pg_hba.conf rewrite leaves behind.

mod common;

use common::hba::{hba_bytes, hba_path};
use common::{PgfortOutput, TestCluster, workdir, write_files};

const PASSWORD: &str = "pgfort-own-pw";

/// pgfort's own role `pgfort_admin`, admitted over TCP only through
/// `+admins`; the bootstrap superuser keeps a rule of its own.
fn cluster_with_group_rule() -> TestCluster {
    let cluster = TestCluster::start();
    cluster.exec(&format!(
        "CREATE ROLE admins; CREATE ROLE pgfort_admin LOGIN SUPERUSER PASSWORD '{PASSWORD}'; GRANT admins TO pgfort_admin"
    ));
    let text = "\
local all all scram-sha-256
host all postgres 127.0.0.1/32 scram-sha-256
host all +admins 127.0.0.1/32 scram-sha-256
host all all all reject
";
    std::fs::write(hba_path(&cluster), text).unwrap();
    cluster.exec("SELECT pg_reload_conf()");
    cluster
}

fn run_as_admin(cluster: &TestCluster, dir: &std::path::Path, command: &str) -> PgfortOutput {
    let output = cluster
        .command()
        .current_dir(dir)
        .env("PGUSER", "pgfort_admin")
        .env("PGPASSWORD", PASSWORD)
        .args([command, "--no-color", "--auto-approve", "."])
        .output()
        .unwrap();
    PgfortOutput {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code(),
    }
}

#[test]
fn dropping_the_membership_pgforts_group_rule_needs_is_refused() {
    let cluster = cluster_with_group_rule();
    let dir = workdir();
    write_files(
        dir.path(),
        &[(
            "main.hcl",
            "role \"pgfort_admin\" {\n  login = true\n  superuser = true\n  keep_password = true\n}\nrole \"admins\" {}\n",
        )],
    );
    let out = run_as_admin(&cluster, dir.path(), "apply");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("would lock out"), "{}", out.stderr);
    assert!(out.stderr.contains("main.hcl:1"), "{}", out.stderr);
    let still = cluster.query_value(
        "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = 'pgfort_admin'",
    );
    assert_eq!(still.as_deref(), Some("1"), "nothing was changed");
    // Keeping the membership is fine.
    write_files(
        dir.path(),
        &[(
            "main.hcl",
            "role \"pgfort_admin\" {\n  login = true\n  superuser = true\n  keep_password = true\n  member_of = [\"admins\"]\n}\nrole \"admins\" {}\n",
        )],
    );
    let out = run_as_admin(&cluster, dir.path(), "apply");
    assert_eq!(out.code, Some(0), "{out:?}");
}

#[test]
fn an_expired_password_for_pgforts_own_role_is_refused() {
    let cluster = cluster_with_group_rule();
    let dir = workdir();
    write_files(
        dir.path(),
        &[(
            "main.hcl",
            "role \"pgfort_admin\" {\n  login = true\n  superuser = true\n  keep_password = true\n  member_of = [\"admins\"]\n  valid_until = \"2001-01-01T00:00:00Z\"\n}\nrole \"admins\" {}\n",
        )],
    );
    let out = run_as_admin(&cluster, dir.path(), "apply");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("will have expired"), "{}", out.stderr);
    let until = cluster
        .query_value("SELECT rolvaliduntil IS NULL FROM pg_roles WHERE rolname = 'pgfort_admin'");
    assert_eq!(until.as_deref(), Some("t"), "nothing was changed");
}

#[test]
fn a_database_pgforts_rule_does_not_admit_it_to_is_refused() {
    let cluster = TestCluster::start();
    let text = "\
local all all scram-sha-256
host postgres all 127.0.0.1/32 scram-sha-256
host all all all reject
";
    std::fs::write(hba_path(&cluster), text).unwrap();
    cluster.exec("SELECT pg_reload_conf()");
    let dir = workdir();
    write_files(
        dir.path(),
        &[(
            "main.hcl",
            "database \"lk_db\" {}\nschema \"app\" {\n  database = \"lk_db\"\n}\n",
        )],
    );
    let out = cluster.plan_in(dir.path());
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains("would lock out") && out.stderr.contains("database lk_db"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("main.hcl:1"), "{}", out.stderr);
    let out = cluster.apply_in(dir.path());
    assert_eq!(out.code, Some(1), "{out:?}");
    let exists = cluster.query_value("SELECT count(*) FROM pg_database WHERE datname = 'lk_db'");
    assert_eq!(exists.as_deref(), Some("0"), "nothing was changed");
}

/// A pgfort killed right after the new pg_hba.conf went live: a lockout
/// file, its marker and the backup of the previous file.
fn simulate_interrupted_rewrite(cluster: &TestCluster) -> (Vec<u8>, String) {
    let file = hba_path(cluster);
    let previous = String::from_utf8(hba_bytes(cluster)).unwrap();
    let backup = format!("{}.pgfort-backup", file.display());
    std::fs::write(&backup, &previous).unwrap();
    let lockout = "host all all all reject\n";
    let marker = pgfort::apply::hba_marker::Marker::new(&backup, &previous, lockout);
    let marker_file = pgfort::apply::hba_marker::marker_path(&file.display().to_string());
    std::fs::write(&marker_file, marker.text()).unwrap();
    std::fs::write(&file, lockout).unwrap();
    cluster.exec("SELECT pg_reload_conf()");
    (previous.into_bytes(), marker_file)
}

/// `--pgdata` alone (no `--restart-if-needed`): the files of a server on
/// this machine are pgfort's to read and write directly.
#[test]
fn the_next_local_apply_restores_an_interrupted_rewrite_first() {
    let cluster = TestCluster::start();
    let (previous, marker_file) = simulate_interrupted_rewrite(&cluster);
    // The lockout is live: nobody gets in over TCP.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while cluster.try_exec("SELECT 1").is_ok() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(cluster.try_exec("SELECT 1").is_err(), "the lockout is live");
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", "role \"lk_app\" {}\n")]);
    let data_dir = cluster.sandbox().data_dir();
    let out = cluster.pgfort_in(
        dir.path(),
        &[
            "apply".as_ref(),
            "--auto-approve".as_ref(),
            "--no-color".as_ref(),
            "--pgdata".as_ref(),
            data_dir.as_os_str(),
            ".".as_ref(),
        ],
    );
    assert!(out.success(), "{out:?}");
    assert!(
        out.stderr.contains("was restored from its backup"),
        "{}",
        out.stderr
    );
    assert_eq!(hba_bytes(&cluster), previous);
    assert!(!std::path::Path::new(&marker_file).exists());
    assert_eq!(
        cluster
            .query_value("SELECT count(*) FROM pg_roles WHERE rolname = 'lk_app'")
            .as_deref(),
        Some("1")
    );
}

/// pgfort writes the marker over SQL as the server's user: so must the
/// test, for the server to clear it.
fn give_to_server(cluster: &TestCluster, path: &str) {
    use std::os::unix::fs::MetadataExt as _;
    let meta = std::fs::metadata(cluster.sandbox().data_dir()).unwrap();
    std::os::unix::fs::chown(path, Some(meta.uid()), Some(meta.gid())).unwrap();
}

#[test]
fn a_remote_apply_restores_an_interrupted_rewrite_over_sql_or_refuses() {
    let cluster = TestCluster::start();
    let file = hba_path(&cluster);
    let previous = String::from_utf8(hba_bytes(&cluster)).unwrap();
    let backup = format!("{}.pgfort-backup", file.display());
    std::fs::write(&backup, &previous).unwrap();
    // The new file still admits pgfort (the crash happened before the
    // fresh login), but it is not what the configuration wants.
    let new = format!("{previous}host all nobody 10.9.9.9/32 reject\n");
    let marker = pgfort::apply::hba_marker::Marker::new(&backup, &previous, &new);
    let marker_file = pgfort::apply::hba_marker::marker_path(&file.display().to_string());
    std::fs::write(&marker_file, marker.text()).unwrap();
    give_to_server(&cluster, &marker_file);
    std::fs::write(&file, &new).unwrap();
    cluster.exec("SELECT pg_reload_conf()");
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", "role \"lk_app\" {}\n")]);
    let out = cluster.apply_in(dir.path());
    assert!(out.success(), "{out:?}");
    assert!(
        out.stderr.contains("was restored from its backup"),
        "{}",
        out.stderr
    );
    assert_eq!(String::from_utf8(hba_bytes(&cluster)).unwrap(), previous);
    let cleared = std::fs::read_to_string(&marker_file).unwrap_or_default();
    assert!(cleared.trim().is_empty(), "{cleared}");

    // A file edited by hand since is never overwritten: refused, with how.
    std::fs::write(&marker_file, marker.text()).unwrap();
    let edited = format!("{previous}# edited\n");
    std::fs::write(&file, &edited).unwrap();
    let out = cluster.apply_in(dir.path());
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("was interrupted"), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("cp {backup}")),
        "{}",
        out.stderr
    );
    assert_eq!(String::from_utf8(hba_bytes(&cluster)).unwrap(), edited);
}

#[test]
fn a_successful_rewrite_leaves_no_marker() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(
        dir.path(),
        &[("main.hcl", &common::hba::config(common::hba::APP_RULES))],
    );
    let out = cluster.apply_in(dir.path());
    assert!(out.success(), "{out:?}");
    let marker = format!("{}.pgfort-pending", hba_path(&cluster).display());
    let left = std::fs::read_to_string(&marker).unwrap_or_default();
    assert!(left.trim().is_empty(), "{left}");
    let again = cluster.apply_in(dir.path());
    assert!(again.success(), "{again:?}");
}
