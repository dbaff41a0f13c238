//! Extensions of a database, what the server could install, and which
//! extensions only work when their library is preloaded.

use std::collections::BTreeMap;

use serde::Serialize;

/// An extension in one database, desired or live.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Extension {
    pub database: String,
    pub name: String,
    /// Desired: `None` leaves the choice to the extension (its control
    /// file, else the first schema of the search path). Live: its schema.
    pub schema: Option<String>,
    /// Desired: `None` installs the default version and never updates.
    /// Live: the installed version.
    pub version: Option<String>,
    /// Desired only: also create the extensions it requires.
    pub cascade: bool,
    /// Live only: whether `ALTER EXTENSION … SET SCHEMA` is possible.
    pub relocatable: bool,
    /// Live only: installed extensions it depends on.
    pub requires: Vec<String>,
}

/// An extension the server could install (`pg_available_extension_versions`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AvailableExtension {
    pub name: String,
    pub default_version: Option<String>,
    pub versions: Vec<String>,
    /// Of the default version.
    pub relocatable: bool,
    /// Of the default version.
    pub requires: Vec<String>,
}

/// What the server offers, by extension name (live only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServerExtensions {
    pub available: BTreeMap<String, AvailableExtension>,
}

/// An extension (or a bare library) that only works from
/// `shared_preload_libraries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preload {
    /// The name declared in an `extension` block.
    pub name: &'static str,
    /// The library to preload.
    pub library: &'static str,
    /// Whether there is a `CREATE EXTENSION` for it (`auto_explain` is
    /// only a library).
    pub creates_extension: bool,
    /// Must come first in `shared_preload_libraries`.
    pub first: bool,
    /// `CREATE EXTENSION` fails until the library is preloaded (its
    /// initialisation refuses a late load), so creation waits for the
    /// restart.
    pub create_needs_load: bool,
}

const fn ext(name: &'static str) -> Preload {
    Preload {
        name,
        library: name,
        creates_extension: true,
        first: false,
        create_needs_load: false,
    }
}

/// An extension whose `CREATE EXTENSION` fails unless preloaded.
const fn ext_loaded_first(name: &'static str) -> Preload {
    Preload {
        create_needs_load: true,
        ..ext(name)
    }
}

const fn library(name: &'static str) -> Preload {
    Preload {
        name,
        library: name,
        creates_extension: false,
        first: false,
        create_needs_load: false,
    }
}

/// Extensions and libraries that need preloading, by the name an
/// `extension` block gives them.
pub const PRELOADED: &[Preload] = &[
    library("auth_delay"),
    library("auto_explain"),
    Preload {
        first: true,
        ..ext_loaded_first("citus")
    },
    library("passwordcheck"),
    ext_loaded_first("pg_cron"),
    library("pg_partman_bgw"),
    ext("pg_qualstats"),
    ext("pg_squeeze"),
    ext("pg_stat_kcache"),
    ext("pg_stat_monitor"),
    ext("pg_stat_statements"),
    ext_loaded_first("pg_tle"),
    ext("pg_wait_sampling"),
    ext_loaded_first("pgaudit"),
    ext("pglogical"),
    ext_loaded_first("timescaledb"),
];

/// The preload entry for an extension block's name, if it needs one.
pub fn preload(name: &str) -> Option<&'static Preload> {
    PRELOADED.iter().find(|entry| entry.name == name)
}
