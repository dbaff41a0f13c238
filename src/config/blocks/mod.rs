//! The top-level block types and their decoders. Adding a kind of object is
//! adding a file here and a line to [`BLOCK_TYPES`].

mod certificates;
mod common;
mod connection;
mod database;
mod expression;
mod extension;
mod grant;
mod grant_on;
mod hba;
mod lifecycle;
mod manage;
mod patroni;
mod pgbouncer;
mod pgbouncer_tls;
mod policy;
mod role;
mod schema;
mod settings;
mod table;
mod tune;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use hcl_edit::structure::Block;

use super::Config;
use super::error::{ConfigError, Location, Result};
use super::eval::Evaluator;
use super::reader::BlockReader;
use super::source::SourceFile;
use super::suggest::did_you_mean;
use crate::model::Role;
pub(crate) use certificates::{refresh as refresh_certificates, validate as validate_certificates};
use common::check_name;
pub(crate) use connection::check_sslmode;
pub(crate) use lifecycle::BLOCKS as LIFECYCLE_BLOCKS;
pub(crate) use patroni::validate as validate_patroni;
pub(crate) use pgbouncer::validate as validate_pgbouncers;
pub(crate) use table::validate as validate_tables;

/// Decodes one block into the configuration being built.
type Decode = fn(&mut BlockReader<'_>, &mut Decoded) -> Result<()>;

/// A top-level block type: its name, the names of its labels, and its
/// decoder (`None` for the blocks read before decoding starts).
pub(crate) struct BlockType {
    pub name: &'static str,
    pub labels: &'static [&'static str],
    decode: Option<Decode>,
}

pub(crate) const BLOCK_TYPES: &[BlockType] = &[
    BlockType {
        name: "certificate_authority",
        labels: &["name"],
        decode: Some(certificates::decode_authority),
    },
    BlockType {
        name: "client_certificate",
        labels: &["role"],
        decode: Some(certificates::decode_client),
    },
    BlockType {
        name: "connection",
        labels: &[],
        decode: Some(connection::decode),
    },
    BlockType {
        name: "database",
        labels: &["name"],
        decode: Some(database::decode),
    },
    BlockType {
        name: "environment",
        labels: &["name"],
        decode: None,
    },
    BlockType {
        name: "extension",
        labels: &["name"],
        decode: Some(extension::decode),
    },
    BlockType {
        name: "grant",
        labels: &[],
        decode: Some(grant::decode),
    },
    BlockType {
        name: "hba",
        labels: &[],
        decode: Some(hba::decode),
    },
    BlockType {
        name: "locals",
        labels: &[],
        decode: None,
    },
    BlockType {
        name: "manage",
        labels: &[],
        decode: Some(manage::decode),
    },
    BlockType {
        name: "module",
        labels: &["name"],
        decode: None,
    },
    BlockType {
        name: "output",
        labels: &["name"],
        decode: None,
    },
    BlockType {
        name: "patroni",
        labels: &[],
        decode: Some(patroni::decode),
    },
    BlockType {
        name: "pgbouncer",
        labels: &["name"],
        decode: Some(pgbouncer::decode),
    },
    BlockType {
        name: "policy",
        labels: &["name"],
        decode: Some(policy::decode),
    },
    BlockType {
        name: "role",
        labels: &["name"],
        decode: Some(role::decode),
    },
    BlockType {
        name: "schema",
        labels: &["name"],
        decode: Some(schema::decode),
    },
    BlockType {
        name: "server_certificate",
        labels: &[],
        decode: Some(certificates::decode_server),
    },
    BlockType {
        name: "settings",
        labels: &[],
        decode: Some(settings::decode),
    },
    BlockType {
        name: "table",
        labels: &["name"],
        decode: Some(table::decode),
    },
    BlockType {
        name: "tune",
        labels: &[],
        decode: Some(tune::decode),
    },
    BlockType {
        name: "variable",
        labels: &["name"],
        decode: None,
    },
];

/// A name that must refer to a role, for validation once all are known.
#[derive(Debug, Clone)]
pub(crate) struct RoleRef {
    pub name: String,
    pub location: Location,
    pub context: RefContext,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RefContext {
    /// An entry of `member_of` of role `member`.
    MemberOf { member: String },
    /// `manage.reassign_owned_to`.
    ReassignOwnedTo,
    /// The `owner` of a database or schema.
    Owner,
    /// An entry of a grant's `to`.
    Grantee,
    /// An entry of a grant's `owners` (whose future objects it covers).
    GrantOwner,
}

impl RefContext {
    /// Predefined roles exist everywhere, but objects of dropped roles must
    /// go to a role pgfort manages.
    pub fn allows_predefined(&self) -> bool {
        *self != RefContext::ReassignOwnedTo
    }
}

/// A role a pgbouncer block puts into its auth file, for validation once
/// all roles are known.
#[derive(Debug, Clone)]
pub(crate) struct PgBouncerUser {
    pub role: String,
    pub location: Location,
    /// The pgbouncer block's name.
    pub pgbouncer: String,
}

/// The configuration being built, with what validation needs to know
/// about where things were written. The root configuration and every
/// module called from it decode into the same one.
pub(crate) struct Decoded {
    pub config: Config,
    /// The root configuration directory; relative paths in root-only
    /// blocks (`connection`) are relative to it.
    pub dir: PathBuf,
    /// Which loaded directory the blocks being decoded come from: 0 for the
    /// root configuration, then one number per module call.
    pub instance: usize,
    /// Where each block type that may appear once was first seen, by
    /// block type and by instance for those allowed once per directory.
    singletons: BTreeMap<(&'static str, usize), Location>,
    /// Where each role was declared, by name; filled by
    /// [`Decoded::finish_roles`] once every block is decoded.
    pub role_locations: BTreeMap<String, Location>,
    /// Roles in declaration order (until [`Decoded::finish_roles`]), and
    /// their places in it by name. They go into the ordered maps in one go
    /// at the end: inserting thousands of names one at a time into those
    /// maps showed in profiles. The index stays, for hashed lookups.
    declared_roles: Vec<(Role, Location)>,
    declared_role_index: HashMap<String, usize>,
    pub database_locations: BTreeMap<String, Location>,
    /// By (database, schema).
    pub schema_locations: BTreeMap<(String, String), Location>,
    pub role_refs: Vec<RoleRef>,
    /// Where `manage.prune_roles = true` was written.
    pub prune_location: Option<Location>,
    /// Declared tables and the tables policies name.
    pub tables: table::TableDecls,
    /// Roles pgbouncer blocks put into their auth files.
    pub pgbouncer_users: Vec<PgBouncerUser>,
    /// Roles whose password derives from a variable without a value
    /// (`pgfort validate`): they have one, it is just not known yet.
    pub unknown_passwords: BTreeSet<String>,
}

impl Decoded {
    pub fn new(dir: PathBuf) -> Self {
        let mut config = Config::default();
        config.desired.tls.now = crate::tls::unix_now();
        Decoded {
            config,
            dir,
            instance: 0,
            singletons: BTreeMap::new(),
            role_locations: BTreeMap::new(),
            declared_roles: Vec::new(),
            declared_role_index: HashMap::new(),
            database_locations: BTreeMap::new(),
            schema_locations: BTreeMap::new(),
            role_refs: Vec::new(),
            prune_location: None,
            tables: table::TableDecls::default(),
            pgbouncer_users: Vec::new(),
            unknown_passwords: BTreeSet::new(),
        }
    }

    /// Where the role `name` was declared, if it was: for the duplicate
    /// check while decoding (after [`Decoded::finish_roles`], read
    /// `role_locations`).
    pub fn declared_role_location(&self, name: &str) -> Option<&Location> {
        let &at = self.declared_role_index.get(name)?;
        self.declared_roles.get(at).map(|(_, location)| location)
    }

    /// Whether a role named `name` is declared.
    pub fn is_declared_role(&self, name: &str) -> bool {
        self.declared_role_index.contains_key(name)
    }

    /// Records a declared role (its name not declared before).
    pub fn declare_role(&mut self, role: Role, location: Location) {
        self.declared_role_index
            .insert(role.name.clone(), self.declared_roles.len());
        self.declared_roles.push((role, location));
    }

    /// Builds the declared roles into the desired state and
    /// `role_locations` (which [`Config::location_of`] reads for `role.`
    /// addresses). Declaration order is usually name order, so the sorts
    /// behind these builds only confirm runs.
    pub fn finish_roles(&mut self) {
        let declared = std::mem::take(&mut self.declared_roles);
        let mut locations = Vec::with_capacity(declared.len());
        let mut roles = Vec::with_capacity(declared.len());
        for (role, location) in declared {
            locations.push((role.name.clone(), location));
            roles.push((role.name.clone(), role));
        }
        // Each built whole, then appended: linear, where inserting one by
        // one compares names all the way down the tree.
        self.role_locations
            .append(&mut locations.into_iter().collect());
        self.config
            .desired
            .roles
            .append(&mut roles.into_iter().collect());
    }

    /// Whether the blocks being decoded come from a module.
    pub fn in_module(&self) -> bool {
        self.instance != 0
    }

    /// Records a block that may appear only once in the whole
    /// configuration, modules included; fails the second time.
    fn claim_singleton(&mut self, name: &'static str, location: Location) -> Result<()> {
        self.claim(name, 0, location).map_err(|err| {
            err.with_hint(format!(
                "a {name} block applies to the whole server: declare it once, in the root \
                 configuration or in one module"
            ))
        })
    }

    /// Records a block that may appear once per configuration directory
    /// (the root's or a module's); each loaded directory may have its own.
    fn claim_per_directory(&mut self, name: &'static str, location: Location) -> Result<()> {
        self.claim(name, self.instance, location)
    }

    fn claim(&mut self, name: &'static str, scope: usize, location: Location) -> Result<()> {
        if let Some(first) = self.singletons.get(&(name, scope)) {
            return Err(ConfigError::at(
                location,
                format!("only one {name} block is allowed; the first is at {first}"),
            ));
        }
        self.singletons.insert((name, scope), location);
        Ok(())
    }
}

/// The block type named `name`, or an error listing the known ones.
pub(crate) fn block_type(block: &Block, src: &SourceFile) -> Result<&'static BlockType> {
    let name = block.ident.as_str();
    if let Some(block_type) = BLOCK_TYPES.iter().find(|t| t.name == name) {
        check_labels(block, block_type, src)?;
        return Ok(block_type);
    }
    let names: Vec<&str> = BLOCK_TYPES.iter().map(|t| t.name).collect();
    Err(ConfigError::at(
        src.locate(&block.ident),
        format!(
            "unknown block type \"{name}\", expected one of: {}",
            names.join(", ")
        ),
    )
    .with_optional_hint(did_you_mean(name, names.iter().copied())))
}

fn check_labels(block: &Block, block_type: &BlockType, src: &SourceFile) -> Result<()> {
    let expected = block_type.labels;
    let name = block_type.name;
    let example = || {
        let labels: String = expected
            .iter()
            .map(|label| format!(" \"{label}\""))
            .collect();
        format!("write: {name}{labels} {{ ... }}")
    };
    if block.labels.len() < expected.len() {
        return Err(ConfigError::at(
            src.locate(&block.ident),
            format!("a {name} block needs a label ({})", expected.join(", ")),
        )
        .with_hint(example()));
    }
    if let Some(extra) = block.labels.get(expected.len()) {
        let message = match expected.len() {
            0 => format!("a {name} block takes no labels"),
            n => format!(
                "a {name} block takes {n} label(s) ({})",
                expected.join(", ")
            ),
        };
        return Err(ConfigError::at(src.locate(extra), message).with_hint(example()));
    }
    Ok(())
}

/// Decodes `block` (whose type has a decoder) into `out`.
pub(crate) fn decode(
    block: &Block,
    block_type: &BlockType,
    src: &SourceFile,
    eval: &Evaluator,
    out: &mut Decoded,
) -> Result<()> {
    let Some(decode) = block_type.decode else {
        return Ok(());
    };
    let what = match block.labels.first() {
        Some(label) => format!("{} \"{}\"", block_type.name, label.as_str()),
        None => format!("{} block", block_type.name),
    };
    let mut reader = BlockReader::new(block, src, eval, what);
    decode(&mut reader, out)?;
    reader.finish()
}
