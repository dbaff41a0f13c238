//! Under Patroni: the settings and pg_hba rules go into its dynamic
//! configuration with one `PATCH /config`. Patroni then rewrites
//! postgresql.conf and pg_hba.conf on every member and reloads; apply waits
//! until the leader it is connected to runs with them, then makes sure a
//! fresh connection still gets in, and otherwise patches the previous
//! pg_hba lines back.

use std::time::{Duration, Instant};

use super::ApplyError;
use crate::connect::ConnectionSettings;
use crate::diff::patroni_rule_lines;
use crate::inspect::Db;
use crate::model::{HbaWrite, PatroniPatch};
use crate::patroni::PatroniApi;
use crate::render::display_safe;

/// How long Patroni may take to write and reload the leader's files (it
/// acts on a PATCH within its loop, `loop_wait`, 10 s by default).
const SETTLE_TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(200);

/// The configuration files' values, the leader's pg_hba.conf and when it
/// last loaded them.
const FILES: &str = "\
SELECT (SELECT COALESCE(jsonb_object_agg(lower(name), setting), '{}')::text FROM (
          SELECT DISTINCT ON (lower(name)) name, setting FROM pg_catalog.pg_file_settings
          WHERE name IS NOT NULL AND sourcefile NOT LIKE '%postgresql.auto.conf'
          ORDER BY lower(name), seqno DESC) last) AS settings,
       pg_catalog.pg_read_file(current_setting('hba_file')) AS hba,
       pg_catalog.pg_conf_load_time() >= $1::timestamptz AS reloaded";

/// The patch a plan sends and the API to send it to, once the API has
/// accepted the credentials: refused before anything is applied.
pub(super) async fn prepare<'a>(
    plan: &'a crate::plan::Plan,
    api: Option<&'a PatroniApi>,
) -> Result<Option<(&'a PatroniPatch, &'a PatroniApi)>, ApplyError> {
    let Some(patch) = &plan.patroni else {
        return Ok(None);
    };
    let Some(api) = api else {
        return Err(ApplyError {
            message: format!(
                "this plan patches the configuration of the Patroni cluster at {}, but no \
                 patroni block says how to reach it; nothing was applied",
                display_safe(&patch.url)
            ),
            ..Default::default()
        });
    };
    api.check_write_access(&patch.url)
        .await
        .map_err(|err| ApplyError {
            message: format!("Patroni: {err}; nothing was applied"),
            hint: err.hint(),
            ..Default::default()
        })?;
    Ok(Some((patch, api)))
}

/// Sends `patch`, waits for the leader to run with it, and checks that
/// pgfort still gets in after a pg_hba change. Returns what to report.
pub(super) async fn apply(
    db: &Db,
    settings: &ConnectionSettings,
    api: &PatroniApi,
    patch: &PatroniPatch,
    hba: Option<&HbaWrite>,
) -> Result<Vec<String>, ApplyError> {
    let sent_at: String = db
        .query_one("the server's clock", "SELECT now()::text")
        .await
        .map_err(|e| failure(format!("reading the server's clock: {e}")))?
        .get(0);
    api.patch_config(&patch.url, &patch.body())
        .await
        .map_err(|e| {
            failure(format!(
                "PATCH /config was refused, so nothing was changed in Patroni's configuration: {e}"
            ))
        })?;
    let started = Instant::now();
    settle(db, patch, &sent_at).await?;
    let mut notes = vec![format!(
        "Patroni at {}: dynamic configuration patched ({}); the leader reloaded it after {:.1} s, \
         and Patroni does the same on every member",
        display_safe(&patch.url),
        describe(patch),
        started.elapsed().as_secs_f64()
    )];
    if patch.pg_hba.is_some()
        && let Err(err) = crate::connect::connect(settings).await
    {
        let previous = hba.map(|write| patroni_rule_lines(&write.before));
        let restored = restore(db, api, patch, previous).await;
        return Err(failure(format!(
            "after Patroni loaded the new pg_hba rules, a fresh connection as pgfort was \
             refused ({err}); {restored}"
        )));
    }
    if patch.parameters.keys().any(|name| name.contains("ssl")) {
        notes.push("TLS settings changed: check that clients still connect".to_owned());
    }
    Ok(notes)
}

/// Waits until the leader's files hold what was patched and it has
/// reloaded them since.
async fn settle(db: &Db, patch: &PatroniPatch, sent_at: &str) -> Result<(), ApplyError> {
    let deadline = Instant::now() + SETTLE_TIMEOUT;
    loop {
        let last = match files_hold(db, patch, sent_at).await {
            Ok(None) => return Ok(()),
            Ok(Some(waiting)) => waiting,
            Err(err) => err,
        };
        if Instant::now() > deadline {
            return Err(failure(format!(
                "Patroni accepted the configuration, but after {} s the leader still does not \
                 run with it ({last}); Patroni's log on the leader says why (a node's own \
                 configuration file wins over the dynamic one)",
                SETTLE_TIMEOUT.as_secs()
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// `None` when the leader runs with `patch`, else what it still lacks.
async fn files_hold(
    db: &Db,
    patch: &PatroniPatch,
    sent_at: &str,
) -> Result<Option<String>, String> {
    let sent_at: &(dyn tokio_postgres::types::ToSql + Sync) = &sent_at;
    let rows = db
        .query(
            "the leader's configuration files",
            FILES,
            &[(sent_at, tokio_postgres::types::Type::TEXT)],
        )
        .await
        .map_err(|e| e.to_string())?;
    let Some(row) = rows.first() else {
        return Err("no answer".to_owned());
    };
    let files: serde_json::Value =
        serde_json::from_str(row.get::<_, &str>("settings")).map_err(|e| e.to_string())?;
    for (name, value) in &patch.parameters {
        let Some(value) = value else { continue };
        if files[name.as_str()].as_str() != Some(value.as_str()) {
            return Ok(Some(format!(
                "{name} is not {value} in postgresql.conf yet"
            )));
        }
    }
    if let Some(lines) = &patch.pg_hba {
        let text: Option<String> = row.get("hba");
        if text.map(|t| patroni_rule_lines(&t)).as_ref() != Some(lines) {
            return Ok(Some(
                "pg_hba.conf does not hold the new rules yet".to_owned(),
            ));
        }
    }
    if !row.get::<_, bool>("reloaded") {
        return Ok(Some(
            "the server has not reloaded its configuration yet".to_owned(),
        ));
    }
    Ok(None)
}

/// Patches the previous pg_hba lines back and says how that went.
async fn restore(
    db: &Db,
    api: &PatroniApi,
    patch: &PatroniPatch,
    previous: Option<Vec<String>>,
) -> String {
    let Some(previous) = previous.filter(|lines| !lines.is_empty()) else {
        return "the previous rules were not known, so they could not be put back: restore \
                postgresql.pg_hba with `patronictl edit-config`"
            .to_owned();
    };
    let back = PatroniPatch {
        url: patch.url.clone(),
        parameters: Default::default(),
        pg_hba: Some(previous),
    };
    if let Err(err) = api.patch_config(&back.url, &back.body()).await {
        return format!(
            "PUTTING THE PREVIOUS RULES BACK FAILED ({err}): restore postgresql.pg_hba with \
             `patronictl edit-config`"
        );
    }
    match settle(db, &back, "-infinity").await {
        Ok(()) => "the previous pg_hba rules were patched back and are live again".to_owned(),
        Err(err) => format!("the previous pg_hba rules were patched back, but {err}"),
    }
}

fn describe(patch: &PatroniPatch) -> String {
    let mut parts = Vec::new();
    if !patch.parameters.is_empty() {
        let names: Vec<&str> = patch.parameters.keys().map(String::as_str).collect();
        parts.push(format!(
            "postgresql.parameters: {}",
            crate::text::capped(names.iter().copied(), crate::text::NAMES_SHOWN)
        ));
    }
    if let Some(lines) = &patch.pg_hba {
        parts.push(format!("postgresql.pg_hba: {} rule(s)", lines.len()));
    }
    parts.join("; ")
}

fn failure(message: String) -> ApplyError {
    ApplyError {
        message: format!("Patroni: {message}"),
        ..Default::default()
    }
}
