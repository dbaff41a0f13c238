//! The certificate the server serves against the one installed: the
//! server loads its certificate files only when it starts or reloads, and
//! keeps the previous SSL context when a reload cannot load them, so files
//! that are right on disk are not yet what clients get.

use crate::model::{InstalledSsl, ServedSsl};
use crate::plan::{Action, AttributeChange, Change};

/// Why the served certificate is not the installed one, when it is not.
pub(super) enum Served {
    Same,
    /// A reload is pending: the change that says so.
    Stale(Box<Change>),
    /// What was served could not be seen (a warning).
    Unseen(String),
}

/// Compares what the handshake showed with `ssl_cert_file`'s certificate.
pub(super) fn compare(installed: &InstalledSsl, address: &str) -> Served {
    let Some(cert) = &installed.certificate else {
        return Served::Same;
    };
    let (before, reason) = match &installed.served {
        ServedSsl::Unknown => return Served::Same,
        ServedSsl::Unreachable(why) => {
            return Served::Unseen(format!(
                "cannot tell which certificate the server serves ({why}): only the files were compared"
            ));
        }
        ServedSsl::Certificate(sha) if *sha == cert.sha256 => return Served::Same,
        ServedSsl::Certificate(sha) => (
            fingerprint(sha),
            "the server still serves the previous certificate: reload pending",
        ),
        ServedSsl::Plain => (
            "(no SSL)".to_owned(),
            "the server does not serve SSL with the installed certificate yet: reload pending",
        ),
    };
    let mut change = Change::new(address, Action::Update);
    change.attributes.push(AttributeChange::new(
        "served",
        Some(before),
        Some(fingerprint(&cert.sha256)),
    ));
    change.reasons.push(reason.to_owned());
    change.touches_access = true;
    Served::Stale(Box::new(change))
}

/// A short SHA-256 fingerprint, enough to tell two certificates apart.
fn fingerprint(sha256: &str) -> String {
    format!("\"sha256:{}…\"", sha256.get(..16).unwrap_or(sha256))
}
