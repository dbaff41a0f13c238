//! Server settings as a `settings` block: the entries of
//! postgresql.auto.conf (`ALTER SYSTEM`), which is exactly what the block
//! manages. Values set in postgresql.conf are the server's baseline, not
//! exported: a plan compares declared values with them anyway.

use std::collections::BTreeMap;

use super::Section;
use super::context::Context;
use super::hcl::{Block, Body, Value};
use crate::model::{Parameter, ServerSettings, VarType};

/// The list PostgreSQL merges across files; see [`libraries_note`].
const LIBRARIES: &str = "shared_preload_libraries";

/// `settings.hcl`.
pub(super) fn section(context: &Context<'_>) -> Section {
    let live = &context.state.settings;
    let mut notes = Vec::new();
    let mut body = Body::new();
    if !live.files_readable {
        notes.push(
            "pg_file_settings is not readable (it needs superuser): no ALTER SYSTEM setting is exported"
                .to_owned(),
        );
        return Section { body, notes };
    }
    let mut plain: Vec<(String, Value)> = Vec::new();
    let mut prefixed: BTreeMap<&str, Vec<(String, Value)>> = BTreeMap::new();
    for (name, text) in &live.values {
        if !writable_name(name) {
            notes.push(format!(
                "{name} in postgresql.auto.conf is left out: a settings block names settings with \
                 letters, digits and _ (and one dot)"
            ));
            continue;
        }
        if let Some(error) = refused(live, name) {
            notes.push(format!(
                "{name} = \"{text}\" in postgresql.auto.conf is left out: the server refuses it ({error})"
            ));
            continue;
        }
        let value = typed(live.parameters.get(name), text);
        match name.split_once('.') {
            Some((prefix, rest)) => prefixed
                .entry(prefix)
                .or_default()
                .push((rest.to_owned(), value)),
            None => plain.push((name.clone(), value)),
        }
    }
    notes.extend(libraries_note(live));
    if plain.is_empty() && prefixed.is_empty() {
        return Section { body, notes };
    }
    let mut block = Block::new("settings");
    block.body.comment(
        "The entries of postgresql.auto.conf (ALTER SYSTEM); postgresql.conf is not exported.",
    );
    let mut entries: Vec<(String, Value)> = plain;
    entries.extend(
        prefixed
            .into_iter()
            .map(|(prefix, values)| (prefix.to_owned(), Value::Map(values))),
    );
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, value) in entries {
        block.body.attr_named(&name, value);
    }
    body.block(block);
    Section { body, notes }
}

/// What a settings block accepts as a name (and an HCL attribute holds).
fn writable_name(name: &str) -> bool {
    let part = |part: &str| {
        let mut chars = part.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() <= 2 && parts.into_iter().all(part)
}

/// The server's complaint about an entry of postgresql.auto.conf.
fn refused<'a>(live: &'a ServerSettings, name: &str) -> Option<&'a str> {
    live.file_errors
        .iter()
        .find(|e| e.name.as_deref() == Some(name) && e.file.ends_with("postgresql.auto.conf"))
        .map(|e| e.error.as_str())
}

/// Booleans and unit-less integers as HCL values, everything else as the
/// text the file holds (which the block reads back unchanged).
fn typed(parameter: Option<&Parameter>, text: &str) -> Value {
    let Some(parameter) = parameter else {
        return Value::from(text);
    };
    match parameter.vartype {
        VarType::Bool => match text.to_ascii_lowercase().as_str() {
            "on" | "true" | "yes" | "1" => Value::Bool(true),
            "off" | "false" | "no" | "0" => Value::Bool(false),
            _ => Value::from(text),
        },
        VarType::Integer if parameter.unit.is_none() => text
            .parse::<i64>()
            .ok()
            .filter(|n| n.to_string() == text)
            .map_or_else(|| Value::from(text), Value::Int),
        _ => Value::from(text),
    }
}

/// A declared `shared_preload_libraries` is merged with the libraries
/// postgresql.conf loads; when postgresql.auto.conf leaves some out, the
/// merged list differs from it and plans show the difference.
fn libraries_note(live: &ServerSettings) -> Option<String> {
    let auto = live.values.get(LIBRARIES)?;
    let others = live.configured.get(LIBRARIES)?;
    let listed = |text: &str| -> Vec<String> {
        text.split(',')
            .map(|l| l.trim().trim_matches('"').to_owned())
            .filter(|l| !l.is_empty())
            .collect()
    };
    let auto_list = listed(auto);
    let missing: Vec<String> = listed(&others.value)
        .into_iter()
        .filter(|l| !auto_list.contains(l))
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "shared_preload_libraries: {} loads {} too, which a declared list keeps: the next \
             plan adds it to postgresql.auto.conf (no change in effect)",
            others.file,
            missing.join(", ")
        )
    })
}
