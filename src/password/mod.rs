//! SCRAM-SHA-256 verifiers: computed on the client so that the server only
//! ever receives a verifier, and recomputed with a stored salt to tell
//! whether a desired password equals the stored one.

use std::num::NonZeroU32;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ring::{digest, hmac, pbkdf2};

use crate::model::Secret;

#[cfg(test)]
mod tests;

/// The prefix PostgreSQL stores in `pg_authid.rolpassword` for SCRAM.
const PREFIX: &str = "SCRAM-SHA-256$";

/// The length of SHA-256 output, thus of StoredKey, ServerKey and SaltedPassword.
const KEY_LEN: usize = 32;

/// Below this many pairs, spawning threads costs more than it saves
/// (one PBKDF2 at 4096 iterations is about a millisecond).
const PARALLEL_THRESHOLD: usize = 4;

/// Iterations PostgreSQL uses by default (`scram_iterations`, 4096).
const ITERATIONS: NonZeroU32 = NonZeroU32::new(4096).expect("4096 is not zero");

/// Salt length PostgreSQL uses (`SCRAM_DEFAULT_SALT_LEN`).
const SALT_LEN: usize = 16;

/// A fresh verifier with a random salt and 4096 iterations, as the server
/// would store it: `SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>`.
/// PBKDF2 runs on ring's SHA-256, several times faster than a generic one;
/// should the system's random source fail, the driver's own code (with its
/// own random source) makes the verifier instead.
pub fn make_verifier(password: &Secret) -> String {
    let mut salt = [0u8; SALT_LEN];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut salt).is_err() {
        return postgres_protocol::password::scram_sha_256(password.expose().as_bytes());
    }
    let (stored_key, server_key) = keys(password, &salt, ITERATIONS);
    format!(
        "{PREFIX}{ITERATIONS}:{}${}:{}",
        B64.encode(salt),
        B64.encode(stored_key),
        B64.encode(server_key)
    )
}

/// A verifier with a given salt and iteration count: fixtures that must be
/// cheap to test against (one iteration) and the same in every run.
#[cfg(test)]
pub(crate) fn verifier_with(password: &Secret, salt: &[u8], iterations: u32) -> String {
    let iterations = NonZeroU32::new(iterations).unwrap_or(ITERATIONS);
    let (stored_key, server_key) = keys(password, salt, iterations);
    format!(
        "{PREFIX}{iterations}:{}${}:{}",
        B64.encode(salt),
        B64.encode(stored_key),
        B64.encode(server_key)
    )
}

/// Whether `password` produces the stored `verifier` (with its salt and
/// iteration count). A verifier that is not SCRAM-SHA-256 never matches.
pub fn matches(verifier: &str, password: &Secret) -> bool {
    let Some(parsed) = Parsed::parse(verifier) else {
        return false;
    };
    let (stored_key, server_key) = keys(password, &parsed.salt, parsed.iterations);
    // Evaluate both comparisons so timing does not tell which key differed.
    let stored_ok = constant_time_eq(&stored_key, &parsed.stored_key);
    let server_ok = constant_time_eq(&server_key, &parsed.server_key);
    stored_ok & server_ok
}

/// Whether any of `candidates` is the password behind a stored verifier of
/// role `role`: a SCRAM-SHA-256 verifier (recomputed with its salt and
/// iteration count, one PBKDF2 per candidate) or an md5 one
/// (`md5(password || role)`). Nothing is sent anywhere; clear text never
/// leaves this function.
pub fn matches_any(verifier: &str, role: &str, candidates: &[Secret]) -> bool {
    if let Some(parsed) = Parsed::parse(verifier) {
        return candidates.iter().any(|candidate| {
            let (stored_key, server_key) = keys(candidate, &parsed.salt, parsed.iterations);
            constant_time_eq(&stored_key, &parsed.stored_key)
                & constant_time_eq(&server_key, &parsed.server_key)
        });
    }
    if verifier.starts_with("md5") && verifier.len() == 35 {
        return candidates.iter().any(|candidate| {
            let hashed = postgres_protocol::password::md5(candidate.expose().as_bytes(), role);
            constant_time_eq(hashed.as_bytes(), verifier.as_bytes())
        });
    }
    false
}

/// [`matches`] for many pairs, spread over the machine's cores.
pub fn matches_many(pairs: &[(&str, &Secret)]) -> Vec<bool> {
    crate::parallel::map(pairs, PARALLEL_THRESHOLD, |(v, p)| matches(v, p))
}

/// The parts of a stored verifier needed to recompute it.
struct Parsed {
    iterations: NonZeroU32,
    salt: Vec<u8>,
    stored_key: Vec<u8>,
    server_key: Vec<u8>,
}

impl Parsed {
    /// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, or `None`
    /// for anything else (md5 hashes, clear text, truncated values).
    fn parse(verifier: &str) -> Option<Self> {
        let rest = verifier.strip_prefix(PREFIX)?;
        let (params, keys) = rest.split_once('$')?;
        let (iterations, salt) = params.split_once(':')?;
        let (stored_key, server_key) = keys.split_once(':')?;
        let iterations = iterations.parse::<u32>().ok().and_then(NonZeroU32::new)?;
        let salt = B64.decode(salt).ok()?;
        let stored_key = B64.decode(stored_key).ok()?;
        let server_key = B64.decode(server_key).ok()?;
        if salt.is_empty() || stored_key.len() != KEY_LEN || server_key.len() != KEY_LEN {
            return None;
        }
        Some(Parsed {
            iterations,
            salt,
            stored_key,
            server_key,
        })
    }
}

/// The bytes PostgreSQL hashes: SASLprep of the password, or the password
/// itself when SASLprep rejects it (as the server and libpq do).
fn prepared(password: &Secret) -> Vec<u8> {
    let clear = password.expose();
    match stringprep::saslprep(clear) {
        Ok(prepped) => prepped.into_owned().into_bytes(),
        Err(_) => clear.as_bytes().to_vec(),
    }
}

/// StoredKey and ServerKey for a password, salt and iteration count.
fn keys(password: &Secret, salt: &[u8], iterations: NonZeroU32) -> ([u8; KEY_LEN], [u8; KEY_LEN]) {
    let mut salted = [0u8; KEY_LEN];
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        salt,
        &prepared(password),
        &mut salted,
    );
    let key = hmac::Key::new(hmac::HMAC_SHA256, &salted);
    let client_key = hmac::sign(&key, b"Client Key");
    let server_key = hmac::sign(&key, b"Server Key");
    let stored_key = digest::digest(&digest::SHA256, client_key.as_ref());
    (to_array(stored_key.as_ref()), to_array(server_key.as_ref()))
}

/// Copies a SHA-256 sized output into a fixed array.
fn to_array(bytes: &[u8]) -> [u8; KEY_LEN] {
    let mut out = [0u8; KEY_LEN];
    out.iter_mut().zip(bytes).for_each(|(o, b)| *o = *b);
    out
}

/// Equality whose running time does not depend on where the inputs differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
