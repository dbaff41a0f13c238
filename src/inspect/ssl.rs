//! The server's SSL state, read only when a server certificate is
//! declared: the `ssl*` settings, and the installed certificate and CA
//! file through `pg_read_file` (paths relative to the data directory, as
//! the server resolves them). Reading and writing server files needs a
//! superuser; without one the files are reported inaccessible and the
//! plan says so. Alongside the query, a TLS handshake with the server at
//! pgfort's address shows the certificate it actually serves (see
//! [`crate::connect::served_certificate`]): no query, no extra login.

use super::{Db, InspectError};
use crate::connect::{ConnectionSettings, Served, served_certificate};
use crate::model::{InstalledSsl, ServedSsl};

const SSL: &str = "\
SELECT current_setting('ssl') = 'on' AS ssl,
       a.ok AS accessible,
       COALESCE((SELECT s.ssl FROM pg_catalog.pg_stat_ssl s WHERE s.pid = pg_catalog.pg_backend_pid()), false)
         OR inet_client_addr() IS NULL OR host(inet_client_addr()) IN ('127.0.0.1', '::1') AS private_session,
       CASE WHEN a.ok THEN current_setting('ssl_cert_file') END AS cert_file,
       CASE WHEN a.ok THEN current_setting('ssl_key_file') END AS key_file,
       CASE WHEN a.ok THEN current_setting('ssl_ca_file') END AS ca_file,
       CASE WHEN a.ok THEN current_setting('data_directory') END AS data_directory,
       CASE WHEN a.ok AND current_setting('ssl_cert_file') <> ''
            THEN pg_catalog.pg_read_file(current_setting('ssl_cert_file'), 0, 1048576, true) END AS cert,
       CASE WHEN a.ok AND current_setting('ssl_ca_file') <> ''
            THEN pg_catalog.pg_read_file(current_setting('ssl_ca_file'), 0, 1048576, true) END AS ca
FROM (SELECT COALESCE((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user), false) AS ok) a";

pub(super) async fn read(
    db: &Db,
    settings: &ConnectionSettings,
) -> Result<InstalledSsl, InspectError> {
    let (row, served) = futures_util::join!(
        db.query_one("SSL settings and files", SSL),
        served(settings)
    );
    let row = row?;
    let text = |name: &str| row.get::<_, Option<String>>(name).unwrap_or_default();
    let certificate = row
        .get::<_, Option<String>>("cert")
        .and_then(|pem| crate::tls::first_certificate(&pem).ok());
    Ok(InstalledSsl {
        ssl: row.get("ssl"),
        files_accessible: row.get("accessible"),
        private_session: row.get("private_session"),
        cert_file: text("cert_file"),
        key_file: text("key_file"),
        ca_file: text("ca_file"),
        data_directory: text("data_directory"),
        certificate,
        ca_pem: row.get("ca"),
        served,
    })
}

async fn served(settings: &ConnectionSettings) -> ServedSsl {
    match served_certificate(settings).await {
        Ok(Served::Plain) => ServedSsl::Plain,
        Ok(Served::Certificate(der)) => {
            let digest = ring::digest::digest(&ring::digest::SHA256, &der);
            ServedSsl::Certificate(digest.as_ref().iter().map(|b| format!("{b:02x}")).collect())
        }
        Err(err) => ServedSsl::Unreachable(err.to_string()),
    }
}
