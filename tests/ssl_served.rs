//! The certificate the server serves, not only the one on disk: a new
//! certificate written by hand and not loaded is a pending reload, on a
//! cluster of its own.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use common::{TestCluster, workdir, write_files};
use pgfort::connect::{self, ConnectionSettings, Served};
use pgfort::model::{KeyType, Lifetime, Secret};

const CONFIG: &str = r#"
certificate_authority "main" {
  cert_file   = "certs/ca.crt"
  key_file    = "certs/ca.key"
  common_name = "test CA"
}

server_certificate {
  ca           = "main"
  dns_names    = ["localhost"]
  ip_addresses = ["127.0.0.1"]
}
"#;

/// The DER of the certificate the server presents over TCP.
fn served(cluster: &TestCluster) -> Vec<u8> {
    let text = format!(
        "host=127.0.0.1 port={} user=postgres dbname=postgres",
        cluster.port()
    );
    let settings = ConnectionSettings::resolve(Some(&text), &|_| None, &Default::default())
        .expect("connection settings");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    match runtime.block_on(connect::served_certificate(&settings)) {
        Ok(Served::Certificate(der)) => der,
        other => panic!("no certificate served: {other:?}"),
    }
}

fn der(pem: &str) -> Vec<u8> {
    pgfort::tls::pem_to_der(pem).expect("PEM").remove(0)
}

/// Writes a server file as the server's user would, without any reload.
fn write_server_file(data_dir: &Path, name: &str, text: &str, mode: u32) {
    let path = data_dir.join(name);
    std::fs::write(&path, text).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    let owner = std::fs::metadata(data_dir).expect("data directory");
    std::os::unix::fs::chown(&path, Some(owner.uid()), Some(owner.gid())).expect("chown");
}

#[test]
fn a_certificate_written_but_not_loaded_is_a_pending_reload() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", CONFIG)]);
    let applied = cluster.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}");
    let empty = cluster.plan_in(dir.path());
    assert_eq!(empty.code, Some(0), "{empty:?}");
    let data_dir = cluster.sandbox().data_dir().to_path_buf();
    let first = std::fs::read_to_string(data_dir.join("server.crt")).expect("server.crt");
    assert_eq!(served(&cluster), der(&first));

    // Another valid certificate from the same authority, put in place by
    // hand; the server is not told.
    let certs = dir.path().join("certs");
    let ca_cert = std::fs::read_to_string(certs.join("ca.crt")).expect("ca.crt");
    let ca_key = Secret::new(std::fs::read_to_string(certs.join("ca.key")).expect("ca.key"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let issued = pgfort::tls::issue_server(
        "localhost",
        &["localhost".to_owned()],
        &["127.0.0.1".parse().expect("address")],
        KeyType::EcdsaP256,
        Lifetime::days(365),
        &ca_cert,
        &ca_key,
        now,
    )
    .expect("issue");
    write_server_file(&data_dir, "server.key", issued.key_pem.expose(), 0o600);
    write_server_file(&data_dir, "server.crt", &issued.cert_pem, 0o644);
    assert_eq!(served(&cluster), der(&first), "nothing reloaded yet");

    let pending = cluster.plan_in(dir.path());
    assert_eq!(pending.code, Some(2), "{pending:?}");
    assert!(
        pending.stdout.contains("~ server_certificate")
            && pending
                .stdout
                .contains("the server still serves the previous certificate: reload pending"),
        "{}",
        pending.stdout
    );
    let reloaded = cluster.apply_in(dir.path());
    assert!(reloaded.success(), "{reloaded:?}");
    let empty = cluster.plan_in(dir.path());
    assert_eq!(empty.code, Some(0), "{empty:?}");
    assert_eq!(served(&cluster), der(&issued.cert_pem));
}
