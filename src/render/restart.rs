//! Restart-only settings in the plan text: the ones a change writes, and
//! the ones already written that the running server does not use yet.

use std::fmt::Write;

use super::escape::display_safe;
use crate::model::PendingRestart;

/// The marker under a change's header.
pub(super) const REQUIRES_RESTART: &str = "  # requires restart";

/// "Restart pending" and one line per setting; nothing when none.
pub(super) fn pending(pending: &[PendingRestart], heading: &str, out: &mut String) {
    if pending.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{heading} PostgreSQL must restart to use these configured values:"
    );
    for item in pending {
        let _ = writeln!(
            out,
            "  {}: running {}, configured {}",
            display_safe(&item.setting),
            shown(&item.running),
            shown(&item.configured)
        );
    }
    out.push('\n');
}

fn shown(value: &str) -> String {
    if value.is_empty() {
        "\"\"".to_owned()
    } else {
        display_safe(value).into_owned()
    }
}
