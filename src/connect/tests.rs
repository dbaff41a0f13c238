//! Connects to a throwaway PostgreSQL server: initdb in a temporary
//! directory (as the `postgres` OS user when running as root), a free port
//! on localhost, the socket in the temporary directory, TLS with a
//! self-signed certificate for `localhost`.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

const SUPERUSER_PASSWORD: &str = "s3cret-for-tests";

/// The newest installed server binaries, or PGFORT_TEST_PG_BIN.
fn pg_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PGFORT_TEST_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .collect();
    candidates.sort();
    candidates.pop().map(|(_, bin)| bin)
}

/// A running server, stopped and deleted on drop.
struct Server {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
}

impl Server {
    fn start(bin: PathBuf) -> Server {
        // SAFETY: geteuid has no preconditions.
        let as_postgres = unsafe { libc::geteuid() } == 0;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let server = Server {
            bin,
            port: free_port(),
            as_postgres,
            dir,
        };

        let cert = self_signed("localhost");
        std::fs::write(root.join("server.crt"), cert.cert.pem()).unwrap();
        std::fs::write(root.join("server.key"), cert.signing_key.serialize_pem()).unwrap();
        std::fs::write(root.join("pwfile"), SUPERUSER_PASSWORD).unwrap();
        for (name, mode) in [
            ("server.key", 0o600),
            ("server.crt", 0o644),
            ("pwfile", 0o600),
        ] {
            let permissions = std::fs::Permissions::from_mode(mode);
            std::fs::set_permissions(root.join(name), permissions).unwrap();
        }
        if as_postgres {
            for name in ["", "server.crt", "server.key", "pwfile"] {
                let status = Command::new("chown")
                    .arg("postgres")
                    .arg(root.join(name))
                    .status();
                assert!(status.unwrap().success());
            }
        }

        let data = root.join("data");
        server.run("initdb", |c| {
            c.arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "-E", "UTF8", "--locale=C"]);
            c.args(["--auth-local=trust", "--auth-host=scram-sha-256"]);
            c.arg(format!("--pwfile={}", root.join("pwfile").display()));
        });
        let options = format!(
            "-c port={} -c listen_addresses=localhost -k {} -c fsync=off -c ssl=on \
             -c ssl_cert_file={} -c ssl_key_file={} -c TimeZone=Europe/Paris",
            server.port,
            root.display(),
            root.join("server.crt").display(),
            root.join("server.key").display(),
        );
        server.run("pg_ctl", |c| {
            c.arg("-D").arg(&data).arg("-o").arg(&options);
            c.arg("-l").arg(root.join("log")).args(["-w", "start"]);
        });
        server
    }

    /// A command for one of the server's programs, as `postgres` when we
    /// are root (initdb and postgres refuse to run as root).
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn run(&self, program: &str, args: impl FnOnce(&mut Command)) {
        let mut command = self.command(program);
        args(&mut command);
        let output = command.output().unwrap();
        let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
        assert!(
            output.status.success(),
            "{program} failed: {}\n{}\n{log}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
    }

    fn settings(&self, host: &str, sslmode: SslMode) -> ConnectionSettings {
        ConnectionSettings {
            host: host.to_string(),
            port: self.port,
            user: "postgres".into(),
            password: Some(Secret::new(SUPERUSER_PASSWORD)),
            dbname: "postgres".into(),
            sslmode,
            sslrootcert: None,
            hostaddr: None,
            sslcert: None,
            sslkey: None,
            connect_timeout: None,
        }
    }

    fn socket(&self) -> String {
        self.dir.path().display().to_string()
    }

    fn cert(&self) -> PathBuf {
        self.dir.path().join("server.crt")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(data)
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A self-signed certificate whose CN and only subjectAltName is `name`.
fn self_signed(name: &str) -> rcgen::CertifiedKey<rcgen::KeyPair> {
    let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let signing_key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&signing_key).unwrap();
    rcgen::CertifiedKey { cert, signing_key }
}

async fn uses_tls(settings: &ConnectionSettings) -> bool {
    let client = connect(settings)
        .await
        .unwrap_or_else(|e| panic!("{settings:?}: {e} {:?}", e.hint()));
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    row.get(0)
}

/// The error and its hint, for assertions on either.
fn explain(result: Result<tokio_postgres::Client, ConnectError>) -> String {
    match result {
        Ok(_) => panic!("expected the connection to fail"),
        Err(e) => format!("{e} | hint: {}", e.hint().unwrap_or("")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_a_throwaway_server() {
    let Some(bin) = pg_bin() else {
        eprintln!("no PostgreSQL server binaries found; skipping");
        return;
    };
    let server = Server::start(bin);

    session_settings_over_the_socket(&server).await;
    tls_modes(&server).await;
    verification_failures(&server).await;
    authentication_and_catalog_errors(&server).await;
}

async fn session_settings_over_the_socket(server: &Server) {
    // Sockets never use TLS, even with verify-full and no root file.
    let mut settings = server.settings(&server.socket(), SslMode::VerifyFull);
    settings.password = None;
    settings.sslrootcert = Some("/nonexistent/root.crt".into());
    let client = connect(&settings).await.unwrap();
    let row = client
        .query_one(
            "SELECT current_setting('TimeZone'), current_setting('application_name'), \
             (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        row.get::<_, String>(0),
        "UTC",
        "the server's own default is Europe/Paris"
    );
    assert_eq!(row.get::<_, String>(1), "pgfort");
    assert!(!row.get::<_, bool>(2));

    // A list of hosts: the first has no server, the second answers.
    let hosts = format!("/nonexistent-dir,{}", server.socket());
    let mut list = server.settings(&hosts, SslMode::Prefer);
    list.password = None;
    connect(&list).await.unwrap();
}

async fn tls_modes(server: &Server) {
    assert!(!uses_tls(&server.settings("127.0.0.1", SslMode::Disable)).await);
    assert!(uses_tls(&server.settings("127.0.0.1", SslMode::Prefer)).await);
    assert!(uses_tls(&server.settings("127.0.0.1", SslMode::Require)).await);

    let mut verify_ca = server.settings("127.0.0.1", SslMode::VerifyCa);
    verify_ca.sslrootcert = Some(server.cert());
    assert!(uses_tls(&verify_ca).await, "verify-ca ignores the name");

    let mut verify_full = server.settings("localhost", SslMode::VerifyFull);
    verify_full.sslrootcert = Some(server.cert());
    assert!(uses_tls(&verify_full).await);
}

async fn verification_failures(server: &Server) {
    // The certificate names localhost only, not the address.
    let mut by_address = server.settings("127.0.0.1", SslMode::VerifyFull);
    by_address.sslrootcert = Some(server.cert());
    let text = explain(connect(&by_address).await);
    assert!(
        text.contains("not valid for name") && text.contains("verification failed"),
        "{text}"
    );
    assert!(text.contains("postgres@127.0.0.1:"), "{text}");

    // Another root: the chain does not verify, name check or not; and like
    // libpq, require verifies the chain when a root file is given.
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.crt");
    std::fs::write(&other, self_signed("localhost").cert.pem()).unwrap();
    for mode in [SslMode::VerifyCa, SslMode::VerifyFull, SslMode::Require] {
        let mut wrong_root = server.settings("localhost", mode);
        wrong_root.sslrootcert = Some(other.clone());
        let text = explain(connect(&wrong_root).await);
        assert!(text.contains("verification failed"), "{mode}: {text}");
    }

    let mut missing = server.settings("localhost", SslMode::VerifyCa);
    missing.sslrootcert = Some(dir.path().join("absent.crt"));
    let text = explain(connect(&missing).await);
    assert!(text.contains("absent.crt\" does not exist"), "{text}");

    let not_pem = dir.path().join("not-pem.crt");
    std::fs::write(&not_pem, "hello").unwrap();
    missing.sslrootcert = Some(not_pem);
    let text = explain(connect(&missing).await);
    assert!(text.contains("no PEM certificate"), "{text}");
}

async fn authentication_and_catalog_errors(server: &Server) {
    let mut no_password = server.settings("127.0.0.1", SslMode::Require);
    no_password.password = None;
    let text = explain(connect(&no_password).await);
    assert!(
        text.contains("asked for a password") && text.contains("--password-prompt"),
        "{text}"
    );
    // stdin is not a terminal under the test harness: no prompt, same error.
    let text = explain(connect_interactive(&no_password, true).await);
    assert!(text.contains("asked for a password"), "{text}");

    let mut wrong = server.settings("127.0.0.1", SslMode::Require);
    wrong.password = Some(Secret::new("not-the-password"));
    let text = explain(connect(&wrong).await);
    assert!(
        text.contains("28P01") && text.contains("PGPASSWORD"),
        "{text}"
    );
    assert!(
        !text.contains("not-the-password") && !text.contains(SUPERUSER_PASSWORD),
        "{text}"
    );

    let no_db = server
        .settings("127.0.0.1", SslMode::Require)
        .with_dbname("no_such_db");
    let text = explain(connect(&no_db).await);
    assert!(
        text.contains("3D000") && text.contains("does not exist"),
        "{text}"
    );

    let mut no_server = server.settings("127.0.0.1", SslMode::Prefer);
    no_server.port = free_port();
    let text = explain(connect(&no_server).await);
    assert!(
        text.contains("Connection refused") && text.contains("is the server running"),
        "{text}"
    );

    let mut no_socket = server.settings(&server.socket(), SslMode::Prefer);
    no_socket.port = free_port();
    let text = explain(connect(&no_socket).await);
    assert!(text.contains("is the server running locally"), "{text}");
    assert!(text.contains("add --sandbox"), "{text}");
}

#[test]
fn server_binaries_are_found_when_installed() {
    // The server test must not skip silently on a machine that has a server.
    if Path::new("/usr/lib/postgresql").is_dir() {
        assert!(pg_bin().is_some());
    }
}
