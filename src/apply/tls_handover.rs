//! Switching to TLS before pg_hba.conf is written, when the new rules
//! admit pgfort's own connection only over TLS and this apply turned SSL
//! on (see [`TlsHandover`]): a new session over TLS, which must be the one
//! the plan checked against the new rules, writes the file and verifies
//! the fresh login. A failure here writes nothing: SSL being on locks
//! nobody out, and the server still runs the previous rules.

use std::path::Path;
use std::time::{Duration, Instant};

use super::ApplyError;
use crate::connect::{ConnectionSettings, SslMode};
use crate::inspect::Db;
use crate::model::TlsHandover;

/// What the error of a failed switch says about the server.
const NOTHING_WRITTEN: &str = "pg_hba.conf was not written: the server runs the previous rules, which still admit pgfort's connection without TLS";

/// Opens the TLS session and checks it is the one the plan admitted.
/// `authority` is the certificate of the authority pgfort just installed
/// the server certificate from: trusted by `verify-ca`/`verify-full` when
/// no root is configured.
pub(super) async fn connect(
    settings: &ConnectionSettings,
    handover: &TlsHandover,
    authority: Option<&Path>,
) -> Result<(Db, ConnectionSettings), ApplyError> {
    let tls = tls_settings(settings, authority)?;
    let db = Db::new(connect_when_ready(&tls).await?);
    let probe = crate::inspect::session_probe(&db)
        .await
        .map_err(|err| failure(format!("reading the TLS session: {err}")))?;
    if !probe.ssl {
        return Err(failure(format!(
            "the connection made with sslmode={} is not encrypted",
            tls.sslmode
        )));
    }
    if probe != handover.probe {
        return Err(failure(format!(
            "the TLS session ({}) is not the one the plan checked against the new rules ({})",
            probe.describe(&probe.database),
            handover.probe.describe(&handover.probe.database)
        )));
    }
    Ok((db, tls))
}

/// pgfort's settings, made to use TLS: `prefer` becomes `require` (a
/// session without TLS would not be admitted); `verify-*` trust the
/// configured root, else `authority`.
fn tls_settings(
    settings: &ConnectionSettings,
    authority: Option<&Path>,
) -> Result<ConnectionSettings, ApplyError> {
    let mut tls = settings.clone();
    match settings.sslmode {
        SslMode::Disable => {
            return Err(failure(
                "pgfort connects with sslmode=disable, so it cannot switch to TLS".to_owned(),
            ));
        }
        SslMode::Prefer | SslMode::Require => tls.sslmode = SslMode::Require,
        SslMode::VerifyCa | SslMode::VerifyFull => {
            if tls.sslrootcert.is_none() {
                tls.sslrootcert = authority.map(Path::to_path_buf);
            }
        }
    }
    Ok(tls)
}

/// The postmaster acts on the reload that turned SSL on asynchronously:
/// until it has, a TLS connection is refused. Tries for as long as a
/// reload may take.
async fn connect_when_ready(
    settings: &ConnectionSettings,
) -> Result<tokio_postgres::Client, ApplyError> {
    let deadline = Instant::now() + super::reload::RELOAD_WAIT;
    loop {
        match crate::connect::connect(settings).await {
            Ok(client) => return Ok(client),
            Err(err) if Instant::now() >= deadline => {
                let mut error = failure(format!(
                    "a connection over TLS (sslmode={}) failed after SSL was turned on: {err}",
                    settings.sslmode
                ));
                error.hint = Some(format!(
                    "PostgreSQL keeps SSL off when its certificate or key does not load, and logs why (\"SSL configuration was not reloaded\"); until that is fixed, a restart of the server fails\n{}",
                    error.hint.unwrap_or_default()
                ));
                return Err(error);
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

fn failure(message: String) -> ApplyError {
    ApplyError {
        message: format!(
            "switching to TLS before writing pg_hba.conf: {message}; {NOTHING_WRITTEN}"
        ),
        hint: Some("fix the cause and apply again: the next plan shows what is left".to_owned()),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(mode: SslMode) -> ConnectionSettings {
        let text = format!("host=127.0.0.1 user=postgres sslmode={mode}");
        ConnectionSettings::resolve(Some(&text), &|_| None, &Default::default()).unwrap()
    }

    fn authority() -> &'static Path {
        Path::new("/pki/ca.crt")
    }

    #[test]
    fn prefer_and_require_insist_on_tls() {
        for mode in [SslMode::Prefer, SslMode::Require] {
            let tls = tls_settings(&settings(mode), Some(authority())).unwrap();
            assert_eq!(tls.sslmode, SslMode::Require);
            assert_eq!(tls.sslrootcert, None);
        }
    }

    #[test]
    fn verifying_modes_trust_the_configured_root_else_the_authority() {
        let tls = tls_settings(&settings(SslMode::VerifyFull), Some(authority())).unwrap();
        assert_eq!(tls.sslmode, SslMode::VerifyFull);
        assert_eq!(tls.sslrootcert, Some("/pki/ca.crt".into()));
        let mut configured = settings(SslMode::VerifyCa);
        configured.sslrootcert = Some("/etc/root.crt".into());
        let tls = tls_settings(&configured, Some(authority())).unwrap();
        assert_eq!(tls.sslrootcert, Some("/etc/root.crt".into()));
    }

    #[test]
    fn disable_cannot_switch_and_says_nothing_was_written() {
        let err = tls_settings(&settings(SslMode::Disable), None).unwrap_err();
        assert!(err.message.contains("sslmode=disable"), "{}", err.message);
        assert!(err.message.contains(NOTHING_WRITTEN), "{}", err.message);
    }
}
