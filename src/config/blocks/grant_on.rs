//! The `on` attribute of a `grant` block: a map whose keys say what the
//! privileges apply to. Each allowed combination of keys is one
//! [`GrantTarget`]; any other is refused at the key that breaks it.

use super::common::{check_name, check_unique, name, name_list, text_list};
use crate::config::error::{ConfigError, Location, Result};
use crate::config::normalize::signature::{self, SignatureError};
use crate::config::reader::unknown_name;
use crate::config::suggest::did_you_mean;
use crate::config::value::{MapEntry, Node};
use crate::model::{DefaultKind, GrantTarget, ObjectKind};

const KEYS: &[&str] = &[
    "database",
    "schema",
    "schemas",
    "tables",
    "views",
    "sequences",
    "functions",
    "procedures",
    "types",
    "table",
    "columns",
    "all",
];

/// Keys that choose objects within schemas; at most one per grant.
const SELECTORS: &[&str] = &[
    "tables",
    "views",
    "sequences",
    "functions",
    "procedures",
    "types",
    "table",
    "all",
];

const ALL_KINDS: &[(&str, DefaultKind)] = &[
    ("tables", DefaultKind::Tables),
    ("sequences", DefaultKind::Sequences),
    ("functions", DefaultKind::Functions),
    ("types", DefaultKind::Types),
];

/// The shapes `on` may take, for hints.
pub(super) const SHAPES: &str = "on is one of: { database }, { database, schema or schemas }, \
{ database, schema, tables|views|sequences|functions|procedures|types = [...] }, \
{ database, schema, table, columns = [...] }, \
{ database, schema or schemas, all = \"tables|sequences|functions|types\" }";

/// The target `node` describes. `All` targets get no owners here.
pub(super) fn decode(node: &Node) -> Result<GrantTarget> {
    node.require_plain("on")?;
    let entries = node.to_map("on").map_err(|err| err.with_hint(SHAPES))?;
    let mut found: Vec<(&'static str, &MapEntry)> = Vec::new();
    for entry in entries.iter().filter(|entry| !entry.value.is_null()) {
        let Some(key) = KEYS.iter().find(|key| **key == entry.key) else {
            let err = unknown_name(entry.key_location.clone(), "key", &entry.key, "on", KEYS);
            return Err(match err.hint {
                Some(_) => err,
                None => err.with_hint(SHAPES),
            });
        };
        found.push((key, entry));
    }
    let get = |key: &str| found.iter().find(|(k, _)| *k == key).map(|(_, e)| *e);

    let database = match get("database") {
        Some(entry) => name(&entry.value, "on.database", "database")?,
        None => {
            return Err(
                ConfigError::at(node.location.clone(), "on needs a database key").with_hint(SHAPES),
            );
        }
    };
    let schemas = schemas(get("schema"), get("schemas"))?;
    let selectors: Vec<&MapEntry> = found
        .iter()
        .filter(|(key, _)| SELECTORS.contains(key))
        .map(|(_, entry)| *entry)
        .collect();
    if let [first, second, ..] = selectors.as_slice() {
        return Err(ConfigError::at(
            second.key_location.clone(),
            format!(
                "on takes one of {}, not both \"{}\" and \"{}\"",
                SELECTORS.join(", "),
                first.key,
                second.key
            ),
        )
        .with_hint("write one grant block per kind of object"));
    }
    let selector = selectors.first().copied();
    if let Some(columns) = get("columns")
        && selector.is_none_or(|entry| entry.key != "table")
    {
        return Err(ConfigError::at(
            columns.key_location.clone(),
            "columns needs a table key naming their table",
        )
        .with_hint(
            "write on = { database = \"db\", schema = \"s\", table = \"t\", columns = [\"c\"] }",
        ));
    }
    let Some(selector) = selector else {
        return Ok(match schemas {
            Some((schemas, _)) => GrantTarget::Schemas {
                database,
                schemas: schemas.into_iter().map(|(name, _)| name).collect(),
            },
            None => GrantTarget::Database { database },
        });
    };
    let Some((schemas, schemas_location)) = schemas else {
        return Err(ConfigError::at(
            selector.key_location.clone(),
            format!("{} needs a schema key", selector.key),
        )
        .with_hint(SHAPES));
    };
    let mut schemas: Vec<String> = schemas.into_iter().map(|(name, _)| name).collect();
    if selector.key == "all" {
        let kind = all_kind(&selector.value)?;
        return Ok(GrantTarget::All {
            database,
            schemas,
            kind,
            owners: Vec::new(),
        });
    }
    if schemas.len() != 1 {
        return Err(ConfigError::at(
            schemas_location,
            format!(
                "{} needs exactly one schema, got {}",
                selector.key,
                schemas.len()
            ),
        )
        .with_hint("write schema = \"NAME\", and one grant block per schema"));
    }
    let schema = schemas.remove(0);
    if selector.key == "table" {
        let table = name(&selector.value, "on.table", "table")?;
        let Some(columns) = get("columns") else {
            return Err(ConfigError::at(
                selector.key_location.clone(),
                "table needs a columns key (privileges on columns of the table)",
            )
            .with_hint(format!(
                "for privileges on the whole table, write tables = [\"{table}\"]"
            )));
        };
        let columns = name_list(&columns.value, "on.columns", "column")?;
        check_unique(&columns, "on.columns")?;
        return Ok(GrantTarget::Columns {
            database,
            schema,
            table,
            columns: columns.into_iter().map(|(name, _)| name).collect(),
        });
    }
    let (kind, noun) = match selector.key.as_str() {
        "tables" | "views" => (ObjectKind::Table, "table"),
        "sequences" => (ObjectKind::Sequence, "sequence"),
        "functions" => (ObjectKind::Function, "function"),
        "procedures" => (ObjectKind::Function, "procedure"),
        _ => (ObjectKind::Type, "type"),
    };
    let what = format!("on.{}", selector.key);
    let names = if kind == ObjectKind::Function {
        let mut signatures = text_list(&selector.value, &what, noun)?;
        for (text, location) in &mut signatures {
            *text = function_signature(text, location, noun)?;
        }
        signatures
    } else {
        name_list(&selector.value, &what, noun)?
    };
    check_unique(&names, &what)?;
    Ok(GrantTarget::Objects {
        database,
        schema,
        kind,
        names: names.into_iter().map(|(name, _)| name).collect(),
    })
}

type Schemas = Option<(Vec<(String, Location)>, Location)>;

/// `schema = "s"` or `schemas = [...]`, with where they were written.
fn schemas(schema: Option<&MapEntry>, schemas: Option<&MapEntry>) -> Result<Schemas> {
    match (schema, schemas) {
        (Some(_), Some(both)) => Err(ConfigError::at(
            both.key_location.clone(),
            "on takes schema or schemas, not both",
        )),
        (Some(one), None) => {
            let schema = name(&one.value, "on.schema", "schema")?;
            let location = one.value.location.clone();
            Ok(Some((vec![(schema, location.clone())], location)))
        }
        (None, Some(many)) => {
            let list = name_list(&many.value, "on.schemas", "schema")?;
            check_unique(&list, "on.schemas")?;
            Ok(Some((list, many.value.location.clone())))
        }
        (None, None) => Ok(None),
    }
}

fn all_kind(node: &Node) -> Result<DefaultKind> {
    let text = node.to_text("on.all")?;
    let names = ALL_KINDS.iter().map(|(name, _)| *name);
    match ALL_KINDS.iter().find(|(name, _)| *name == text) {
        Some((_, kind)) => Ok(*kind),
        None => Err(ConfigError::at(
            node.location.clone(),
            format!(
                "invalid all \"{text}\", expected one of: {}",
                names.clone().collect::<Vec<_>>().join(", ")
            ),
        )
        .with_optional_hint(did_you_mean(&text, names))),
    }
}

/// The normalised signature; the name before `(` is checked as a name.
fn function_signature(text: &str, location: &Location, noun: &str) -> Result<String> {
    let normalized = signature::normalize(text).map_err(|err| match err {
        SignatureError::NoArguments => ConfigError::at(
            location.clone(),
            format!("{noun} \"{text}\" needs its argument types, which identify it"),
        )
        .with_hint(format!(
            "write the argument types: \"{name}(integer)\", or \"{name}()\" for none",
            name = text.trim()
        )),
        SignatureError::Invalid(reason) => ConfigError::at(
            location.clone(),
            format!("invalid {noun} signature \"{text}\": {reason}"),
        ),
    })?;
    let function_name = normalized.split('(').next().unwrap_or_default();
    check_name(noun, function_name, location)?;
    Ok(normalized)
}
