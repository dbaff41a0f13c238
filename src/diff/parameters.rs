//! Setting values read the way PostgreSQL reads them, with the parameter's
//! `pg_settings` entry: booleans, enums, numbers with units, bounds and
//! lists. Bad values are refused before anything is written, and spellings
//! that mean the same (`4GB`, `4096MB`, `524288`) compare equal.

use crate::config::suggest::did_you_mean;
use crate::model::units::{
    QuantityError, UnitKind, base_unit, display, parse_quantity, unit_names,
};
use crate::model::{Parameter, VarType};

/// Lists whose elements PostgreSQL quotes as identifiers (GUC_LIST_QUOTE).
const QUOTED_LISTS: &[&str] = &[
    "local_preload_libraries",
    "search_path",
    "session_preload_libraries",
    "shared_preload_libraries",
    "temp_tablespaces",
];

/// Comma-separated lists stored as written (GUC_LIST_INPUT), where only the
/// spacing between elements may differ.
const PLAIN_LISTS: &[&str] = &[
    "datestyle",
    "listen_addresses",
    "log_destination",
    "unix_socket_directories",
    "wal_consistency_checking",
];

/// Enum aliases PostgreSQL accepts without listing them in `enumvals`.
const ENUM_ALIASES: &[(&str, &str, &str)] = &[
    ("wal_level", "archive", "replica"),
    ("wal_level", "hot_standby", "replica"),
];

/// A value as the server understands it.
#[derive(Debug, Clone)]
pub(crate) enum Canonical {
    Bool(bool),
    /// In the base unit; integers already rounded.
    Number(f64),
    /// As `enumvals` spells it.
    Enum(String),
    Text(String),
    List(Vec<String>),
}

impl PartialEq for Canonical {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Canonical::Bool(a), Canonical::Bool(b)) => a == b,
            (Canonical::Number(a), Canonical::Number(b)) => {
                a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
            }
            (Canonical::Enum(a), Canonical::Enum(b)) => a == b,
            (Canonical::Text(a), Canonical::Text(b)) => a == b,
            (Canonical::List(a), Canonical::List(b)) => a == b,
            _ => false,
        }
    }
}

/// Why a value is refused, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    pub message: String,
    pub hint: Option<String>,
}

impl Invalid {
    fn new(message: String, hint: Option<String>) -> Self {
        Invalid { message, hint }
    }
}

/// Reads `value` as `param` would.
pub(crate) fn parse(param: &Parameter, value: &str) -> Result<Canonical, Invalid> {
    let name = param.name.as_str();
    match param.vartype {
        VarType::Bool => parse_bool(value.trim())
            .map(Canonical::Bool)
            .ok_or_else(|| {
                Invalid::new(
                    format!("invalid value \"{value}\" for {name}: expected a boolean"),
                    Some("write true or false (or on, off, yes, no, 1, 0)".to_owned()),
                )
            }),
        VarType::Enum => parse_enum(param, value.trim()).map(Canonical::Enum),
        VarType::Integer | VarType::Real => parse_number(param, value),
        VarType::String if QUOTED_LISTS.contains(&name) || PLAIN_LISTS.contains(&name) => {
            Ok(Canonical::List(split_list(value)))
        }
        VarType::String => match parse_bool(value.trim()) {
            // A former boolean that became a string keeps its boolean
            // spellings (log_connections on PostgreSQL 18).
            Some(flag) if BOOLEAN_SPELLINGS.contains(&name) => Ok(Canonical::Bool(flag)),
            _ => Ok(Canonical::Text(value.to_owned())),
        },
    }
}

/// String parameters that still accept on/off/yes/no/true/false/1/0 as
/// spellings of the same value.
const BOOLEAN_SPELLINGS: &[&str] = &["log_connections"];

/// The text to write for a valid `value`: booleans as `on`/`off`, enums
/// as listed; anything else as written.
pub(crate) fn write_form(param: Option<&Parameter>, value: &str) -> String {
    match param.map(|p| parse(p, value)) {
        Some(Ok(Canonical::Bool(true))) => "on".to_owned(),
        Some(Ok(Canonical::Bool(false))) => "off".to_owned(),
        Some(Ok(Canonical::Enum(spelling))) => spelling,
        Some(Ok(Canonical::Number(_))) => value.trim().to_owned(),
        _ => value.to_owned(),
    }
}

/// Whether `a` and `b` mean the same for `param`; without a catalog entry
/// (an extension's setting that is not loaded) only the same text does.
pub(crate) fn same(param: Option<&Parameter>, a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match param.map(|p| (parse(p, a), parse(p, b))) {
        Some((Ok(x), Ok(y))) => x == y,
        _ => false,
    }
}

/// Parameters whose value is a file mode, which `SHOW` prints in octal.
const OCTAL: &[&str] = &[
    "unix_socket_permissions",
    "log_file_mode",
    "data_directory_mode",
];

/// A value in the base unit (as `pg_settings.setting` holds it) as `SHOW`
/// prints it.
pub(crate) fn show(param: &Parameter, base_value: &str) -> String {
    // File modes: SHOW prints them in octal, as people write them.
    if OCTAL.contains(&param.name.as_str())
        && let Ok(mode) = base_value.trim().parse::<u32>()
    {
        return format!("{mode:04o}");
    }
    match (&param.unit, base_value.trim().parse::<f64>()) {
        (Some(unit), Ok(number)) => display(number, unit),
        _ => base_value.to_owned(),
    }
}

/// `parse_bool`: true, false, yes, no (and unique prefixes), on, off, 1, 0.
pub(crate) fn parse_bool(value: &str) -> Option<bool> {
    let lower = value.to_ascii_lowercase();
    let prefix_of = |word: &str, min: usize| lower.len() >= min && word.starts_with(&lower);
    if prefix_of("true", 1) || prefix_of("yes", 1) || lower == "on" || lower == "1" {
        Some(true)
    } else if prefix_of("false", 1) || prefix_of("no", 1) || prefix_of("off", 2) || lower == "0" {
        Some(false)
    } else {
        None
    }
}

fn parse_enum(param: &Parameter, value: &str) -> Result<String, Invalid> {
    if let Some(found) = param
        .enumvals
        .iter()
        .find(|option| option.eq_ignore_ascii_case(value))
    {
        return Ok(found.clone());
    }
    let has = |word: &str| param.enumvals.iter().any(|option| option == word);
    if has("on") && has("off") {
        match parse_bool(value) {
            Some(true) => return Ok("on".to_owned()),
            Some(false) => return Ok("off".to_owned()),
            None => {}
        }
    }
    if let Some((_, _, target)) = ENUM_ALIASES
        .iter()
        .find(|(name, alias, _)| *name == param.name && alias.eq_ignore_ascii_case(value))
    {
        return Ok((*target).to_owned());
    }
    let listed = param.enumvals.join(", ");
    let hint = match did_you_mean(
        &value.to_ascii_lowercase(),
        param.enumvals.iter().map(String::as_str),
    ) {
        Some(suggestion) => format!("{suggestion} valid values: {listed}"),
        None => format!("valid values: {listed}"),
    };
    Err(Invalid::new(
        format!("invalid value \"{value}\" for {}", param.name),
        Some(hint),
    ))
}

fn parse_number(param: &Parameter, value: &str) -> Result<Canonical, Invalid> {
    let name = param.name.as_str();
    let integer = param.vartype == VarType::Integer;
    let base = param.unit.as_deref().and_then(base_unit);
    let number = parse_quantity(value, base, integer).map_err(|error| {
        let (message, hint) = match error {
            QuantityError::NotANumber => (
                format!("invalid value \"{value}\" for {name}: expected a number"),
                units_hint(param, base.map(|(kind, _)| kind)),
            ),
            QuantityError::UnexpectedUnit(unit) => (
                format!(
                    "invalid value \"{value}\" for {name}: it takes no unit, \"{unit}\" was given"
                ),
                Some(format!("write a plain number, e.g. {}", param.setting)),
            ),
            QuantityError::BadUnit(unit) => (
                format!(
                    "invalid value \"{value}\" for {name}: \"{unit}\" is not a unit it accepts"
                ),
                units_hint(param, base.map(|(kind, _)| kind)),
            ),
        };
        Invalid::new(message, hint)
    })?;
    let number = if integer { number.round() } else { number };
    let bound = |text: &Option<String>| text.as_deref().and_then(|t| t.trim().parse::<f64>().ok());
    let (min, max) = (bound(&param.min), bound(&param.max));
    if min.is_some_and(|min| number < min) || max.is_some_and(|max| number > max) {
        let shown = |bound: Option<f64>| match bound {
            Some(bound) => show(param, &crate::model::units::plain(bound)),
            None => "?".to_owned(),
        };
        return Err(Invalid::new(
            format!(
                "{name} = \"{value}\" is outside the valid range {} .. {}",
                shown(min),
                shown(max)
            ),
            param
                .unit
                .as_ref()
                .map(|unit| format!("bare numbers are in units of {unit}")),
        ));
    }
    Ok(Canonical::Number(number))
}

fn units_hint(param: &Parameter, kind: Option<UnitKind>) -> Option<String> {
    let unit = param.unit.as_deref()?;
    let kind = kind?;
    let names = unit_names(kind);
    Some(format!(
        "use a number with one of {} (case matters), or a bare number of {unit}",
        names.join(", ")
    ))
}

pub(crate) use crate::sql::settings::split_list;

#[cfg(test)]
pub(super) mod tests;
