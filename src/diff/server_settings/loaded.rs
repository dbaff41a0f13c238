//! Written is not loaded: the files may say one value while the server
//! still runs another (ALTER SYSTEM or an edit without a reload, or a
//! reload that has not reached this session yet). The plan compares the
//! value the server runs (`pg_settings.setting`) with the one the files
//! give, so a value written but not loaded is a pending reload, never
//! "no change".

use super::super::parameters::{same, show};
use super::quoted;
use crate::model::{Context, Parameter, ServerSettings};
use crate::plan::{Action, AttributeChange, Change};

/// What PostgreSQL shows for `archive_command` while archiving is off.
const SHOWN_DISABLED: &str = "(disabled)";

/// How a setting whose files already give the wanted value stands.
pub(super) enum Loaded {
    /// The server runs it (or this session cannot tell).
    Yes,
    /// A reload would load it: the change that says so.
    ReloadPending(Box<Change>),
    /// A reload would not load it: the files cannot be applied.
    Refused(String),
}

/// The value the server runs `param` with, when this session shows the
/// server's value: not one the session, its role or its database chose,
/// nor one the command line fixes (which no file overrides), nor a
/// backend-context value that dates from before this session's last
/// reload. Restart-only settings are left to the pending restarts. A
/// value a show hook replaced (`archive_command` reads `(disabled)` while
/// `archive_mode` is off) says nothing about what was loaded.
pub(super) fn running<'a>(param: &'a Parameter, live: &ServerSettings) -> Option<&'a str> {
    if param.setting == SHOWN_DISABLED {
        return None;
    }
    let from_files = matches!(param.source.as_str(), "default" | "configuration file");
    let reloadable = match param.context {
        Context::Internal | Context::Postmaster => false,
        Context::Backend | Context::SuperuserBackend => !live.session_reloaded,
        Context::Sighup | Context::Superuser | Context::User => true,
    };
    (from_files && reloadable && live.files_readable).then_some(param.setting.as_str())
}

/// `name`'s files give `wanted` (with `reasons`): whether the server runs it.
pub(super) fn check(
    name: &str,
    wanted: &str,
    reasons: &[String],
    param: Option<&Parameter>,
    live: &ServerSettings,
) -> Loaded {
    let Some(param) = param else {
        return Loaded::Yes;
    };
    let Some(running) = running(param, live) else {
        return Loaded::Yes;
    };
    if same(Some(param), running, wanted) {
        return Loaded::Yes;
    }
    let shown = show(param, running);
    if live.unapplicable.contains(name) {
        return Loaded::Refused(format!(
            "setting.{name}: the configuration files say \"{wanted}\" but the server cannot apply \
             them (check the errors in pg_file_settings): it still runs \"{shown}\""
        ));
    }
    let mut change = Change::new(format!("setting.{name}"), Action::Update);
    change.attributes.push(AttributeChange::new(
        "value",
        Some(quoted(&shown)),
        Some(quoted(wanted)),
    ));
    change.reasons.extend(reasons.iter().cloned());
    change.reasons.push(format!(
        "the configuration files already say \"{wanted}\" but the server still runs \
         \"{shown}\": reload pending"
    ));
    Loaded::ReloadPending(Box::new(change))
}

/// Why a value about to be written differs from the running one too, when
/// the files hold a value the server has not loaded.
pub(super) fn unloaded_note(
    param: Option<&Parameter>,
    written: Option<&str>,
    live: &ServerSettings,
) -> Option<String> {
    let param = param?;
    let written = written?;
    let running = running(param, live)?;
    (!same(Some(param), running, written)).then(|| {
        format!(
            "\"{written}\" is written in the configuration files but not loaded: the server \
             still runs \"{}\"",
            show(param, running)
        )
    })
}
