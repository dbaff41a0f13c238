//! Settings that declared extensions need: their libraries in
//! `shared_preload_libraries` (merged with what is declared and with what
//! other configuration files load, never dropping someone else's library),
//! `compute_query_id` for pg_stat_statements (14+), `cron.database_name`
//! for pg_cron outside `postgres`.

use std::collections::BTreeMap;

use super::parameters::{parse, same, split_list};
use crate::model::{Preload, ServerSettings, ServerState, preload};

pub(super) const LIBRARIES: &str = "shared_preload_libraries";

/// Each preloaded library the desired state needs, with who needs it
/// (`extension pg_stat_statements in app`), by extension name.
pub(super) fn required(
    desired: &ServerState,
) -> BTreeMap<&'static str, (&'static Preload, Vec<String>)> {
    let mut out: BTreeMap<&'static str, (&'static Preload, Vec<String>)> = BTreeMap::new();
    let mut add = |name: &str, who: String| {
        if let Some(entry) = preload(name) {
            out.entry(entry.name)
                .or_insert((entry, Vec::new()))
                .1
                .push(who);
        }
    };
    for (database, catalog) in &desired.catalogs {
        for name in catalog.extensions.keys() {
            add(name, format!("extension {name} in {database}"));
        }
    }
    for name in &desired.settings.libraries {
        add(name, format!("extension {name}"));
    }
    out
}

/// The `shared_preload_libraries` list to write, or `None` when neither the
/// configuration nor an extension asks for it. The base is the declared
/// list, else the one in postgresql.auto.conf; libraries that
/// postgresql.conf (or an include) loads are kept, required ones added.
pub(super) fn libraries(
    declared: Option<&str>,
    live: &ServerSettings,
    required: &[&Preload],
) -> Option<Vec<String>> {
    if declared.is_none() && required.is_empty() {
        return None;
    }
    let base = declared.or_else(|| live.values.get(LIBRARIES).map(String::as_str));
    let others = live.configured.get(LIBRARIES).map(|c| c.value.as_str());
    let mut list: Vec<String> = Vec::new();
    let mut push = |library: &str| {
        if !library.is_empty() && !list.iter().any(|l| l == library) {
            list.push(library.to_owned());
        }
    };
    for entry in required.iter().filter(|entry| entry.first) {
        push(entry.library);
    }
    for library in [base, others].into_iter().flatten().flat_map(split_list) {
        push(&library);
    }
    for entry in required.iter().filter(|entry| !entry.first) {
        push(entry.library);
    }
    Some(list)
}

/// Libraries the running server has loaded that `list` leaves out, so the
/// plan can say what a restart would unload.
pub(super) fn unloaded(live: &ServerSettings, list: &[String]) -> Vec<String> {
    let running = live
        .parameters
        .get(LIBRARIES)
        .map(|p| split_list(&p.setting))
        .unwrap_or_default();
    running
        .into_iter()
        .filter(|library| !library.is_empty() && !list.contains(library))
        .collect()
}

/// `compute_query_id = auto` when pg_stat_statements is declared, the
/// server has the parameter (14+) and the files turn it off.
pub(super) fn query_id(live: &ServerSettings) -> Option<&'static str> {
    let param = live.parameters.get("compute_query_id")?;
    let current = live
        .configured_value("compute_query_id")
        .or(param.boot_val.as_deref())?;
    (same(Some(param), current, "off") || parse(param, current).is_err()).then_some("auto")
}

/// The database pg_cron must be told about, when not `postgres`.
pub(super) fn cron_database(desired: &ServerState) -> Option<&str> {
    desired
        .catalogs
        .iter()
        .find(|(_, catalog)| catalog.extensions.contains_key("pg_cron"))
        .map(|(database, _)| database.as_str())
        .filter(|database| *database != "postgres")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ConfiguredValue;

    fn live(auto_conf: Option<&str>, conf: Option<&str>) -> ServerSettings {
        let mut live = ServerSettings::default();
        if let Some(value) = auto_conf {
            live.values.insert(LIBRARIES.into(), value.into());
        }
        if let Some(value) = conf {
            live.configured.insert(
                LIBRARIES.into(),
                ConfiguredValue {
                    value: value.into(),
                    file: "/data/postgresql.conf".into(),
                },
            );
        }
        live
    }

    fn entries(names: &[&str]) -> Vec<&'static Preload> {
        names.iter().filter_map(|name| preload(name)).collect()
    }

    #[test]
    fn libraries_are_merged_never_dropped() {
        let pgss = entries(&["pg_stat_statements"]);
        assert_eq!(libraries(None, &live(None, None), &[]), None);
        assert_eq!(
            libraries(None, &live(None, None), &pgss),
            Some(vec!["pg_stat_statements".into()])
        );
        // Someone else's libraries, in postgresql.auto.conf or
        // postgresql.conf, stay.
        assert_eq!(
            libraries(None, &live(Some("pg_cron"), Some("timescaledb")), &pgss),
            Some(vec![
                "pg_cron".into(),
                "timescaledb".into(),
                "pg_stat_statements".into()
            ])
        );
        // A declared list replaces postgresql.auto.conf's, not postgresql.conf's.
        assert_eq!(
            libraries(
                Some("auto_explain"),
                &live(Some("pg_cron"), Some("timescaledb")),
                &pgss
            ),
            Some(vec![
                "auto_explain".into(),
                "timescaledb".into(),
                "pg_stat_statements".into()
            ])
        );
        // No duplicates; citus goes first.
        let both = entries(&["pg_stat_statements", "citus"]);
        assert_eq!(
            libraries(Some("pg_stat_statements"), &live(None, None), &both),
            Some(vec!["citus".into(), "pg_stat_statements".into()])
        );
    }
}
