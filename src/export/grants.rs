//! Privileges of exported roles as `grant` blocks: on databases, schemas,
//! columns, and objects, where every object of a kind in a schema (and
//! the matching default privileges) becomes one `all = "…"` grant and
//! the rest is named object by object.
//!
//! PUBLIC's privileges are not exported: they are managed only with
//! `manage { public_privileges = true }`, a hardening decision of its own.

use std::collections::{BTreeMap, BTreeSet};

use super::Section;
use super::collapse::{Tokens, collapse};
use super::context::{Context, DATABASE_OWNER};
use super::grant_blocks::{GrantList, split};
use crate::model::{DatabaseCatalog, DefaultKind, GrantTarget, ObjectKind, ObjectRef};

const KINDS: [DefaultKind; 4] = [
    DefaultKind::Tables,
    DefaultKind::Sequences,
    DefaultKind::Functions,
    DefaultKind::Types,
];

fn object_kind(kind: ObjectKind) -> Option<DefaultKind> {
    KINDS.into_iter().find(|k| k.object_kind() == kind)
}

/// (grantee, schema, kind): the place one set of `all` grants is about.
type Place = (String, String, DefaultKind);

/// One database's privileges of exported roles, arranged for grants.
pub(super) struct Index<'a> {
    /// Existing objects by (schema, kind), with their owners.
    objects: BTreeMap<(&'a str, DefaultKind), Vec<(&'a str, &'a str)>>,
    /// Privileges on objects, by place and object name.
    held: BTreeMap<Place, BTreeMap<&'a str, Tokens>>,
    /// Default privileges in a schema, by place and creator.
    defaults: BTreeMap<Place, BTreeMap<String, Tokens>>,
    /// Privileges on schemas and columns, by grantee and object.
    other: BTreeMap<(&'a str, &'a ObjectRef), Tokens>,
    /// Default privileges for every schema (no `IN SCHEMA`), which no
    /// grant block expresses: (creator, kind, grantee, privileges).
    global_defaults: Vec<(&'a str, DefaultKind, &'a str, &'a str)>,
}

impl<'a> Index<'a> {
    pub fn new(context: &Context<'_>, catalog: &'a DatabaseCatalog) -> Self {
        let exported = |grantee: &str| context.roles.contains(grantee);
        let mut index = Index {
            objects: BTreeMap::new(),
            held: BTreeMap::new(),
            defaults: BTreeMap::new(),
            other: BTreeMap::new(),
            global_defaults: Vec::new(),
        };
        for (object, owner) in &catalog.objects {
            if let (Some(kind), Some(schema)) = (object_kind(object.kind), &object.schema) {
                index
                    .objects
                    .entry((schema.as_str(), kind))
                    .or_default()
                    .push((object.name.as_str(), owner.as_str()));
            }
        }
        for p in catalog.privileges.iter().filter(|p| exported(&p.grantee)) {
            let token = (p.privilege.clone(), p.grantable);
            match (object_kind(p.object.kind), &p.object.schema) {
                (Some(kind), Some(schema)) => {
                    index
                        .held
                        .entry((p.grantee.clone(), schema.clone(), kind))
                        .or_default()
                        .entry(p.object.name.as_str())
                        .or_default()
                        .insert(token);
                }
                _ => {
                    index
                        .other
                        .entry((p.grantee.as_str(), &p.object))
                        .or_default()
                        .insert(token);
                }
            }
        }
        for d in catalog
            .default_privileges
            .iter()
            .filter(|d| exported(&d.grantee))
        {
            match &d.schema {
                Some(schema) => {
                    index
                        .defaults
                        .entry((d.grantee.clone(), schema.clone(), d.kind))
                        .or_default()
                        .entry(d.owner.clone())
                        .or_default()
                        .insert((d.privilege.clone(), d.grantable));
                }
                None => index.global_defaults.push((
                    d.owner.as_str(),
                    d.kind,
                    d.grantee.as_str(),
                    d.privilege.as_str(),
                )),
            }
        }
        index
    }

    /// Privileges on each existing object of the place the grantee does
    /// not own (empty when it holds none on it).
    fn held_at(&self, place: &Place) -> BTreeMap<&'a str, Tokens> {
        let (grantee, schema, kind) = place;
        let held = self.held.get(place);
        self.objects
            .get(&(schema.as_str(), *kind))
            .into_iter()
            .flatten()
            .filter(|(_, owner)| owner != grantee)
            .map(|(name, _)| {
                let tokens = held.and_then(|h| h.get(name)).cloned().unwrap_or_default();
                (*name, tokens)
            })
            .collect()
    }

    /// Every place where the grantee holds something.
    fn places(&self) -> BTreeSet<&Place> {
        self.held.keys().chain(self.defaults.keys()).collect()
    }

    /// Whether declaring `owner` as the owner of `schema` would leave
    /// default privileges that grants could otherwise describe.
    pub fn owner_hides_defaults(&self, context: &Context<'_>, schema: &str, owner: &str) -> bool {
        self.unexpressed_in(context, schema, Some(owner))
            > self.unexpressed_in(context, schema, None)
    }

    /// How many creators' default privileges no grant could describe,
    /// with `owner` declared as the schema's owner or not.
    fn unexpressed_in(&self, context: &Context<'_>, schema: &str, owner: Option<&str>) -> usize {
        let empty = BTreeMap::new();
        self.places()
            .into_iter()
            .filter(|(_, s, _)| s == schema)
            .map(|place| {
                let defaults = self.defaults.get(place).unwrap_or(&empty);
                let owner = creator(owner, &place.0);
                collapse(&self.held_at(place), defaults, owner, |r| {
                    context.nameable(r)
                })
                .unexpressed
                .len()
            })
            .sum()
    }
}

/// The schema owner as a creator of the grantee's future objects: not
/// the grantee itself, nor `pg_database_owner`, which creates nothing.
fn creator<'o>(schema_owner: Option<&'o str>, grantee: &str) -> Option<&'o str> {
    schema_owner.filter(|owner| *owner != grantee && *owner != DATABASE_OWNER)
}

/// `grants.hcl`.
pub(super) fn section(context: &Context<'_>) -> Section {
    let mut grants = GrantList::new();
    let mut notes = Vec::new();
    for database in &context.databases {
        database_grants(context, database, &mut grants);
    }
    for (database, catalog) in context.catalogs() {
        let index = Index::new(context, catalog);
        schema_and_column_grants(database, &index, &mut grants);
        for place in index.places() {
            object_grants(context, database, &index, place, &mut grants, &mut notes);
        }
        for (owner, kind, grantee, privilege) in &index.global_defaults {
            notes.push(format!(
                "{database}: default privileges of \"{owner}\" on {} in every schema ({privilege} \
                 to \"{grantee}\") have no grant block (grants set default privileges per \
                 schema); the next plan revokes them",
                kind.sql_keyword().to_lowercase()
            ));
        }
    }
    notes.extend(elsewhere(context));
    Section {
        body: grants.render(),
        notes,
    }
}

/// Privileges on databases are one cluster-wide catalog, authoritative for
/// every declared role: those on databases left out of the export would be
/// revoked by the next plan.
fn elsewhere(context: &Context<'_>) -> Vec<String> {
    let mut holders: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for p in &context.state.database_privileges {
        if context.roles.contains(&p.grantee)
            && !context.databases.contains(&p.object.name.as_str())
        {
            holders
                .entry(p.object.name.as_str())
                .or_default()
                .insert(p.grantee.as_str());
        }
    }
    holders
        .into_iter()
        .map(|(database, grantees)| {
            let grantees: Vec<&str> = grantees.into_iter().collect();
            format!(
                "database \"{database}\" is not exported, but privileges on it are held by {}: \
                 the next plan revokes them (add --database {database})",
                grantees.join(", ")
            )
        })
        .collect()
}

/// USAGE and CREATE on schemas (schemas with the same privileges in one
/// grant), and column privileges (columns of a table with the same
/// privileges in one grant).
fn schema_and_column_grants(database: &str, index: &Index<'_>, grants: &mut GrantList) {
    let mut schemas: BTreeMap<(&str, &Tokens), Vec<String>> = BTreeMap::new();
    let mut columns: BTreeMap<(&str, &str, &str, &Tokens), Vec<String>> = BTreeMap::new();
    for ((grantee, object), tokens) in &index.other {
        match (object.kind, &object.schema, &object.column) {
            (ObjectKind::Schema, _, _) => schemas
                .entry((grantee, tokens))
                .or_default()
                .push(object.name.clone()),
            (ObjectKind::Column, Some(schema), Some(column)) => columns
                .entry((grantee, schema, &object.name, tokens))
                .or_default()
                .push(column.clone()),
            _ => {}
        }
    }
    for ((grantee, tokens), schemas) in schemas {
        let target = GrantTarget::Schemas {
            database: database.to_owned(),
            schemas,
        };
        grants.add(grantee, target, tokens);
    }
    for ((grantee, schema, table, tokens), columns) in columns {
        let target = GrantTarget::Columns {
            database: database.to_owned(),
            schema: schema.to_owned(),
            table: table.to_owned(),
            columns,
        };
        grants.add(grantee, target, tokens);
    }
}

/// CONNECT, CREATE and TEMPORARY on the database.
fn database_grants(context: &Context<'_>, database: &str, grants: &mut GrantList) {
    let mut by_grantee: BTreeMap<&str, Tokens> = BTreeMap::new();
    for p in &context.state.database_privileges {
        if p.object.name == database && context.roles.contains(&p.grantee) {
            by_grantee
                .entry(p.grantee.as_str())
                .or_default()
                .insert((p.privilege.clone(), p.grantable));
        }
    }
    for (grantee, tokens) in by_grantee {
        grants.add(
            grantee,
            GrantTarget::Database {
                database: database.to_owned(),
            },
            &tokens,
        );
    }
}

/// The `all` grants of one place, then the objects named one by one
/// (grouped by identical privileges).
fn object_grants(
    context: &Context<'_>,
    database: &str,
    index: &Index<'_>,
    place: &Place,
    grants: &mut GrantList,
    notes: &mut Vec<String>,
) {
    let (grantee, schema, kind) = place;
    let empty = BTreeMap::new();
    let defaults = index.defaults.get(place).unwrap_or(&empty);
    let owner = creator(context.schema_owner(database, schema), grantee);
    let result = collapse(&index.held_at(place), defaults, owner, |r| {
        context.nameable(r)
    });
    for (tokens, owners) in &result.all {
        let target = GrantTarget::All {
            database: database.to_owned(),
            schemas: vec![schema.clone()],
            kind: *kind,
            owners: owners.clone(),
        };
        grants.add(grantee, target, tokens);
    }
    let mut by_set: BTreeMap<&Tokens, Vec<String>> = BTreeMap::new();
    for (name, tokens) in &result.remainder {
        by_set.entry(tokens).or_default().push((*name).to_owned());
    }
    for (tokens, names) in by_set {
        let target = GrantTarget::Objects {
            database: database.to_owned(),
            schema: schema.clone(),
            kind: kind.object_kind(),
            names,
        };
        grants.add(grantee, target, tokens);
    }
    for creator in &result.unexpressed {
        let privileges: Vec<String> = split(&defaults[creator], kind.object_kind())
            .into_iter()
            .flat_map(|(privileges, _)| privileges)
            .collect();
        notes.push(format!(
            "{database}.{schema}: default privileges of \"{creator}\" on {} ({} to \"{grantee}\") \
             match no grant on all {}: the next plan revokes them",
            kind.sql_keyword().to_lowercase(),
            privileges.join(", "),
            kind.sql_keyword().to_lowercase()
        ));
    }
}
