//! SCRAM-SHA-256 verifiers: computed on the client so that the server only
//! ever receives a verifier, and recomputed with a stored salt to tell
//! whether a desired password equals the stored one.

use crate::model::Secret;

/// A fresh verifier with a random salt and 4096 iterations.
pub fn make_verifier(_password: &Secret) -> String {
    todo!()
}

/// Whether `password` produces the stored `verifier` (with its salt and
/// iteration count). A verifier that is not SCRAM-SHA-256 never matches.
pub fn matches(_verifier: &str, _password: &Secret) -> bool {
    todo!()
}

/// [`matches`] for many pairs, spread over the machine's cores.
pub fn matches_many(_pairs: &[(&str, &Secret)]) -> Vec<bool> {
    todo!()
}
