//! Certificates end to end, each test on a cluster of its own: SSL turned
//! on without a restart and proven with verify-full, drift and renewal,
//! client certificates admitted by a `cert` rule, a refused SSL
//! configuration rolled back, keys private and never shown.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use common::{TestCluster, workdir, write_files};
use pgfort::connect::{self, ConnectionSettings};
use pgfort::model::{KeyType, Lifetime};

fn server_config(extra: &str, validity: &str, renew_before: &str) -> String {
    format!(
        r#"
certificate_authority "main" {{
  cert_file   = "certs/ca.crt"
  key_file    = "certs/ca.key"
  common_name = "test CA"
}}

server_certificate {{
  ca           = "main"
  dns_names    = ["localhost"]
  ip_addresses = ["127.0.0.1"]
  validity     = "{validity}"
  renew_before = "{renew_before}"
}}
{extra}"#
    )
}

/// A libpq-style connection string to the cluster.
fn conninfo(cluster: &TestCluster, user: &str, extra: &str) -> ConnectionSettings {
    let text = format!(
        "port={} user={user} dbname=postgres password={} {extra}",
        cluster.port(),
        cluster.password()
    );
    ConnectionSettings::resolve(Some(&text), &|_| None, &Default::default()).unwrap()
}

/// Connects and returns (current_user, ssl) of the session, or the error.
fn try_session(settings: &ConnectionSettings) -> Result<(String, bool), String> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = connect::connect(settings)
            .await
            .map_err(|e| e.to_string())?;
        let row = client
            .query_one(
                "SELECT current_user::text, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok((row.get(0), row.get(1)))
    })
}

/// [`try_session`], retried for a while: pg_hba.conf reloads
/// asynchronously after an apply.
fn eventually_session(settings: &ConnectionSettings) -> (String, bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match try_session(settings) {
            Ok(session) => return session,
            Err(e) if Instant::now() > deadline => panic!("{}: {e}", settings.user),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

fn verify_full(dir: &Path, host: &str) -> String {
    format!(
        "host={host} sslmode=verify-full sslrootcert={}",
        dir.join("certs/ca.crt").display()
    )
}

/// verify-full to localhost, presenting `role`'s certificate from certs/.
fn with_client_certificate(dir: &Path, role: &str) -> String {
    let certs = dir.join("certs");
    format!(
        "{} sslcert={} sslkey={}",
        verify_full(dir, "localhost"),
        certs.join(format!("{role}.crt")).display(),
        certs.join(format!("{role}.key")).display()
    )
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The base64 body of a PEM key: what must never be printed or logged.
fn key_body(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().nth(1).unwrap().to_owned()
}

fn start_time(cluster: &TestCluster) -> String {
    cluster
        .query_value("SELECT pg_postmaster_start_time()::text")
        .unwrap()
}

#[test]
fn ssl_turns_on_without_restart_is_verified_and_drift_is_named() {
    // Every statement is logged: the key sent over SQL must not be.
    let cluster = TestCluster::start_with(&[("log_statement", "all")]);
    let started = start_time(&cluster);
    let dir = workdir();
    write_files(
        dir.path(),
        &[("main.hcl", &server_config("", "365d", "30d"))],
    );

    let plan = cluster.plan_in(dir.path());
    assert_eq!(plan.code, Some(2), "{plan:?}");
    assert!(
        plan.stdout.contains("+ certificate_authority \"main\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("+ server_certificate {"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("(because no certificate is installed)"),
        "{}",
        plan.stdout
    );

    let applied = cluster.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}");
    assert_eq!(cluster.query_value("SHOW ssl").as_deref(), Some("on"));
    // Over loopback the key never leaves the host: no warning.
    let shown = format!("{}{}", applied.stdout, applied.stderr);
    assert!(!shown.contains("neither encrypted nor local"), "{shown}");
    assert_eq!(
        start_time(&cluster),
        started,
        "SSL came on without a restart"
    );

    let data = cluster.sandbox().data_dir();
    let session = try_session(&conninfo(
        &cluster,
        "postgres",
        &verify_full(dir.path(), "localhost"),
    ));
    assert_eq!(session, Ok(("postgres".to_owned(), true)));
    let by_address = try_session(&conninfo(
        &cluster,
        "postgres",
        &verify_full(dir.path(), "127.0.0.1"),
    ));
    assert_eq!(by_address, Ok(("postgres".to_owned(), true)));
    let wrong_name = conninfo(
        &cluster,
        "postgres",
        &format!(
            "{} hostaddr=127.0.0.1",
            verify_full(dir.path(), "wrong.example.com")
        ),
    );
    let refused = try_session(&wrong_name).expect_err("a name the certificate lacks must fail");
    assert!(refused.to_lowercase().contains("certificate"), "{refused}");

    assert_eq!(mode(&dir.path().join("certs/ca.key")), 0o600);
    assert_eq!(mode(&data.join("server.key")), 0o600);
    let again = cluster.plan_in(dir.path());
    assert_eq!(again.code, Some(0), "{again:?}");

    let secrets = [
        key_body(&dir.path().join("certs/ca.key")),
        key_body(&data.join("server.key")),
    ];
    let log = cluster.server_log();
    for output in [
        &plan.stdout,
        &plan.stderr,
        &applied.stdout,
        &applied.stderr,
        &log,
    ] {
        for secret in &secrets {
            assert!(
                !output.contains(secret.as_str()),
                "a private key was shown or logged"
            );
        }
    }

    // Behind pgfort's back: a certificate from another authority.
    let now = pgfort::tls::unix_now();
    let other =
        pgfort::tls::generate_authority("other", KeyType::EcdsaP256, Lifetime::days(30), now)
            .unwrap();
    let stranger = pgfort::tls::issue_server(
        "localhost",
        &["localhost".to_owned()],
        &["127.0.0.1".parse().unwrap()],
        KeyType::EcdsaP256,
        Lifetime::days(300),
        &other.cert_pem,
        &other.key_pem,
        now,
    )
    .unwrap();
    let owner = std::fs::metadata(&data).unwrap();
    for (name, text) in [
        ("server.crt", stranger.cert_pem.as_str()),
        ("server.key", stranger.key_pem.expose()),
    ] {
        std::fs::write(data.join(name), text).unwrap();
        std::os::unix::fs::chown(data.join(name), Some(owner.uid()), Some(owner.gid())).unwrap();
    }
    let drift = cluster.plan_in(dir.path());
    assert_eq!(drift.code, Some(2), "{drift:?}");
    assert!(
        drift
            .stdout
            .contains("(because issued by another CA (not certificate_authority.main))"),
        "{}",
        drift.stdout
    );
    assert!(
        drift
            .stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{}",
        drift.stdout
    );
    let fixed = cluster.apply_in(dir.path());
    assert!(fixed.success(), "{fixed:?}");
    assert_eq!(cluster.plan_in(dir.path()).code, Some(0));
    let session = try_session(&conninfo(
        &cluster,
        "postgres",
        &verify_full(dir.path(), "localhost"),
    ));
    assert_eq!(session, Ok(("postgres".to_owned(), true)));
}

/// RSA for the authority and Ed25519 for the server: other key types
/// than the default, which the server's OpenSSL and rustls both take.
fn other_key_types(config: String) -> String {
    config
        .replace(
            "common_name = \"test CA\"",
            "common_name = \"test CA\"\n  key_type    = \"rsa-2048\"",
        )
        .replace(
            "renew_before = ",
            "key_type     = \"ed25519\"\n  renew_before = ",
        )
}

#[test]
fn a_certificate_close_to_expiry_is_renewed() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(
        dir.path(),
        &[("main.hcl", &other_key_types(server_config("", "10d", "5d")))],
    );
    let applied = cluster.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}");
    assert_eq!(cluster.plan_in(dir.path()).code, Some(0));
    let first = cluster
        .query_value("SELECT pg_read_file('server.crt')")
        .unwrap();

    write_files(
        dir.path(),
        &[("main.hcl", &server_config("", "365d", "30d"))],
    );
    let plan = cluster.plan_in(dir.path());
    assert_eq!(plan.code, Some(2), "{plan:?}");
    // Whole days left of a 10-day certificate: 9, or 10 when the clock's
    // second has not turned since it was issued (validity is in seconds).
    assert!(
        ["9", "10"].iter().any(|days| plan.stdout.contains(&format!(
            "(because expires in {days} days (renew_before 30d))"
        ))),
        "{}",
        plan.stdout
    );
    let renewed = cluster.apply_in(dir.path());
    assert!(renewed.success(), "{renewed:?}");
    let second = cluster
        .query_value("SELECT pg_read_file('server.crt')")
        .unwrap();
    assert_ne!(first, second, "a new certificate is installed");
    assert_eq!(cluster.plan_in(dir.path()).code, Some(0));
    let ca_key = std::fs::read_to_string(dir.path().join("certs/ca.key")).unwrap();
    assert!(pgfort::tls::load_key(&ca_key).unwrap().algorithm() == &rcgen::PKCS_RSA_SHA256);
    let session = try_session(&conninfo(
        &cluster,
        "postgres",
        &verify_full(dir.path(), "localhost"),
    ));
    assert_eq!(session, Ok(("postgres".to_owned(), true)));
}

const CERT_LOGIN: &str = r#"
role "app" {
  login = true
}

client_certificate "app" {
  ca      = "main"
  out_dir = "certs"
}

hba {
  rule {
    type    = "host"
    user    = "postgres"
    address = "127.0.0.1/32"
    method  = "scram-sha-256"
  }
  rule {
    type    = "hostssl"
    user    = "app"
    address = "127.0.0.1/32"
    method  = "cert"
  }
  rule {
    type    = "host"
    address = "all"
    method  = "reject"
  }
}
"#;

#[test]
fn a_cert_rule_admits_the_client_certificate_and_nothing_else() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(
        dir.path(),
        &[("main.hcl", &server_config(CERT_LOGIN, "365d", "30d"))],
    );
    let applied = cluster.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}");
    let certs = dir.path().join("certs");
    assert_eq!(mode(&certs.join("app.key")), 0o600);
    assert_eq!(cluster.plan_in(dir.path()).code, Some(0));

    let with_cert = with_client_certificate(dir.path(), "app");
    // pg_hba.conf reloads asynchronously: retry briefly.
    let admitted = eventually_session(&conninfo(&cluster, "app", &with_cert));
    assert_eq!(admitted, ("app".to_owned(), true));
    let without = try_session(&conninfo(
        &cluster,
        "app",
        &verify_full(dir.path(), "localhost"),
    ));
    assert!(without.is_err(), "no certificate, no login: {without:?}");
    let as_other = try_session(&conninfo(&cluster, "postgres", &with_cert));
    assert!(
        as_other.is_ok(),
        "the superuser still logs in with its password"
    );

    let output = format!("{}{}", applied.stdout, applied.stderr);
    assert!(!output.contains(&key_body(&certs.join("app.key"))));
}

#[test]
fn an_ssl_configuration_the_server_refuses_is_rolled_back() {
    let cluster = TestCluster::start();
    let dir = workdir();
    // A file the SSL context needs and cannot load, on every OpenSSL.
    let settings = "settings {\n  ssl_crl_file = \"/nonexistent/revoked.crl\"\n}\n";
    write_files(
        dir.path(),
        &[("main.hcl", &server_config(settings, "365d", "30d"))],
    );
    let applied = cluster.apply_in(dir.path());
    assert_eq!(applied.code, Some(1), "{applied:?}");
    assert!(
        applied.stderr.contains("verify-full connection"),
        "{}",
        applied.stderr
    );
    assert!(
        applied
            .stderr
            .contains("the previous SSL settings were restored and reloaded"),
        "{}",
        applied.stderr
    );
    let auto_conf =
        std::fs::read_to_string(cluster.sandbox().data_dir().join("postgresql.auto.conf")).unwrap();
    assert!(!auto_conf.contains("ssl"), "{auto_conf}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while cluster.query_value("SHOW ssl").as_deref() != Some("off") {
        assert!(Instant::now() < deadline, "ssl stayed on");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(cluster.plan_in(dir.path()).code, Some(2), "still to do");
}

/// The shipped example, applied as it is: TLS everywhere, `reporting` in
/// by certificate only.
#[test]
fn the_ssl_everywhere_example_applies_and_admits_its_certificate_login() {
    let cluster = TestCluster::start();
    let dir = workdir();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ssl-everywhere");
    let text = std::fs::read_to_string(example.join("main.hcl")).unwrap();
    write_files(dir.path(), &[("main.hcl", &text)]);
    let applied = cluster.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}");
    assert_eq!(cluster.plan_in(dir.path()).code, Some(0));
    assert_eq!(
        cluster
            .query_value("SHOW ssl_min_protocol_version")
            .as_deref(),
        Some("TLSv1.3")
    );
    let reporting = with_client_certificate(dir.path(), "reporting");
    let session = eventually_session(&conninfo(&cluster, "reporting", &reporting));
    assert_eq!(session, ("reporting".to_owned(), true));
    // Unencrypted connections are rejected by the last rule.
    let plain = try_session(&conninfo(
        &cluster,
        "reporting",
        "host=127.0.0.1 sslmode=disable",
    ));
    assert!(plain.is_err(), "{plain:?}");
}

/// A saved plan carries the certificate work (names and paths, no keys):
/// applying it generates, installs and verifies like a direct apply.
#[test]
fn a_saved_plan_installs_certificates_too() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(
        dir.path(),
        &[("main.hcl", &server_config("", "365d", "30d"))],
    );
    let saved = cluster.pgfort_in(dir.path(), &["plan", "-out", "plan.pgfort", "."]);
    assert!(saved.success(), "{saved:?}");
    let text = std::fs::read_to_string(dir.path().join("plan.pgfort")).unwrap();
    assert!(!text.contains("PRIVATE KEY"), "no key is made at plan time");
    assert!(!dir.path().join("certs/ca.key").exists());
    // Applied from another directory: the plan holds absolute paths.
    let elsewhere = workdir();
    let plan_file = dir.path().join("plan.pgfort");
    let applied = cluster.pgfort_in(
        elsewhere.path(),
        &["apply", "--auto-approve", plan_file.to_str().unwrap()],
    );
    assert!(applied.success(), "{applied:?}");
    assert_eq!(mode(&dir.path().join("certs/ca.key")), 0o600);
    assert_eq!(cluster.plan_in(dir.path()).code, Some(0));
    let session = try_session(&conninfo(
        &cluster,
        "postgres",
        &verify_full(dir.path(), "localhost"),
    ));
    assert_eq!(session, Ok(("postgres".to_owned(), true)));
}
