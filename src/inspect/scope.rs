//! What inspection reads beyond roles, derived from the desired state so
//! that privileges of unmanaged roles and undeclared databases stay unread.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::model::{ManagePolicy, ServerState, TableName};

/// What to read beyond roles. Saved plans keep it, to inspect the same
/// things again when they are applied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectScope {
    /// Declared role names: only privileges held by these (and PUBLIC when
    /// `include_public`) are read.
    pub managed_roles: Vec<String>,
    pub include_public: bool,
    /// Databases whose contents (schemas, objects, privileges, default
    /// privileges) to read. Those that do not exist or do not allow
    /// connections are skipped silently (desired but not yet created).
    pub databases: Vec<String>,
    /// Declared tables by database: their row-level security and policies
    /// are read (and nothing about other tables).
    pub tables: BTreeMap<String, Vec<TableName>>,
    /// Whether pg_hba.conf is managed (and so read).
    pub hba: bool,
    /// Whether a server certificate is managed (so the installed one is read).
    pub ssl: bool,
    /// Whether extensions are declared, so what the server offers is read
    /// (`pg_available_extension_versions` reads every control file).
    pub extensions: bool,
    /// Also read every table of the databases in scope whose row-level
    /// security is on or that has a policy, declared or not: what
    /// `pgfort export` describes. Planning reads only declared tables.
    pub rls_tables: bool,
}

impl InspectScope {
    /// The declared roles, PUBLIC when its privileges are managed, and every
    /// database the configuration declares, describes or grants on.
    pub fn from_desired(desired: &ServerState, manage: &ManagePolicy) -> Self {
        let databases: BTreeSet<&str> = desired
            .databases
            .keys()
            .chain(desired.catalogs.keys())
            .map(String::as_str)
            .chain(desired.grants.iter().map(|grant| grant.on.database()))
            .collect();
        InspectScope {
            managed_roles: desired.roles.keys().cloned().collect(),
            include_public: manage.public_privileges,
            databases: databases.into_iter().map(str::to_owned).collect(),
            tables: desired
                .catalogs
                .iter()
                .filter(|(_, catalog)| !catalog.tables.is_empty())
                .map(|(db, catalog)| (db.clone(), catalog.tables.keys().cloned().collect()))
                .collect(),
            hba: desired.hba.is_some(),
            ssl: desired.tls.server.is_some(),
            extensions: desired.catalogs.values().any(|c| !c.extensions.is_empty()),
            rls_tables: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Database, DatabaseCatalog, Grant, GrantTarget, Role};

    #[test]
    fn scope_covers_declared_described_and_granted_databases() {
        let mut desired = ServerState::default();
        for name in ["app_owner", "reader"] {
            desired.roles.insert(name.to_owned(), Role::new(name));
        }
        desired
            .databases
            .insert("app".to_owned(), Database::new("app"));
        desired
            .catalogs
            .insert("reporting".to_owned(), DatabaseCatalog::default());
        desired.grants.push(Grant {
            to: vec!["reader".to_owned()],
            privileges: vec!["CONNECT".to_owned()],
            on: GrantTarget::Database {
                database: "postgres".to_owned(),
            },
            with_grant_option: false,
        });
        desired.grants.push(Grant {
            to: vec!["reader".to_owned()],
            privileges: vec!["USAGE".to_owned()],
            on: GrantTarget::Schemas {
                database: "app".to_owned(),
                schemas: vec!["sales".to_owned()],
            },
            with_grant_option: false,
        });
        let manage = ManagePolicy {
            public_privileges: true,
            ..Default::default()
        };

        let scope = InspectScope::from_desired(&desired, &manage);

        assert_eq!(scope.managed_roles, ["app_owner", "reader"]);
        assert!(scope.include_public);
        assert_eq!(scope.databases, ["app", "postgres", "reporting"]);
    }

    #[test]
    fn public_is_left_out_unless_managed() {
        let scope = InspectScope::from_desired(&ServerState::default(), &ManagePolicy::default());
        assert_eq!(scope, InspectScope::default());
    }
}
