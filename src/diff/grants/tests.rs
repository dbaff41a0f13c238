use std::collections::BTreeMap;

use crate::diff::{Diff, DiffError, DiffInput, DiffOptions, diff};
use crate::model::*;
use crate::plan::Plan;

fn facts(version_num: u32, superuser: bool) -> ServerFacts {
    ServerFacts {
        version_num,
        session_user: "deployer".into(),
        bootstrap_superuser: "postgres".into(),
        current_database: "postgres".into(),
        in_recovery: false,
        can_read_passwords: true,
        is_superuser: superuser,
        session_roles: vec!["deployer".into()],
        databases: vec!["app".into()],
        role_dependencies: BTreeMap::new(),
    }
}

fn obj(kind: ObjectKind, schema: &str, name: &str) -> ObjectRef {
    ObjectRef {
        kind,
        database: "app".into(),
        schema: Some(schema.into()),
        name: name.into(),
        column: None,
    }
}

fn privilege(object: ObjectRef, grantee: &str, privilege: &str) -> Privilege {
    Privilege {
        object,
        grantee: grantee.into(),
        privilege: privilege.into(),
        grantable: false,
    }
}

/// Live: database app, schema app owned by owner, tables t1..t3 owned by
/// owner (t3 by readers itself); readers already holds SELECT on t1.
fn live() -> ServerState {
    let mut state = ServerState::default();
    for name in ["owner", "readers", "deployer", "postgres"] {
        let mut role = Role::new(name);
        role.attributes.superuser = name == "postgres";
        role.attributes.login = name == "deployer" || name == "postgres";
        state.roles.insert(name.into(), role);
    }
    state.databases.insert(
        "app".into(),
        Database {
            owner: Some("owner".into()),
            ..Database::new("app")
        },
    );
    let mut catalog = DatabaseCatalog::default();
    for schema in ["app", "public"] {
        catalog.schemas.insert(
            schema.into(),
            Schema {
                database: "app".into(),
                name: schema.into(),
                owner: Some("owner".into()),
                comment: None,
            },
        );
    }
    catalog
        .objects
        .insert(obj(ObjectKind::Table, "app", "t1"), "owner".into());
    catalog
        .objects
        .insert(obj(ObjectKind::Table, "app", "t2"), "owner".into());
    catalog
        .objects
        .insert(obj(ObjectKind::Table, "app", "t3"), "readers".into());
    catalog
        .objects
        .insert(obj(ObjectKind::Sequence, "app", "s1"), "owner".into());
    catalog.privileges.insert(privilege(
        obj(ObjectKind::Table, "app", "t1"),
        "readers",
        "SELECT",
    ));
    state.catalogs.insert("app".into(), catalog);
    state
}

fn desired(grants: Vec<Grant>) -> ServerState {
    let mut state = ServerState::default();
    for name in ["owner", "readers", "deployer", "postgres"] {
        let mut role = Role::new(name);
        role.attributes.superuser = name == "postgres";
        role.attributes.login = name == "deployer" || name == "postgres";
        state.roles.insert(name.into(), role);
    }
    let mut catalog = DatabaseCatalog::default();
    catalog.schemas.insert(
        "app".into(),
        Schema {
            database: "app".into(),
            name: "app".into(),
            owner: Some("owner".into()),
            comment: None,
        },
    );
    state.catalogs.insert("app".into(), catalog);
    state.grants = grants;
    state
}

fn all_tables(privileges: &[&str]) -> Grant {
    Grant {
        to: vec!["readers".into()],
        privileges: privileges.iter().map(|p| p.to_string()).collect(),
        on: GrantTarget::All {
            database: "app".into(),
            schemas: vec!["app".into()],
            kind: DefaultKind::Tables,
            owners: vec![],
        },
        with_grant_option: false,
    }
}

fn run_with(
    desired: &ServerState,
    live: &ServerState,
    manage: &ManagePolicy,
    facts: &ServerFacts,
) -> Result<Diff, DiffError> {
    diff(DiffInput {
        desired,
        live,
        facts,
        manage,
        options: DiffOptions::default(),
    })
}

fn run(desired: &ServerState, live: &ServerState) -> Diff {
    run_with(
        desired,
        live,
        &ManagePolicy::default(),
        &facts(150000, true),
    )
    .unwrap()
}

fn sql(d: &Diff) -> Vec<String> {
    Plan::new(d.clone(), String::new())
        .statements()
        .iter()
        .map(|s| s.redacted())
        .collect()
}

/// Everything but role changes (the fixtures' roles differ in attributes).
fn grant_sql(d: &Diff) -> Vec<String> {
    sql(d)
        .into_iter()
        .filter(|s| !s.contains(" ROLE ") || s.contains("DEFAULT PRIVILEGES"))
        .collect()
}

#[test]
fn all_tables_grants_the_missing_ones_and_future_ones_but_not_to_owners() {
    let d = run(&desired(vec![all_tables(&["SELECT"])]), &live());
    assert_eq!(
        grant_sql(&d),
        [
            "GRANT SELECT ON TABLE app.t2 TO readers",
            "ALTER DEFAULT PRIVILEGES FOR ROLE owner IN SCHEMA app GRANT SELECT ON TABLES TO readers",
        ]
    );
    let change = d
        .changes
        .iter()
        .find(|c| c.address == "grant.readers.app.app.tables")
        .unwrap();
    let select = &change.attributes[0];
    assert_eq!(select.name, "SELECT");
    assert_eq!(select.before.as_deref(), Some("1 tables"));
    assert_eq!(select.after.as_deref(), Some("2 tables (+1: app.t2)"));
}

#[test]
fn future_privileges_granted_together_read_as_one_line() {
    let d = run(
        &desired(vec![all_tables(&["SELECT", "INSERT", "UPDATE", "DELETE"])]),
        &live(),
    );
    let change = d
        .changes
        .iter()
        .find(|c| c.address == "grant.readers.app.app.tables")
        .unwrap();
    let future: Vec<_> = change
        .attributes
        .iter()
        .filter(|a| a.name.starts_with("future "))
        .collect();
    assert_eq!(future.len(), 1, "{:?}", change.attributes);
    assert_eq!(future[0].name, "future tables of owner in app");
    assert_eq!(future[0].before, None);
    assert_eq!(
        future[0].after.as_deref(),
        Some("SELECT, INSERT, UPDATE, DELETE")
    );
}

#[test]
fn converged_state_has_no_changes() {
    let mut live = live();
    let catalog = live.catalogs.get_mut("app").unwrap();
    catalog.privileges.insert(privilege(
        obj(ObjectKind::Table, "app", "t2"),
        "readers",
        "SELECT",
    ));
    catalog.default_privileges.insert(DefaultPrivilege {
        database: "app".into(),
        owner: "owner".into(),
        schema: Some("app".into()),
        kind: DefaultKind::Tables,
        grantee: "readers".into(),
        privilege: "SELECT".into(),
        grantable: false,
    });
    let d = run(&desired(vec![all_tables(&["SELECT"])]), &live);
    assert!(grant_sql(&d).is_empty(), "{:?}", grant_sql(&d));
}

#[test]
fn undeclared_privileges_of_managed_roles_are_revoked() {
    let mut live = live();
    let catalog = live.catalogs.get_mut("app").unwrap();
    catalog.privileges.insert(privilege(
        obj(ObjectKind::Table, "app", "t2"),
        "readers",
        "DELETE",
    ));
    catalog.privileges.insert(privilege(
        obj(ObjectKind::Table, "app", "t2"),
        "stranger",
        "DELETE",
    ));
    catalog.default_privileges.insert(DefaultPrivilege {
        database: "app".into(),
        owner: "owner".into(),
        schema: None,
        kind: DefaultKind::Sequences,
        grantee: "readers".into(),
        privilege: "USAGE".into(),
        grantable: true,
    });
    let d = run(&desired(vec![]), &live);
    assert_eq!(
        grant_sql(&d),
        [
            "ALTER DEFAULT PRIVILEGES FOR ROLE owner REVOKE USAGE ON SEQUENCES FROM readers",
            "REVOKE DELETE ON TABLE app.t2 FROM readers",
            "REVOKE SELECT ON TABLE app.t1 FROM readers",
        ]
    );
}

#[test]
fn public_privileges_are_managed_only_when_asked_and_only_on_declared_databases() {
    let mut live = live();
    live.catalogs
        .get_mut("app")
        .unwrap()
        .privileges
        .insert(Privilege {
            object: ObjectRef {
                kind: ObjectKind::Schema,
                database: "app".into(),
                schema: None,
                name: "public".into(),
                column: None,
            },
            grantee: PUBLIC.into(),
            privilege: "CREATE".into(),
            grantable: false,
        });
    let mut desired = desired(vec![]);
    live.catalogs.get_mut("app").unwrap().privileges.clear();
    live.catalogs
        .get_mut("app")
        .unwrap()
        .privileges
        .insert(Privilege {
            object: ObjectRef {
                kind: ObjectKind::Schema,
                database: "app".into(),
                schema: None,
                name: "public".into(),
                column: None,
            },
            grantee: PUBLIC.into(),
            privilege: "CREATE".into(),
            grantable: false,
        });
    let manage = ManagePolicy {
        public_privileges: true,
        ..Default::default()
    };
    let d = run_with(&desired, &live, &manage, &facts(150000, true)).unwrap();
    assert!(
        grant_sql(&d).is_empty(),
        "app is not declared: {:?}",
        grant_sql(&d)
    );

    desired.databases.insert(
        "app".into(),
        Database {
            owner: Some("owner".into()),
            ..Database::new("app")
        },
    );
    let d = run_with(&desired, &live, &manage, &facts(150000, true)).unwrap();
    assert_eq!(
        grant_sql(&d),
        ["REVOKE CREATE ON SCHEMA public FROM PUBLIC"]
    );
    let d = run_with(
        &desired,
        &live,
        &ManagePolicy::default(),
        &facts(150000, true),
    )
    .unwrap();
    assert!(grant_sql(&d).is_empty());
}

#[test]
fn all_privileges_follow_the_server_version() {
    let g = Grant {
        to: vec!["readers".into()],
        privileges: vec!["ALL".into()],
        on: GrantTarget::Objects {
            database: "app".into(),
            schema: "app".into(),
            kind: ObjectKind::Table,
            names: vec!["t2".into()],
        },
        with_grant_option: false,
    };
    let d = run(&desired(vec![g.clone()]), &live());
    assert!(grant_sql(&d)[0].starts_with(
        "GRANT DELETE, INSERT, REFERENCES, SELECT, TRIGGER, TRUNCATE, UPDATE ON TABLE app.t2"
    ));
    let d = run_with(
        &desired(vec![g.clone()]),
        &live(),
        &ManagePolicy::default(),
        &facts(170000, true),
    )
    .unwrap();
    assert!(grant_sql(&d)[0].contains("MAINTAIN"), "{:?}", grant_sql(&d));
    let maintain = Grant {
        privileges: vec!["MAINTAIN".into()],
        ..g
    };
    let err = run_with(
        &desired(vec![maintain]),
        &live(),
        &ManagePolicy::default(),
        &facts(160000, true),
    )
    .unwrap_err();
    assert!(
        err.message
            .contains("MAINTAIN does not exist on tables in PostgreSQL 16"),
        "{}",
        err.message
    );
}

#[test]
fn missing_objects_and_schemas_are_plan_errors() {
    let g = Grant {
        to: vec!["readers".into()],
        privileges: vec!["SELECT".into()],
        on: GrantTarget::Objects {
            database: "app".into(),
            schema: "app".into(),
            kind: ObjectKind::Table,
            names: vec!["nope".into()],
        },
        with_grant_option: false,
    };
    let err = run_with(
        &desired(vec![g]),
        &live(),
        &ManagePolicy::default(),
        &facts(150000, true),
    )
    .unwrap_err();
    assert_eq!(
        err.message,
        "table app.nope does not exist in database \"app\""
    );
    let g = Grant {
        to: vec!["readers".into()],
        privileges: vec!["USAGE".into()],
        on: GrantTarget::Schemas {
            database: "app".into(),
            schemas: vec!["ghost".into()],
        },
        with_grant_option: false,
    };
    let err = run_with(
        &desired(vec![g]),
        &live(),
        &ManagePolicy::default(),
        &facts(150000, true),
    )
    .unwrap_err();
    assert!(
        err.message.contains("schema \"ghost\" does not exist"),
        "{}",
        err.message
    );
}

#[test]
fn without_superuser_only_owned_objects_can_be_granted() {
    let err = run_with(
        &desired(vec![all_tables(&["SELECT"])]),
        &live(),
        &ManagePolicy::default(),
        &facts(150000, false),
    )
    .unwrap_err();
    assert!(
        err.message
            .contains("role \"deployer\" cannot change privileges on app.t2 (owner owner)"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("default privileges of owner in app"),
        "{}",
        err.message
    );
}

#[test]
fn grant_options_and_columns() {
    let mut live = live();
    live.catalogs
        .get_mut("app")
        .unwrap()
        .privileges
        .insert(Privilege {
            grantable: true,
            ..privilege(obj(ObjectKind::Table, "app", "t1"), "readers", "SELECT")
        });
    let columns = Grant {
        to: vec!["readers".into()],
        privileges: vec!["SELECT".into(), "UPDATE".into()],
        on: GrantTarget::Columns {
            database: "app".into(),
            schema: "app".into(),
            table: "t2".into(),
            columns: vec!["a".into(), "b".into()],
        },
        with_grant_option: false,
    };
    let t1 = Grant {
        to: vec!["readers".into()],
        privileges: vec!["SELECT".into()],
        on: GrantTarget::Objects {
            database: "app".into(),
            schema: "app".into(),
            kind: ObjectKind::Table,
            names: vec!["t1".into()],
        },
        with_grant_option: false,
    };
    let d = run(&desired(vec![columns, t1]), &live);
    assert_eq!(
        grant_sql(&d),
        [
            "GRANT SELECT (a, b), UPDATE (a, b) ON TABLE app.t2 TO readers",
            "REVOKE GRANT OPTION FOR SELECT ON TABLE app.t1 FROM readers CASCADE",
        ]
    );
}

#[test]
fn public_defaults_of_a_database_created_in_the_same_apply_are_revoked() {
    let live = live();
    let mut desired = desired(vec![]);
    desired
        .databases
        .insert("fresh".into(), Database::new("fresh"));
    let manage = ManagePolicy {
        public_privileges: true,
        ..Default::default()
    };
    let d = run_with(&desired, &live, &manage, &facts(140000, true)).unwrap();
    let sql = grant_sql(&d);
    for expected in [
        "REVOKE CONNECT, TEMPORARY ON DATABASE fresh FROM PUBLIC",
        "REVOKE CREATE, USAGE ON SCHEMA public FROM PUBLIC",
    ] {
        assert!(sql.iter().any(|s| s == expected), "{expected}: {sql:?}");
    }
    let d = run_with(&desired, &live, &manage, &facts(150000, true)).unwrap();
    assert!(
        grant_sql(&d)
            .iter()
            .any(|s| s == "REVOKE USAGE ON SCHEMA public FROM PUBLIC"),
        "{:?}",
        grant_sql(&d)
    );
}
