//! The JSON Schemas pgfort publishes (`schema/` and `pgfort schema`),
//! generated from the Rust types: the documents it prints (plan, drift and
//! audit reports) from the very types it serializes, and the configuration
//! from typed descriptions of its blocks ([`config`]). A schema therefore
//! changes when a type does, and the committed files are checked against
//! what this module generates.

pub mod config;
mod expressions;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};
use serde_json::Value;

use crate::audit::Report;
use crate::render::PlanDoc;
use crate::render::drift::DriftReport;

/// Where the published schemas say they live (their `$id`s).
const ID_BASE: &str = "https://pgfort.dev/schema/";

/// One published schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    /// The configuration, in HCL's JSON form, for editors.
    Config,
    /// `pgfort plan --json` and `pgfort show --json`.
    Plan,
    /// `pgfort drift --format json`.
    Drift,
    /// `pgfort audit --format json`.
    Audit,
    /// `--env`: `plan --json`, `drift --format json`, `audit --format
    /// json` on every server of an environment.
    Fleet,
}

impl Document {
    pub const ALL: [Document; 5] = [
        Document::Config,
        Document::Plan,
        Document::Drift,
        Document::Audit,
        Document::Fleet,
    ];

    /// The name used on the command line and in file names.
    pub fn name(self) -> &'static str {
        match self {
            Document::Config => "config",
            Document::Plan => "plan",
            Document::Drift => "drift",
            Document::Audit => "audit",
            Document::Fleet => "fleet",
        }
    }

    /// `plan.schema.json`.
    pub fn file_name(self) -> String {
        format!("{}.schema.json", self.name())
    }

    fn title(self) -> &'static str {
        match self {
            Document::Config => "pgfort configuration",
            Document::Plan => "pgfort plan",
            Document::Drift => "pgfort drift",
            Document::Audit => "pgfort audit report",
            Document::Fleet => "pgfort fleet report",
        }
    }

    fn description(self) -> String {
        match self {
            Document::Config => "A pgfort configuration file in HCL's JSON form (what hcl2json \
                 prints for a *.hcl file): block type, then one level per label, then the \
                 block's body, or a list of bodies. Expressions are written as \"${...}\" \
                 strings."
                .to_owned(),
            Document::Plan => format!(
                "The document `pgfort plan --json` and `pgfort show --json` print \
                 (format_version {}). Sensitive values are never present: they read \
                 \"(sensitive)\".",
                crate::render::FORMAT_VERSION
            ),
            Document::Drift => format!(
                "The document `pgfort drift --format json` prints (format_version {}): what \
                 differs on the server from the configuration, grouped by kind of object. \
                 Sensitive values are never present: they read \"(sensitive)\".",
                crate::render::drift::FORMAT_VERSION
            ),
            Document::Audit => format!(
                "Output of `pgfort audit --format json` (format_version {}). Any change of \
                 shape bumps format_version.",
                crate::audit::report::FORMAT_VERSION
            ),
            Document::Fleet => format!(
                "The document `plan --json`, `drift --format json` and `audit --format json` \
                 print with --env (format_version {}): one entry per server of the \
                 environment, each with its status and the document the command prints for \
                 one server under `result`.",
                crate::fleet::FORMAT_VERSION
            ),
        }
    }

    /// The schema, as a JSON value.
    pub fn schema(self) -> Value {
        let mut schema = match self {
            Document::Config => config::schema(),
            Document::Plan => document_schema::<PlanDoc<'static>>(),
            Document::Drift => document_schema::<DriftReport>(),
            Document::Audit => document_schema::<Report>(),
            Document::Fleet => document_schema::<crate::fleet::FleetDoc<'static>>(),
        };
        let root = schema.ensure_object();
        root.insert(
            "$id".into(),
            format!("{ID_BASE}{}", self.file_name()).into(),
        );
        root.insert("title".into(), self.title().into());
        root.insert("description".into(), self.description().into());
        schema.to_value()
    }

    /// The schema as it is written to its file: pretty-printed, with a
    /// final newline.
    pub fn render(self) -> String {
        let mut text = serde_json::to_string_pretty(&self.schema())
            .unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}"));
        text.push('\n');
        text
    }
}

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Document {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Document::ALL
            .into_iter()
            .find(|document| document.name() == text)
            .ok_or_else(|| format!("unknown schema {text:?} (config, plan, drift, audit or fleet)"))
    }
}

/// The schema of a document pgfort writes: what it serializes to, so
/// fields left out when empty are not required.
fn document_schema<T: JsonSchema>() -> Schema {
    SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<T>()
}

/// Why the schemas could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("cannot create {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Writes `documents` into `dir` (created if needed), one file each;
/// returns the paths written.
pub fn write(dir: &Path, documents: &[Document]) -> Result<Vec<PathBuf>, SchemaError> {
    std::fs::create_dir_all(dir).map_err(|source| SchemaError::CreateDir {
        path: dir.to_owned(),
        source,
    })?;
    documents
        .iter()
        .map(|document| {
            let path = dir.join(document.file_name());
            std::fs::write(&path, document.render()).map_err(|source| SchemaError::Write {
                path: path.clone(),
                source,
            })?;
            Ok(path)
        })
        .collect()
}

#[cfg(test)]
mod tests;
