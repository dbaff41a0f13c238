use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{is_in_place, is_lookup_object};
use crate::diff::{DiffInput, DiffOptions, diff};
use crate::model::{
    AuthFunction, AuthLookup, Database, ManagePolicy, ObjectKind, ObjectRef, Password, PgBouncer,
    PgBouncerAuth, PgBouncerDatabase, Role, Secret, ServerFacts, ServerState,
};
use crate::sql::pgbouncer as sql;

fn in_place() -> AuthLookup {
    AuthLookup {
        schema_owner: Some("postgres".into()),
        usage: vec!["pgb_auth".into(), "postgres".into()],
        function: Some(AuthFunction {
            owner: "postgres".into(),
            body: sql::BODY.into(),
            security_definer: true,
            config: vec![sql::SEARCH_PATH.into()],
            execute: vec!["pgb_auth".into(), "postgres".into()],
        }),
    }
}

fn states(lookup: Option<AuthLookup>) -> (ServerState, ServerState) {
    let mut role = Role::new("pgb_auth");
    role.attributes.login = true;
    let verifier = crate::password::make_verifier(&Secret::new("pw"));
    let mut desired = ServerState::default();
    desired.roles.insert(
        "pgb_auth".into(),
        Role {
            password: Password::Clear(Secret::new("pw")),
            ..role.clone()
        },
    );
    desired.pgbouncers.insert(
        "main".into(),
        PgBouncer {
            name: "main".into(),
            config_dir: PathBuf::from("/etc/pgbouncer"),
            admin_url: None,
            auth: PgBouncerAuth::Query {
                auth_user: "pgb_auth".into(),
            },
            users: Vec::new(),
            settings: BTreeMap::new(),
            databases: BTreeMap::from([(
                "app".into(),
                PgBouncerDatabase {
                    dbname: "app".into(),
                    options: BTreeMap::new(),
                },
            )]),
            tls: None,
        },
    );
    let mut live = ServerState::default();
    live.roles.insert(
        "pgb_auth".into(),
        Role {
            password: Password::Stored(Secret::new(verifier)),
            ..role
        },
    );
    live.databases.insert("app".into(), Database::new("app"));
    live.pgbouncer_lookups
        .extend(lookup.map(|l| ("app".to_owned(), l)));
    (desired, live)
}

fn lookup_changes(lookup: Option<AuthLookup>, superuser: bool) -> Result<Vec<String>, String> {
    let (desired, live) = states(lookup);
    let facts = ServerFacts {
        session_user: "postgres".into(),
        bootstrap_superuser: "postgres".into(),
        is_superuser: superuser,
        ..Default::default()
    };
    let out = diff(DiffInput {
        desired: &desired,
        live: &live,
        facts: &facts,
        manage: &ManagePolicy::default(),
        options: DiffOptions::default(),
    })
    .map_err(|e| e.message)?;
    Ok(out
        .changes
        .iter()
        .filter(|c| c.address.contains(".auth_query."))
        .map(|c| {
            c.statements
                .iter()
                .map(|s| s.redacted())
                .collect::<Vec<_>>()
                .join("; ")
        })
        .collect())
}

#[test]
fn missing_lookup_is_created_with_execute_for_the_auth_user_only() {
    let changes = lookup_changes(None, true).unwrap();
    assert_eq!(changes.len(), 1);
    let sql = &changes[0];
    assert!(
        sql.contains("CREATE SCHEMA IF NOT EXISTS pgbouncer AUTHORIZATION postgres"),
        "{sql}"
    );
    assert!(
        sql.contains("SECURITY DEFINER SET search_path = pg_catalog, pg_temp"),
        "{sql}"
    );
    assert!(
        sql.contains("REVOKE ALL ON FUNCTION pgbouncer.get_auth(text) FROM PUBLIC"),
        "{sql}"
    );
    assert!(
        sql.contains("GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(text) TO pgb_auth"),
        "{sql}"
    );
}

#[test]
fn a_lookup_in_place_is_no_change_and_public_execute_is() {
    assert!(lookup_changes(Some(in_place()), true).unwrap().is_empty());
    let mut open = in_place();
    if let Some(function) = open.function.as_mut() {
        function.execute.push("-".into());
    }
    assert!(!is_in_place(&open, "postgres", "pgb_auth"));
    assert_eq!(lookup_changes(Some(open), true).unwrap().len(), 1);
    let mut schema_open = in_place();
    schema_open.usage.push("-".into());
    let changes = lookup_changes(Some(schema_open), true).unwrap();
    assert!(
        changes[0].contains("REVOKE ALL ON SCHEMA pgbouncer FROM PUBLIC"),
        "{changes:?}"
    );
}

#[test]
fn without_superuser_the_lookup_is_refused() {
    let err = lookup_changes(None, false).unwrap_err();
    assert!(err.contains("superuser"), "{err}");
}

#[test]
fn privileges_in_the_lookup_schema_are_left_to_it() {
    let (desired, _) = states(None);
    let schema = ObjectRef {
        kind: ObjectKind::Schema,
        database: "app".into(),
        schema: None,
        name: "pgbouncer".into(),
        column: None,
    };
    assert!(is_lookup_object(&desired, &schema));
    assert!(!is_lookup_object(&ServerState::default(), &schema));
}
