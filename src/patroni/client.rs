//! A client of Patroni's REST API over ureq (rustls with ring, no system
//! TLS library). ureq blocks, so each request runs on tokio's blocking
//! pool; pgfort sends a handful per run.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;
use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig};

use super::cluster;
use crate::model::{PatroniEndpoint, PatroniView};

/// How long connecting to an API may take, and a request at most.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// `POST /restart` answers once PostgreSQL is back: it may take a while.
const RESTART_TIMEOUT: Duration = Duration::from_secs(600);

/// Why Patroni's REST API could not be used. Never holds the password.
#[derive(Debug, thiserror::Error)]
pub enum PatroniError {
    #[error("Patroni's REST API did not answer: {}", attempts.join("; "))]
    Unreachable { attempts: Vec<String> },
    #[error("Patroni at {url}: {request} answered HTTP {status}: {body}")]
    Status {
        url: String,
        request: String,
        status: u16,
        body: String,
    },
    #[error("Patroni at {url}: {message}")]
    Invalid { url: String, message: String },
    #[error("Patroni at {url} names no leader (members: {})", members.join(", "))]
    NoLeader { url: String, members: Vec<String> },
    #[error("patroni block: {0}")]
    Setup(String),
}

impl PatroniError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            PatroniError::Unreachable { .. } => Some(
                "check the patroni block's url (Patroni's restapi.listen), and that the API \
                 is reachable from here; nothing was changed"
                    .to_owned(),
            ),
            PatroniError::Status { status: 401, .. } => Some(
                "the API wants credentials: set username and password in the patroni block \
                 (Patroni's restapi.authentication)"
                    .to_owned(),
            ),
            PatroniError::NoLeader { .. } => Some(
                "wait for the cluster to elect a leader (patronictl list), then run again"
                    .to_owned(),
            ),
            _ => None,
        }
    }
}

/// The REST API of one Patroni cluster.
#[derive(Clone)]
pub struct PatroniApi {
    urls: Vec<String>,
    agent: ureq::Agent,
    slow: ureq::Agent,
    /// `Basic …`, when credentials are declared.
    authorization: Option<Arc<str>>,
}

impl std::fmt::Debug for PatroniApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatroniApi")
            .field("urls", &self.urls)
            .finish_non_exhaustive()
    }
}

impl PatroniApi {
    /// Reads the TLS files the endpoint names; nothing is sent yet.
    pub fn new(endpoint: &PatroniEndpoint) -> Result<PatroniApi, PatroniError> {
        let tls = tls_config(endpoint)?;
        let agent_with = |timeout: Duration| -> ureq::Agent {
            ureq::Agent::config_builder()
                .timeout_connect(Some(CONNECT_TIMEOUT))
                .timeout_global(Some(timeout))
                .http_status_as_error(false)
                .tls_config(tls.clone())
                .build()
                .into()
        };
        let authorization = endpoint.username.as_ref().map(|user| {
            let password = endpoint
                .password
                .as_ref()
                .map(|p| p.expose().to_owned())
                .unwrap_or_default();
            Arc::from(format!(
                "Basic {}",
                B64.encode(format!("{user}:{password}"))
            ))
        });
        Ok(PatroniApi {
            urls: endpoint
                .urls
                .iter()
                .map(|u| u.trim_end_matches('/').to_owned())
                .collect(),
            agent: agent_with(REQUEST_TIMEOUT),
            slow: agent_with(RESTART_TIMEOUT),
            authorization,
        })
    }

    /// The first declared URL, for reports.
    pub fn url(&self) -> &str {
        self.urls.first().map_or("", String::as_str)
    }

    /// The cluster as the first API that answers sees it: members and
    /// the dynamic configuration.
    pub async fn view(&self) -> Result<PatroniView, PatroniError> {
        let mut attempts = Vec::new();
        for url in &self.urls {
            match self.send(url, "GET", "/cluster", None).await {
                Ok(body) => {
                    let members = cluster::members(url, &body)?;
                    let config = self.send(url, "GET", "/config", None).await?;
                    let (parameters, pg_hba) = cluster::dynamic_config(url, &config)?;
                    return Ok(PatroniView {
                        url: url.clone(),
                        members,
                        parameters,
                        pg_hba,
                    });
                }
                Err(PatroniError::Unreachable { attempts: mut why }) => attempts.append(&mut why),
                Err(other) => return Err(other),
            }
        }
        Err(PatroniError::Unreachable { attempts })
    }

    /// `PATCH /config` on `url`: the new dynamic configuration.
    pub async fn patch_config(&self, url: &str, body: &Value) -> Result<Value, PatroniError> {
        self.send(url, "PATCH", "/config", Some(body.to_string()))
            .await
    }

    /// Whether `url` takes a `PATCH /config` with these credentials: one
    /// that sets `loop_wait` (always in the dynamic configuration) to the
    /// value it has, which changes nothing (Patroni refuses an empty one).
    /// Asked before an apply changes anything, so a refused patch does not
    /// leave half an apply.
    pub async fn check_write_access(&self, url: &str) -> Result<(), PatroniError> {
        let config = self.send(url, "GET", "/config", None).await?;
        let Some(loop_wait) = config.get("loop_wait").cloned() else {
            return Ok(());
        };
        let same = serde_json::json!({ "loop_wait": loop_wait }).to_string();
        self.send(url, "PATCH", "/config", Some(same))
            .await
            .map(drop)
    }

    /// `POST /restart` on the member whose API is `api`; answers once its
    /// PostgreSQL is back.
    pub async fn restart(&self, api: &str) -> Result<(), PatroniError> {
        self.send(api, "POST", "/restart", Some("{}".to_owned()))
            .await
            .map(drop)
    }

    /// One request; a JSON answer (or `null` for an empty body) on 2xx.
    async fn send(
        &self,
        url: &str,
        method: &'static str,
        path: &'static str,
        body: Option<String>,
    ) -> Result<Value, PatroniError> {
        let agent = match path {
            "/restart" => self.slow.clone(),
            _ => self.agent.clone(),
        };
        let authorization = self.authorization.clone();
        let base = url.to_owned();
        let target = format!("{base}{path}");
        let request = format!("{method} {path}");
        let answer = tokio::task::spawn_blocking(move || {
            let mut response = match (method, body) {
                ("GET", _) => with_auth(agent.get(&target), authorization).call(),
                (_, body) => {
                    let builder = match method {
                        "PATCH" => agent.patch(&target),
                        _ => agent.post(&target),
                    };
                    with_auth(builder, authorization)
                        .header("Content-Type", "application/json")
                        .send(body.unwrap_or_default())
                }
            }?;
            let status = response.status().as_u16();
            let text = response.body_mut().read_to_string()?;
            Ok::<_, ureq::Error>((status, text))
        })
        .await
        .map_err(|e| PatroniError::Invalid {
            url: base.clone(),
            message: format!("{request}: {e}"),
        })?;
        let (status, text) = answer.map_err(|e| PatroniError::Unreachable {
            attempts: vec![format!("{base}: {request}: {e}")],
        })?;
        if !(200..300).contains(&status) {
            return Err(PatroniError::Status {
                url: base,
                request,
                status,
                body: crate::render::display_safe(text.trim())
                    .chars()
                    .take(300)
                    .collect(),
            });
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        // POST /restart may answer plain text ("restarted successfully").
        Ok(serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
}

fn with_auth<B>(
    builder: ureq::RequestBuilder<B>,
    authorization: Option<Arc<str>>,
) -> ureq::RequestBuilder<B> {
    match authorization {
        Some(value) => builder.header("Authorization", &*value),
        None => builder,
    }
}

/// The declared authority (else the public roots) and client certificate.
fn tls_config(endpoint: &PatroniEndpoint) -> Result<TlsConfig, PatroniError> {
    let mut builder = TlsConfig::builder();
    if let Some(path) = &endpoint.cacert {
        let pem = read(path)?;
        let roots: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
                _ => None,
            })
            .collect();
        if roots.is_empty() {
            return Err(PatroniError::Setup(format!(
                "cacert {}: no PEM certificate in it",
                path.display()
            )));
        }
        builder = builder.root_certs(RootCerts::new_with_certs(&roots));
    }
    if let (Some(cert), Some(key)) = (&endpoint.cert, &endpoint.key) {
        let chain: Vec<Certificate<'static>> = ureq::tls::parse_pem(&read(cert)?)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
                _ => None,
            })
            .collect();
        let key = PrivateKey::from_pem(&read(key)?)
            .map_err(|e| PatroniError::Setup(format!("key {}: {e}", key.display())))?;
        builder = builder.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
    }
    Ok(builder.build())
}

fn read(path: &Path) -> Result<Vec<u8>, PatroniError> {
    std::fs::read(path).map_err(|e| PatroniError::Setup(format!("{}: {e}", path.display())))
}
