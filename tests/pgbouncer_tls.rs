//! PgBouncer with a `tls` block, against a real PgBouncer in front of a
//! real cluster that has a server certificate from the same authority: a
//! client connects through PgBouncer with verify-full and PgBouncer
//! reaches the server with verify-full; a deleted certificate is shown and
//! reissued; settings the block owns are refused, changing nothing; a
//! failed apply puts the certificate files back.

mod common;

use std::path::Path;
use std::time::Duration;

use common::pgbouncer::{ADMIN_PASSWORD, ADMIN_USER, PgBouncer, skip_unless_installed};
use common::{TestCluster, workdir, write_files};

/// An authority, the server's certificate, roles, a database and PgBouncer
/// in front of it with `tls` (extra lines for the tls block) and
/// `admin_url`.
fn config(cluster: &TestCluster, bouncer: &PgBouncer, tls: &str, admin_url: &str) -> String {
    format!(
        r#"
certificate_authority "main" {{
  cert_file = "certs/ca.crt"
  key_file  = "certs/ca.key"
}}
server_certificate {{
  ca           = "main"
  dns_names    = ["localhost"]
  ip_addresses = ["127.0.0.1"]
}}
role "{ADMIN_USER}" {{
  login    = true
  password = "{ADMIN_PASSWORD}"
}}
role "app_user" {{
  login    = true
  password = "app-pass"
}}
database "appdb" {{
  owner = "app_user"
}}
pgbouncer "main" {{
  config_dir = "{dir}"
  admin_url  = "{admin_url}"
  users      = ["app_user", "{ADMIN_USER}"]
  settings = {{
{settings}    auth_type = "scram-sha-256"
    pool_mode = "transaction"
  }}
  tls {{
    ca             = "main"
    dns_names      = ["localhost"]
    ip_addresses   = ["127.0.0.1"]
    server_sslmode = "verify-full"
{tls}  }}
  database "appdb" {{
    host = "127.0.0.1"
    port = {port}
  }}
}}
"#,
        dir = bouncer.dir().display(),
        settings = bouncer.base_settings(),
        port = cluster.port(),
    )
}

/// Through PgBouncer as app_user to appdb, TLS checked as verify-full
/// against `root` for `host` (at 127.0.0.1): whether the session between
/// PgBouncer and the server is encrypted (`pg_stat_ssl.ssl`).
fn through_pgbouncer(bouncer: &PgBouncer, root: &Path, host: &str) -> Result<bool, String> {
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let connector =
            pgfort::connect::authority_connector(Some(root), None).map_err(|e| e.to_string())?;
        let mut config = tokio_postgres::Config::new();
        config
            .host(host)
            .hostaddr([127, 0, 0, 1].into())
            .port(bouncer.port())
            .user("app_user")
            .password("app-pass")
            .dbname("appdb")
            .ssl_mode(tokio_postgres::config::SslMode::Require)
            .connect_timeout(Duration::from_secs(5));
        let (client, connection) = config.connect(connector).await.map_err(|e| chain(&e))?;
        let connection = tokio::spawn(connection);
        let rows = client
            .simple_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .await
            .map_err(|e| e.to_string())?;
        drop(client);
        let _ = connection.await;
        rows.iter()
            .find_map(|message| match message {
                tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(|v| v == "t"),
                _ => None,
            })
            .ok_or_else(|| "no row".to_owned())
    })
}

/// An error with its causes, one after the other.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// The base64 body of a PEM key: what must never be printed.
fn key_body(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().nth(1).unwrap().to_owned()
}

#[test]
fn pgbouncer_tls_serves_a_verified_certificate_and_renews_it() {
    if skip_unless_installed() {
        return;
    }
    let cluster = TestCluster::start();
    let bouncer = PgBouncer::start(&cluster);
    let dir = workdir();
    let url = bouncer.admin_url();
    write_files(
        dir.path(),
        &[("main.hcl", &config(&cluster, &bouncer, "", &url))],
    );
    let root = dir.path().join("certs/ca.crt");

    // From empty: the authority, the server's certificate, PgBouncer's.
    let first = cluster.plan_in(dir.path());
    assert_eq!(first.code, Some(2), "{first:?}");
    let cert_path = bouncer.dir().join("pgbouncer.crt");
    let missing = format!("certificate: {} does not exist", cert_path.display());
    assert!(first.stdout.contains(&missing), "{}", first.stdout);
    let applied = cluster.apply_in(dir.path());
    assert!(applied.success(), "{applied:?}\n{}", bouncer.log());
    let empty = cluster.plan_in(dir.path());
    assert_eq!(empty.code, Some(0), "{empty:?}");

    let ini = String::from_utf8(bouncer.file("pgbouncer.ini")).unwrap();
    let in_dir = |name: &str| bouncer.dir().join(name).display().to_string();
    for line in [
        "client_tls_sslmode = require".to_owned(),
        format!("client_tls_cert_file = {}", in_dir("pgbouncer.crt")),
        format!("client_tls_key_file = {}", in_dir("pgbouncer.key")),
        format!("client_tls_ca_file = {}", in_dir("root.crt")),
        "server_tls_sslmode = verify-full".to_owned(),
        format!("server_tls_ca_file = {}", in_dir("root.crt")),
    ] {
        assert!(ini.contains(&line), "{line} in:\n{ini}");
    }
    assert_eq!(bouncer.file_mode("pgbouncer.key"), 0o600);
    assert_eq!(bouncer.file("root.crt"), std::fs::read(&root).unwrap());
    let key = key_body(&bouncer.dir().join("pgbouncer.key"));
    for output in [&first.stdout, &applied.stdout, &applied.stderr] {
        assert!(!output.contains(&key), "the key was shown");
    }

    // verify-full through PgBouncer; PgBouncer to the server over TLS.
    let encrypted = through_pgbouncer(&bouncer, &root, "localhost")
        .unwrap_or_else(|e| panic!("verify-full through PgBouncer: {e}\n{}", bouncer.log()));
    assert!(encrypted, "PgBouncer reaches the server over TLS");
    assert!(through_pgbouncer(&bouncer, &root, "127.0.0.1").is_ok());
    let wrong = through_pgbouncer(&bouncer, &root, "wrong.example.com")
        .expect_err("a name the certificate lacks must fail");
    assert!(wrong.to_lowercase().contains("certificate"), "{wrong}");
    // Plain TCP is refused: client_tls_sslmode = require.
    assert!(
        bouncer.select_one("appdb", "app_user", "app-pass").is_err(),
        "a client without TLS must be refused"
    );
    assert!(bouncer.log().contains("SSL required"), "{}", bouncer.log());

    // Drift: the certificate deleted is shown and issued again.
    let old_cert = bouncer.file("pgbouncer.crt");
    std::fs::remove_file(&cert_path).unwrap();
    let drift = cluster.plan_in(dir.path());
    assert_eq!(drift.code, Some(2), "{drift:?}");
    assert!(drift.stdout.contains(&missing), "{}", drift.stdout);
    assert!(!drift.stdout.contains("pool_mode"), "{}", drift.stdout);
    let fixed = cluster.apply_in(dir.path());
    assert!(fixed.success(), "{fixed:?}\n{}", bouncer.log());
    assert_ne!(bouncer.file("pgbouncer.crt"), old_cert);
    let empty = cluster.plan_in(dir.path());
    assert_eq!(empty.code, Some(0), "{empty:?}");
    through_pgbouncer(&bouncer, &root, "localhost")
        .unwrap_or_else(|e| panic!("after renewal: {e}\n{}", bouncer.log()));

    // A key readable by others is named and written again.
    let key_path = bouncer.dir().join("pgbouncer.key");
    std::fs::set_permissions(
        &key_path,
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    let drift = cluster.plan_in(dir.path());
    assert_eq!(drift.code, Some(2), "{drift:?}");
    assert!(
        drift
            .stdout
            .contains("is readable by others than its owner"),
        "{}",
        drift.stdout
    );
    let fixed = cluster.apply_in(dir.path());
    assert!(fixed.success(), "{fixed:?}\n{}", bouncer.log());
    assert_eq!(bouncer.file_mode("pgbouncer.key"), 0o600);
    let empty = cluster.plan_in(dir.path());
    assert_eq!(empty.code, Some(0), "{empty:?}");

    // A setting the block owns: refused where written, nothing changes.
    let files = [
        "pgbouncer.ini",
        "pgbouncer.crt",
        "pgbouncer.key",
        "root.crt",
    ];
    let before: Vec<Vec<u8>> = files.iter().map(|f| bouncer.file(f)).collect();
    let bad = config(
        &cluster,
        &bouncer,
        "    common_name = \"new.internal\"\n",
        &url,
    );
    let bad = bad.replace(
        "pool_mode = \"transaction\"",
        "pool_mode = \"transaction\"\n    client_tls_sslmode = \"disable\"",
    );
    write_files(dir.path(), &[("main.hcl", &bad)]);
    let refused = cluster.apply_in(dir.path());
    assert!(!refused.success(), "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("client_tls_sslmode cannot be set in settings: the tls block sets it"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("main.hcl:"), "{}", refused.stderr);
    let after: Vec<Vec<u8>> = files.iter().map(|f| bouncer.file(f)).collect();
    assert!(before == after, "a refused configuration changed nothing");

    // A new name, but the console cannot be reached: every file goes back.
    let wrong_url = url.replace(&format!(":{}/", bouncer.port()), ":1/");
    let renamed = config(&cluster, &bouncer, "", &wrong_url).replace(
        "dns_names      = [\"localhost\"]",
        "dns_names      = [\"localhost\", \"pgbouncer.internal\"]",
    );
    write_files(dir.path(), &[("main.hcl", &renamed)]);
    let plan = cluster.plan_in(dir.path());
    assert!(
        plan.stdout
            .contains("certificate: missing DNS name pgbouncer.internal"),
        "{}",
        plan.stdout
    );
    let failed = cluster.apply_in(dir.path());
    assert!(!failed.success(), "{failed:?}");
    assert!(failed.stderr.contains("put back"), "{}", failed.stderr);
    let after: Vec<Vec<u8>> = files.iter().map(|f| bouncer.file(f)).collect();
    assert!(before == after, "the certificate files were put back");
    assert_eq!(bouncer.file_mode("pgbouncer.key"), 0o600);

    // PgBouncer cannot load the new key (a new file takes the directory's
    // owner, root here, and PgBouncer runs as another user): RELOAD keeps
    // the old certificate, the verify-full check is not served the new
    // one, and the files go back as they were.
    write_files(
        dir.path(),
        &[("main.hcl", &config(&cluster, &bouncer, "", &url))],
    );
    if unsafe { libc::geteuid() } == 0 {
        use std::os::unix::fs::MetadataExt as _;
        let owner = std::fs::metadata(bouncer.dir()).unwrap();
        std::fs::remove_file(&key_path).unwrap();
        std::fs::remove_file(&cert_path).unwrap();
        let before: Vec<Vec<u8>> = files.iter().map(|f| bouncer.file(f)).collect();
        std::os::unix::fs::chown(bouncer.dir(), Some(0), Some(0)).unwrap();
        let failed = cluster.apply_in(dir.path());
        std::os::unix::fs::chown(bouncer.dir(), Some(owner.uid()), Some(owner.gid())).unwrap();
        assert!(!failed.success(), "{failed:?}");
        assert!(
            failed
                .stderr
                .contains("after RELOAD a verify-full TLS connection"),
            "{}",
            failed.stderr
        );
        assert!(
            failed.stderr.contains("were put back and reloaded"),
            "{}",
            failed.stderr
        );
        let after: Vec<Vec<u8>> = files.iter().map(|f| bouncer.file(f)).collect();
        assert!(before == after, "the certificate files were put back");
        assert!(!key_path.exists() && !cert_path.exists());
        // Its previous certificate is still served, and the next apply
        // (files PgBouncer can read) converges.
        through_pgbouncer(&bouncer, &root, "localhost")
            .unwrap_or_else(|e| panic!("after the rollback: {e}\n{}", bouncer.log()));
        let fixed = cluster.apply_in(dir.path());
        assert!(fixed.success(), "{fixed:?}\n{}", bouncer.log());
        let empty = cluster.plan_in(dir.path());
        assert_eq!(empty.code, Some(0), "{empty:?}");
    }
}
