//! The digest a saved plan carries over everything in it: the statements
//! with their phases and targets, the pg_hba.conf text, the certificate
//! work, pending restarts, the connection target and the live-state
//! fingerprints. `apply` and `show` refuse a file whose contents no longer
//! match it, so an edited statement is never run.
//!
//! What it proves: a plain SHA-256 digest detects edits and corruption,
//! not intent. Anyone who can edit the file can recompute it. With
//! `PGFORT_PLAN_KEY` set when the plan is saved and when it is applied, the
//! digest is an HMAC-SHA256 under that key instead, which only holders of
//! the key can produce; and with the key set, a plan without one is
//! refused, so a forger cannot fall back to the unkeyed digest.

use ring::{digest, hmac};
use serde_json::Value;

/// The environment variable holding the key of keyed plan digests.
pub const PLAN_KEY_ENV: &str = "PGFORT_PLAN_KEY";

/// The field of the file's JSON object holding the digest.
pub(super) const FIELD: &str = "digest";

const SHA256: &str = "sha256:";
const HMAC_SHA256: &str = "hmac-sha256:";

/// The key of an HMAC-SHA256 plan digest. Never printed.
#[derive(Clone)]
pub struct PlanKey(hmac::Key);

impl std::fmt::Debug for PlanKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlanKey(..)")
    }
}

impl PlanKey {
    pub fn new(secret: &[u8]) -> Self {
        PlanKey(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }

    /// The key from [`PLAN_KEY_ENV`] as `lookup` reads the environment;
    /// unset or empty means no key.
    pub fn from_env(lookup: &dyn Fn(&str) -> Option<String>) -> Option<Self> {
        lookup(PLAN_KEY_ENV)
            .filter(|value| !value.is_empty())
            .map(|value| PlanKey::new(value.as_bytes()))
    }
}

/// How a file's digest fails to vouch for its contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mismatch {
    /// Missing, or not of a known kind.
    Unreadable,
    /// The contents changed since the digest was computed.
    Changed,
    /// Keyed, and no key was given.
    KeyRequired,
    /// A key was given, and the digest is not keyed.
    KeyExpected,
}

/// The digest of `body` (the file's JSON object; its own digest field is
/// left out).
pub(super) fn compute(body: &Value, key: Option<&PlanKey>) -> String {
    let bytes = canonical(body);
    match key {
        Some(PlanKey(key)) => format!("{HMAC_SHA256}{}", hex(hmac::sign(key, &bytes).as_ref())),
        None => format!(
            "{SHA256}{}",
            hex(digest::digest(&digest::SHA256, &bytes).as_ref())
        ),
    }
}

/// Checks the digest `body` carries against its contents.
pub(super) fn verify(body: &Value, key: Option<&PlanKey>) -> Result<(), Mismatch> {
    let recorded = body
        .get(FIELD)
        .and_then(Value::as_str)
        .ok_or(Mismatch::Unreadable)?;
    let bytes = canonical(body);
    if let Some(tag) = recorded.strip_prefix(HMAC_SHA256) {
        let Some(PlanKey(key)) = key else {
            return Err(Mismatch::KeyRequired);
        };
        let tag = unhex(tag).ok_or(Mismatch::Changed)?;
        // Constant-time comparison.
        return hmac::verify(key, &bytes, &tag).map_err(|_| Mismatch::Changed);
    }
    if recorded.starts_with(SHA256) {
        if key.is_some() {
            return Err(Mismatch::KeyExpected);
        }
        return if recorded == compute(body, None) {
            Ok(())
        } else {
            Err(Mismatch::Changed)
        };
    }
    Err(Mismatch::Unreadable)
}

/// The JSON text the digest covers: the object without its digest field,
/// compact, keys in the order serde_json keeps them.
fn canonical(body: &Value) -> Vec<u8> {
    let mut body = body.clone();
    if let Value::Object(map) = &mut body {
        map.remove(FIELD);
    }
    // Serializing a `Value` cannot fail (its keys are strings).
    serde_json::to_vec(&body).unwrap_or_default()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}
