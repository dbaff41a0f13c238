//! Decisions every part of an export shares: which roles become role
//! blocks (and so may be named elsewhere), which databases are described,
//! and which schema owners are declared.

use std::collections::{BTreeMap, BTreeSet};

use super::{Kind, grants};
use crate::model::{DatabaseCatalog, ServerFacts, ServerState};

/// The role owning `public` on PostgreSQL 15+: never a creator of objects.
pub(super) const DATABASE_OWNER: &str = "pg_database_owner";

/// The live state and what to write about it.
pub(super) struct Context<'a> {
    pub state: &'a ServerState,
    pub facts: &'a ServerFacts,
    include: &'a BTreeSet<Kind>,
    /// The databases described, in name order.
    pub databases: Vec<&'a str>,
    /// Roles written as role blocks: every role but the predefined ones
    /// and, unless something exported names it, the bootstrap superuser.
    /// Empty when roles are not exported.
    pub roles: BTreeSet<String>,
    /// The owner each schema is declared with (`None`: left out).
    schema_owners: BTreeMap<(String, String), Option<String>>,
    /// Why a schema's owner is left out, by (database, schema).
    pub schema_owner_notes: BTreeMap<(String, String), String>,
}

impl<'a> Context<'a> {
    pub fn new(
        state: &'a ServerState,
        facts: &'a ServerFacts,
        include: &'a BTreeSet<Kind>,
        databases: &'a [String],
    ) -> Self {
        let mut context = Context {
            state,
            facts,
            include,
            databases: databases.iter().map(String::as_str).collect(),
            roles: BTreeSet::new(),
            schema_owners: BTreeMap::new(),
            schema_owner_notes: BTreeMap::new(),
        };
        if context.includes(Kind::Roles) {
            context.roles = exported_roles(&context);
        }
        let (owners, notes) = schema_owners(&context);
        context.schema_owners = owners;
        context.schema_owner_notes = notes;
        context
    }

    pub fn includes(&self, kind: Kind) -> bool {
        self.include.contains(&kind)
    }

    /// Whether a configuration may name `role`: declared, or predefined.
    pub fn nameable(&self, role: &str) -> bool {
        self.roles.contains(role) || role.starts_with("pg_")
    }

    /// The described databases that were read, with their contents.
    pub fn catalogs(&self) -> impl Iterator<Item = (&'a str, &'a DatabaseCatalog)> + '_ {
        self.databases
            .iter()
            .filter_map(|name| Some((*name, self.state.catalogs.get(*name)?)))
    }

    /// The owner a schema block declares, if any.
    pub fn schema_owner(&self, database: &str, schema: &str) -> Option<&str> {
        self.schema_owners
            .get(&(database.to_owned(), schema.to_owned()))
            .and_then(Option::as_deref)
    }
}

/// Every role but the predefined ones; the bootstrap superuser only when
/// an exported role is a member of it, it owns default privileges of an
/// exported role in a schema (grants name it in `owners`), or a policy
/// names it. Declaring it would make its own
/// grants and memberships authoritative for no gain otherwise.
fn exported_roles(context: &Context<'_>) -> BTreeSet<String> {
    let state = context.state;
    let bootstrap = context.facts.bootstrap_superuser.as_str();
    let mut roles: BTreeSet<String> = state
        .roles
        .keys()
        .filter(|name| !name.starts_with("pg_") && *name != bootstrap)
        .cloned()
        .collect();
    let member = roles.iter().any(|name| {
        state.roles[name].member_of.contains_key(bootstrap)
            && !state.roles[name].implicit_admin_of.contains(bootstrap)
    });
    let catalogs: Vec<&DatabaseCatalog> = context.catalogs().map(|(_, c)| c).collect();
    let owns_defaults = context.includes(Kind::Grants)
        && catalogs.iter().any(|catalog| {
            catalog
                .default_privileges
                .iter()
                .any(|d| d.owner == bootstrap && d.schema.is_some() && roles.contains(&d.grantee))
        });
    let in_policies = context.includes(Kind::Policies)
        && catalogs.iter().any(|catalog| {
            catalog
                .policies
                .values()
                .any(|policy| policy.roles.contains(bootstrap))
        });
    if (member || owns_defaults || in_policies) && state.roles.contains_key(bootstrap) {
        roles.insert(bootstrap.to_owned());
    }
    roles
}

type SchemaKey = (String, String);

/// Each schema's owner when the configuration may name it, unless
/// declaring it would give it default privileges it does not have: every
/// `all = …` grant in a schema also covers objects its declared owner
/// creates later, so an owner without matching default privileges is left
/// out (and stays as it is).
fn schema_owners(
    context: &Context<'_>,
) -> (
    BTreeMap<SchemaKey, Option<String>>,
    BTreeMap<SchemaKey, String>,
) {
    let mut owners = BTreeMap::new();
    let mut notes = BTreeMap::new();
    if !context.includes(Kind::Databases) {
        return (owners, notes);
    }
    for (database, catalog) in context.catalogs() {
        let index = context
            .includes(Kind::Grants)
            .then(|| grants::Index::new(context, catalog));
        for (name, schema) in &catalog.schemas {
            let key = (database.to_owned(), name.clone());
            let owner = schema.owner.clone().filter(|owner| context.nameable(owner));
            let Some(owner) = owner else {
                owners.insert(key, None);
                continue;
            };
            if owner != DATABASE_OWNER
                && index
                    .as_ref()
                    .is_some_and(|index| index.owner_hides_defaults(context, name, &owner))
            {
                notes.insert(
                    key.clone(),
                    format!(
                        "owner \"{owner}\" is left out: grants on all objects of this schema would \
                         give it default privileges it does not have"
                    ),
                );
                owners.insert(key, None);
                continue;
            }
            owners.insert(key, Some(owner));
        }
    }
    (owners, notes)
}
