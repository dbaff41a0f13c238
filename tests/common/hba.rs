//! pg_hba helpers shared by the pg_hba test files: the file on disk, rule
//! sets, logins retried across a reload, and TLS for hostssl rules.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::TestCluster;

pub fn hba_path(cluster: &TestCluster) -> PathBuf {
    PathBuf::from(cluster.query_value("SHOW hba_file").expect("hba_file"))
}

pub fn hba_bytes(cluster: &TestCluster) -> Vec<u8> {
    std::fs::read(hba_path(cluster)).expect("pg_hba.conf")
}

/// pgfort's own rule (TCP from 127.0.0.1 as the superuser) first.
pub const OWN_RULE: &str = r#"
  rule {
    type    = "host"
    user    = "postgres"
    address = "127.0.0.1/32"
    method  = "scram-sha-256"
    comment = "pgfort itself"
  }
"#;

pub fn config(rules: &str) -> String {
    format!("hba {{\n{OWN_RULE}\n{rules}\n}}\n")
}

/// The seed's rules: TLS from anywhere, the app subnet, nothing else.
pub const SEED_RULES: &str = r#"
  rule {
    type    = "hostssl"
    address = "0.0.0.0/0"
    method  = "scram-sha-256"
  }
  rule {
    type     = "host"
    database = ["app"]
    user     = "app"
    address  = "10.20.0.0"
    netmask  = "255.255.0.0"
    method   = "scram-sha-256"
  }
  rule {
    type    = "host"
    address = "all"
    method  = "reject"
  }
"#;

/// Whether `user` can log in over TCP, retried briefly (a reload reaches
/// the postmaster asynchronously).
pub fn eventually_login(cluster: &TestCluster, user: &str, password: &str, expected: bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let result = std::panic::catch_unwind(|| {
            cluster.psql_as("postgres", user, password, "SELECT 1");
        });
        if result.is_ok() == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{user} login: expected {}",
            if expected { "admitted" } else { "rejected" }
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The app subnet, and nothing else (no TLS needed).
pub const APP_RULES: &str = r#"
  rule {
    type     = "host"
    database = ["app"]
    user     = "app"
    address  = "10.20.0.0"
    netmask  = "255.255.0.0"
    method   = "scram-sha-256"
  }
  rule {
    type    = "host"
    address = "all"
    method  = "reject"
  }
"#;

/// Turns TLS on with a self-signed certificate owned by the server's user.
pub fn enable_ssl(cluster: &TestCluster) {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let data = cluster.sandbox().data_dir();
    let owner = std::fs::metadata(&data).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    for (name, text) in [
        ("server.crt", cert.pem()),
        ("server.key", key.serialize_pem()),
    ] {
        let path = data.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::chown(&path, Some(owner.uid()), Some(owner.gid())).unwrap();
    }
    cluster.exec("ALTER SYSTEM SET ssl = on");
    cluster.exec("SELECT pg_reload_conf()");
    let deadline = Instant::now() + Duration::from_secs(5);
    while cluster.query_value("SHOW ssl").as_deref() != Some("on") {
        assert!(Instant::now() < deadline, "ssl did not turn on");
        std::thread::sleep(Duration::from_millis(50));
    }
}
