//! The lines `pgfort show` prints above a saved plan: what it applies to,
//! what it was computed from, and how to apply it.

use std::fmt::Write;

use super::escape::display_safe;
use crate::plan::saved::SavedPlan;

/// The preamble of a saved plan, ending with a blank line.
pub fn render_saved_header(saved: &SavedPlan, file: &str) -> String {
    // A saved plan is a file anyone could have written: everything read
    // from it is escaped.
    let file = display_safe(file);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Saved plan {file}, made by pgfort {}",
        display_safe(&saved.pgfort_version)
    );
    let _ = writeln!(
        out,
        "  target:        {}",
        display_safe(&saved.target.describe())
    );
    let _ = writeln!(
        out,
        "  configuration: {} (sha256 {})",
        display_safe(&saved.configuration.directory),
        display_safe(short(&saved.configuration.digest))
    );
    let _ = writeln!(
        out,
        "  live state:    fingerprint {}, {} object digest(s)",
        display_safe(short(&saved.live.fingerprint)),
        saved.live.digests.len()
    );
    let _ = writeln!(
        out,
        "  apply with:    pgfort apply {file} (refused if the server changed since)\n"
    );
    out
}

/// The first 12 hex digits, enough to compare by eye.
fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}
