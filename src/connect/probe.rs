//! Which certificate the server serves: PostgreSQL keeps its previous SSL
//! context when a reload fails, and until one happens, so the certificate
//! files say nothing of what clients get. This opens a TCP connection to
//! the address pgfort connects to, asks for SSL, completes the handshake
//! (signatures checked, so whoever answers holds the certificate's key),
//! keeps the certificate and closes cleanly before any startup packet: no
//! authentication, and nothing in the server log.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{ConnectError, ConnectionSettings};

/// How long the probe may take in all.
const PROBE_WAIT: Duration = Duration::from_secs(5);

/// The protocol's SSLRequest: length 8, code 1234.5679.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// What the server answers to a request for SSL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Served {
    /// It refuses SSL (`ssl = off`, or its SSL context failed to load).
    Plain,
    /// The DER of the certificate it presents.
    Certificate(Vec<u8>),
}

/// The certificate the server at `settings`' first host serves (over TCP
/// to 127.0.0.1 when that host is a Unix socket, which carries no TLS).
pub async fn served_certificate(settings: &ConnectionSettings) -> Result<Served, ConnectError> {
    let address = address(settings).await?;
    let failed = |message: String| ConnectError::Failed {
        target: address.to_string(),
        message,
        hint: None,
    };
    tokio::time::timeout(PROBE_WAIT, probe(address))
        .await
        .map_err(|_| failed("no answer to the SSL request in time".to_owned()))?
        .map_err(failed)
}

async fn address(settings: &ConnectionSettings) -> Result<SocketAddr, ConnectError> {
    let host = settings.hosts().next().unwrap_or("localhost");
    let ip = match settings.hostaddr {
        Some(ip) => ip,
        None if ConnectionSettings::is_socket(host) => IpAddr::from([127, 0, 0, 1]),
        None => match host.parse() {
            Ok(ip) => ip,
            Err(_) => tokio::net::lookup_host((host, settings.port))
                .await
                .ok()
                .and_then(|mut addrs| addrs.next())
                .map(|addr| addr.ip())
                .ok_or_else(|| ConnectError::Failed {
                    target: host.to_owned(),
                    message: "cannot resolve the host name".to_owned(),
                    hint: None,
                })?,
        },
    };
    Ok(SocketAddr::new(ip, settings.port))
}

async fn probe(address: SocketAddr) -> Result<Served, String> {
    let mut stream = TcpStream::connect(address)
        .await
        .map_err(|e| e.to_string())?;
    stream
        .write_all(&SSL_REQUEST)
        .await
        .map_err(|e| e.to_string())?;
    let mut answer = [0u8; 1];
    stream
        .read_exact(&mut answer)
        .await
        .map_err(|e| e.to_string())?;
    match answer[0] {
        b'S' => {}
        b'N' => return Ok(Served::Plain),
        other => return Err(format!("unexpected answer {other:#04x} to the SSL request")),
    }
    let seen = Arc::new(Mutex::new(None));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(Recorder {
        seen: seen.clone(),
        algorithms: provider.signature_verification_algorithms,
    });
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    let mut make = MakeRustlsConnect::new(config);
    let connect = <MakeRustlsConnect as MakeTlsConnect<TcpStream>>::make_tls_connect(
        &mut make,
        &address.ip().to_string(),
    )
    .map_err(|e| e.to_string())?;
    let mut tls = connect.connect(stream).await.map_err(|e| e.to_string())?;
    // close_notify: the server sees a client that left before starting up.
    let _ = tls.shutdown().await;
    let der = seen
        .lock()
        .map_err(|_| "the handshake's record was lost".to_owned())?
        .take();
    der.map(Served::Certificate)
        .ok_or_else(|| "the server presented no certificate".to_owned())
}

/// Accepts any certificate and remembers it; handshake signatures are
/// still checked. What it records is only compared with known files.
#[derive(Debug)]
struct Recorder {
    seen: Arc<Mutex<Option<Vec<u8>>>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut seen = self
            .seen
            .lock()
            .map_err(|_| rustls::Error::General("certificate record poisoned".into()))?;
        *seen = Some(end_entity.as_ref().to_vec());
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
