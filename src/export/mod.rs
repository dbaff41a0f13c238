//! `pgfort export`: the live server as a configuration directory, for
//! adopting a server pgfort did not create. A plan of the exported files
//! against the same server is empty.
//!
//! Reading uses the same bulk inspection as `plan`, twice: first the
//! cluster-wide catalogs (to learn the roles and databases), then the
//! contents of the chosen databases with every role managed. The files
//! are produced by [`render`], a pure function of what was read, through
//! the typed writer in [`hcl`] and `pgfort fmt`'s layout; [`write`] is the
//! only I/O. Passwords are never read into the files: roles that have one
//! keep it (`keep_password = true`). What the configuration language
//! cannot say is written as a comment in the file it concerns and
//! returned in [`Export::notes`].

mod collapse;
mod connection;
mod context;
mod databases;
mod error;
mod extensions;
mod files;
mod grant_blocks;
mod grants;
pub(crate) mod hba;
pub mod hcl;
mod policies;
mod roles;
mod settings;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::Error;
use crate::connect::ConnectionSettings;
use crate::inspect::{self, Db, InspectScope};
use crate::model::{ServerFacts, ServerState};

pub use connection::ConnectionHint;
use context::Context;
pub use error::ExportError;
pub use files::{Written, write};

/// What an export may describe; each kind is one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Roles,
    Databases,
    Grants,
    Policies,
    Settings,
    Hba,
    Extensions,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Roles,
        Kind::Databases,
        Kind::Grants,
        Kind::Policies,
        Kind::Settings,
        Kind::Hba,
        Kind::Extensions,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Roles => "roles",
            Kind::Databases => "databases",
            Kind::Grants => "grants",
            Kind::Policies => "policies",
            Kind::Settings => "settings",
            Kind::Hba => "hba",
            Kind::Extensions => "extensions",
        }
    }

    /// The file the kind is written to.
    pub fn file_name(self) -> String {
        format!("{}.hcl", self.as_str())
    }

    fn title(self) -> &'static str {
        match self {
            Kind::Roles => "Roles",
            Kind::Databases => "Databases and schemas",
            Kind::Grants => "Grants",
            Kind::Policies => "Row-level security",
            Kind::Settings => "Server settings",
            Kind::Hba => "pg_hba.conf",
            Kind::Extensions => "Extensions",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown kind {text:?} (expected {})", names.join(", "))
            })
    }
}

/// What to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRequest {
    /// Databases to describe; empty: every database that accepts
    /// connections and is not a template.
    pub databases: Vec<String>,
    pub include: BTreeSet<Kind>,
}

impl Default for ExportRequest {
    fn default() -> Self {
        ExportRequest {
            databases: Vec::new(),
            include: Kind::ALL.into_iter().collect(),
        }
    }
}

/// One file of an export, formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    pub name: String,
    pub text: String,
}

/// The files, and what they could not express.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    pub files: Vec<ExportFile>,
    pub notes: Vec<String>,
    /// Queries the inspections made.
    pub round_trips: u64,
}

/// Part of a file: blocks, and notes on what they leave out.
pub(crate) struct Section {
    pub body: hcl::Body,
    pub notes: Vec<String>,
}

/// Reads the server on `db` (other databases through `settings`) and
/// renders the export. Read-only.
pub async fn export(
    db: &Db,
    settings: &ConnectionSettings,
    request: &ExportRequest,
) -> Result<Export, Error> {
    check_kinds(&request.include)?;
    let first = inspect::inspect(db, settings, &InspectScope::default()).await?;
    let databases = choose_databases(&first.state, &request.databases)?;
    let scope = InspectScope {
        managed_roles: first
            .state
            .roles
            .keys()
            .filter(|name| !name.starts_with("pg_"))
            .cloned()
            .collect(),
        include_public: false,
        databases: databases.clone(),
        tables: Default::default(),
        hba: request.include.contains(&Kind::Hba),
        rls_tables: request.include.contains(&Kind::Policies),
        ssl: false,
        extensions: false,
    };
    let live = inspect::inspect(db, settings, &scope).await?;
    let source = Source {
        state: &live.state,
        facts: &live.facts,
        include: &request.include,
        databases: &databases,
        connection: Some(ConnectionHint::of(settings)),
    };
    let (files, notes) = render(&source)?;
    Ok(Export {
        files,
        notes,
        round_trips: first.round_trips + live.round_trips,
    })
}

/// Grants and policies name roles, which must then be declared.
fn check_kinds(include: &BTreeSet<Kind>) -> Result<(), ExportError> {
    if include.contains(&Kind::Roles) {
        return Ok(());
    }
    let needing: Vec<&str> = [Kind::Grants, Kind::Policies]
        .into_iter()
        .filter(|kind| include.contains(kind))
        .map(Kind::as_str)
        .collect();
    if needing.is_empty() {
        Ok(())
    } else {
        Err(ExportError::NeedsRoles(needing.join(" and ")))
    }
}

/// The requested databases (each must exist and accept connections), or
/// every one that accepts connections and is not a template.
fn choose_databases(state: &ServerState, requested: &[String]) -> Result<Vec<String>, ExportError> {
    if requested.is_empty() {
        return Ok(state
            .databases
            .values()
            .filter(|db| db.allow_connections && !db.is_template)
            .map(|db| db.name.clone())
            .collect());
    }
    let mut chosen = BTreeSet::new();
    for name in requested {
        match state.databases.get(name) {
            None => return Err(ExportError::UnknownDatabase(name.clone())),
            Some(db) if !db.allow_connections => {
                return Err(ExportError::NoConnections(name.clone()));
            }
            Some(_) => {
                chosen.insert(name.clone());
            }
        }
    }
    Ok(chosen.into_iter().collect())
}

/// Everything [`render`] reads.
pub struct Source<'a> {
    pub state: &'a ServerState,
    pub facts: &'a ServerFacts,
    pub include: &'a BTreeSet<Kind>,
    /// The databases to describe (their contents must be in `state`).
    pub databases: &'a [String],
    /// For `connection.hcl`; none is written without it.
    pub connection: Option<ConnectionHint>,
}

/// The files of an export of `source`, each in `pgfort fmt`'s layout, and
/// the notes on what they leave out. Pure.
pub fn render(source: &Source<'_>) -> Result<(Vec<ExportFile>, Vec<String>), ExportError> {
    let context = Context::new(source.state, source.facts, source.include, source.databases);
    let mut files = Vec::new();
    let mut all_notes = Vec::new();
    for kind in Kind::ALL.into_iter().filter(|k| source.include.contains(k)) {
        let section = match kind {
            Kind::Roles => roles::section(&context),
            Kind::Databases => databases::section(&context),
            Kind::Grants => grants::section(&context),
            Kind::Policies => policies::section(&context),
            Kind::Settings => settings::section(&context),
            Kind::Hba => hba::section(source.state.hba.as_ref()),
            Kind::Extensions => extensions::section(&context),
        };
        all_notes.extend(
            section
                .notes
                .iter()
                .map(|note| format!("{}: {note}", kind.file_name())),
        );
        if !section.body.has_blocks() && section.notes.is_empty() {
            continue;
        }
        let text = file_text(kind, source.facts, &section);
        files.push(formatted(kind.file_name(), &text)?);
    }
    if let Some(hint) = &source.connection {
        let text = connection::body(hint).render();
        files.push(formatted("connection.hcl".to_owned(), &text)?);
    }
    Ok((files, all_notes))
}

/// A header naming what the file holds and where from, the notes, then
/// the blocks.
fn file_text(kind: Kind, facts: &ServerFacts, section: &Section) -> String {
    let mut head = hcl::Body::new();
    head.comment(format!(
        "{}, exported by `pgfort export` from PostgreSQL {}.",
        kind.title(),
        major(facts.version_num)
    ));
    if !section.notes.is_empty() {
        let mut text = String::from("Not exported:");
        for note in &section.notes {
            text.push_str("\n- ");
            text.push_str(note);
        }
        head.comment(text);
    }
    let mut text = head.render();
    if section.body.has_blocks() {
        text.push('\n');
        text.push_str(&section.body.render());
    }
    text
}

fn major(version_num: u32) -> String {
    if version_num == 0 {
        "(unknown version)".to_owned()
    } else {
        (version_num / 10000).to_string()
    }
}

/// `text` in `pgfort fmt`'s layout; a failure is a bug in the writer.
fn formatted(name: String, text: &str) -> Result<ExportFile, ExportError> {
    let text =
        crate::config::format_source(text, Path::new(&name)).map_err(|e| ExportError::Invalid {
            file: name.clone(),
            message: e.to_string(),
        })?;
    Ok(ExportFile { name, text })
}
