//! rustls client configuration per `sslmode`, with libpq's semantics:
//! `prefer` and `require` encrypt without checking who answers (unless a
//! root certificate file exists, in which case libpq checks the chain too),
//! `verify-ca` checks the chain but not the name, `verify-full` checks both.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{WebPkiServerVerifier, verify_server_cert_signed_by_trust_anchor};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{ConnectError, ConnectionSettings, SslMode};

/// libpq's value of `sslrootcert` meaning "the system's trusted roots".
const SYSTEM: &str = "system";

/// Where distributions keep the system's bundle of trusted roots.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The connector for `settings`, or `None` when TLS is disabled. With
/// `pin`, the server must also present exactly that certificate (DER).
pub(super) fn connector(
    settings: &ConnectionSettings,
    pin: Option<&[u8]>,
) -> Result<Option<MakeRustlsConnect>, ConnectError> {
    if settings.sslmode == SslMode::Disable {
        return Ok(None);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let algorithms = provider.signature_verification_algorithms;
    let roots = trusted_roots(settings)?.map(Arc::new);
    let verifier: Arc<dyn ServerCertVerifier> = match roots {
        Some(roots) if settings.sslmode == SslMode::VerifyFull => {
            WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .map_err(|e| ConnectError::Invalid(format!("sslrootcert: {e}")))?
        }
        roots => Arc::new(LaxVerifier { roots, algorithms }),
    };
    let verifier: Arc<dyn ServerCertVerifier> = match pin {
        Some(expected) => Arc::new(PinnedVerifier {
            expected: expected.to_vec(),
            inner: verifier,
        }),
        None => verifier,
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConnectError::Invalid(format!("TLS configuration: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match client_identity(settings)? {
        Some((certs, key)) => builder
            .with_client_auth_cert(certs, key)
            .map_err(|e| ConnectError::Invalid(format!("sslcert/sslkey: {e}")))?,
        None => builder.with_no_client_auth(),
    };
    // What libpq 17 sends; servers before 17 ignore it.
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok(Some(MakeRustlsConnect::new(config)))
}

/// A connector for an endpoint outside a [`ConnectionSettings`] (such as
/// PgBouncer's admin console). With `root`, the endpoint must chain to the
/// certificates in that file and carry the host name (`verify-full`);
/// without, the session is encrypted when offered but not checked
/// (`prefer`). With `pin`, it must present exactly that certificate.
pub fn authority_connector(
    root: Option<&Path>,
    pin: Option<&[u8]>,
) -> Result<MakeRustlsConnect, ConnectError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let algorithms = provider.signature_verification_algorithms;
    let verifier: Arc<dyn ServerCertVerifier> = match root {
        Some(path) => WebPkiServerVerifier::builder_with_provider(
            Arc::new(load_roots(path)?),
            provider.clone(),
        )
        .build()
        .map_err(|e| ConnectError::Invalid(format!("sslrootcert: {e}")))?,
        None => Arc::new(LaxVerifier {
            roots: None,
            algorithms,
        }),
    };
    let verifier: Arc<dyn ServerCertVerifier> = match pin {
        Some(expected) => Arc::new(PinnedVerifier {
            expected: expected.to_vec(),
            inner: verifier,
        }),
        None => verifier,
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConnectError::Invalid(format!("TLS configuration: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// The roots to verify against, or `None` for "encrypt, do not verify".
/// Like libpq, `prefer`/`require` verify when the root file exists; the
/// `verify-*` modes require it.
fn trusted_roots(settings: &ConnectionSettings) -> Result<Option<RootCertStore>, ConnectError> {
    let explicit = settings.sslrootcert.as_deref();
    if explicit.is_some_and(|p| p == Path::new(SYSTEM)) {
        if settings.sslmode != SslMode::VerifyFull {
            return Err(ConnectError::Invalid(format!(
                "weak sslmode \"{}\" may not be used with sslrootcert=system (use \"verify-full\")",
                settings.sslmode
            )));
        }
        return system_roots().map(Some);
    }
    let path = match explicit {
        Some(path) => Some(path.to_path_buf()),
        None => default_root_file(),
    };
    match path {
        Some(path) if path.is_file() => load_roots(&path).map(Some),
        Some(path) if settings.sslmode.verifies_chain() => Err(ConnectError::Invalid(format!(
            "root certificate file \"{}\" does not exist; provide it with sslrootcert \
             (PGSSLROOTCERT), use sslrootcert=system, or choose sslmode=require to encrypt \
             without verifying the server",
            path.display()
        ))),
        None if settings.sslmode.verifies_chain() => Err(ConnectError::Invalid(
            "no home directory to find ~/.postgresql/root.crt; set sslrootcert".into(),
        )),
        _ => Ok(None),
    }
}

/// The client certificate chain and key of `sslcert` / `sslkey`, when
/// both are given. The key is read into memory and never shown.
type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

fn client_identity(settings: &ConnectionSettings) -> Result<Option<Identity>, ConnectError> {
    let (cert, key) = match (&settings.sslcert, &settings.sslkey) {
        (None, None) => return Ok(None),
        (Some(cert), Some(key)) => (cert, key),
        _ => {
            return Err(ConnectError::Invalid(
                "sslcert and sslkey go together: give both (PGSSLCERT, PGSSLKEY)".into(),
            ));
        }
    };
    let open = |path: &Path, what: &str| {
        std::fs::File::open(path)
            .map(BufReader::new)
            .map_err(|e| ConnectError::Invalid(format!("{what} \"{}\": {e}", path.display())))
    };
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut open(cert, "sslcert")?)
        .collect::<Result<_, _>>()
        .map_err(|e| ConnectError::Invalid(format!("sslcert \"{}\": {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(ConnectError::Invalid(format!(
            "sslcert \"{}\": no PEM certificate found",
            cert.display()
        )));
    }
    let private = rustls_pemfile::private_key(&mut open(key, "sslkey")?)
        .ok()
        .flatten()
        .ok_or_else(|| {
            ConnectError::Invalid(format!(
                "sslkey \"{}\": no PEM private key found",
                key.display()
            ))
        })?;
    Ok(Some((certs, private)))
}

/// Accepts only the expected certificate, then checks it as `inner` does:
/// proves that a server presents the certificate pgfort just installed,
/// not the one it ran with before a reload it did not take.
#[derive(Debug)]
struct PinnedVerifier {
    expected: Vec<u8>,
    inner: Arc<dyn ServerCertVerifier>,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() != self.expected.as_slice() {
            return Err(rustls::Error::General(
                "the server presents another certificate than the one just installed".into(),
            ));
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `~/.postgresql/root.crt`, libpq's default root file.
fn default_root_file() -> Option<PathBuf> {
    super::home_dir(&|name| std::env::var(name).ok()).map(|h| h.join(".postgresql/root.crt"))
}

/// Every certificate of a PEM file.
fn load_roots(path: &Path) -> Result<RootCertStore, ConnectError> {
    let describe = |e: &dyn std::fmt::Display| {
        ConnectError::Invalid(format!("sslrootcert \"{}\": {e}", path.display()))
    };
    let file = std::fs::File::open(path).map_err(|e| describe(&e))?;
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut BufReader::new(file))
        .collect::<Result<_, _>>()
        .map_err(|e| describe(&e))?;
    if certs.is_empty() {
        return Err(describe(&"no PEM certificate found"));
    }
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(|e| describe(&e))?;
    }
    Ok(roots)
}

/// The system bundle: SSL_CERT_FILE, else the first well-known path.
fn system_roots() -> Result<RootCertStore, ConnectError> {
    let from_env = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
    let path = from_env
        .into_iter()
        .chain(SYSTEM_BUNDLES.iter().map(PathBuf::from))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            ConnectError::Invalid("sslrootcert=system: no system certificate bundle found".into())
        })?;
    load_roots(&path)
}

/// The verifier for the modes rustls has no stock verifier for.
/// Handshake signatures are always checked, so the session keys belong to
/// whoever holds the presented certificate's key.
#[derive(Debug)]
struct LaxVerifier {
    /// `None`: any certificate (`prefer`/`require` without a root file).
    /// `Some`: the chain must lead to one of these roots, whatever the
    /// name in the certificate (`verify-ca`).
    roots: Option<Arc<RootCertStore>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for LaxVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(roots) = &self.roots {
            let cert = ParsedCertificate::try_from(end_entity)?;
            verify_server_cert_signed_by_trust_anchor(
                &cert,
                roots,
                intermediates,
                now,
                self.algorithms.all,
            )?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
