use super::*;
use crate::diff::DiffOptions;
use crate::diff::server_settings::tests::live;
use crate::model::{
    AvailableExtension, Database, DatabaseCatalog, Extension, ManagePolicy, Role, ServerFacts,
    ServerState,
};

fn facts(version_num: u32) -> ServerFacts {
    ServerFacts {
        version_num,
        session_user: "deployer".into(),
        ..Default::default()
    }
}

fn check_with(desired: &ServerState, live: &ServerState, version: u32) -> Result<(), InputProblem> {
    check(&DiffInput {
        desired,
        live,
        facts: &facts(version),
        manage: &ManagePolicy::default(),
        options: DiffOptions::default(),
    })
}

fn settings(values: &[(&str, &str)]) -> ServerState {
    let mut state = ServerState::default();
    for (name, value) in values {
        state
            .settings
            .values
            .insert((*name).into(), (*value).into());
    }
    state
}

fn refused(desired: &ServerState, live: &ServerState) -> (String, String, Option<String>) {
    let problem = check_with(desired, live, 150004).expect_err("a problem");
    (problem.key, problem.message, problem.hint)
}

#[test]
fn server_settings_are_checked_against_the_catalog() {
    assert_eq!(
        check_with(&settings(&[("work_mem", "64MB")]), &live(), 150004),
        Ok(())
    );
    assert_eq!(
        refused(&settings(&[("shared_bufers", "4GB")]), &live()),
        (
            "settings.shared_bufers".into(),
            "\"shared_bufers\" is not a PostgreSQL setting".into(),
            Some("did you mean \"shared_buffers\"?".into())
        )
    );
    let (key, message, hint) = refused(&settings(&[("log_statement", "modd")]), &live());
    assert_eq!(key, "settings.log_statement");
    assert_eq!(message, "invalid value \"modd\" for log_statement");
    assert_eq!(
        hint.as_deref(),
        Some("did you mean \"mod\"? valid values: none, ddl, mod, all")
    );
    let (_, message, _) = refused(&settings(&[("shared_buffers", "4 gigs")]), &live());
    assert_eq!(
        message,
        "invalid value \"4 gigs\" for shared_buffers: \"gigs\" is not a unit it accepts"
    );
}

#[test]
fn extension_settings_need_their_library_before_17() {
    let desired = settings(&[("pg_stat_statements.track", "all")]);
    let (key, message, _) = refused(&desired, &live());
    assert_eq!(key, "settings.pg_stat_statements.track");
    assert!(
        message.starts_with("PostgreSQL 15 cannot write \"pg_stat_statements.track\""),
        "{message}"
    );
    assert_eq!(check_with(&desired, &live(), 170000), Ok(()));
    // A prefix the server knows is checked like any name.
    let mut known = live();
    let mut track = known.settings.parameters["log_statement"].clone();
    track.name = "pg_stat_statements.track".into();
    track.enumvals = vec!["none".into(), "top".into(), "all".into()];
    known.settings.parameters.insert(track.name.clone(), track);
    assert_eq!(check_with(&desired, &known, 150004), Ok(()));
    let (_, message, hint) = refused(&settings(&[("pg_stat_statements.trak", "all")]), &known);
    assert_eq!(
        message,
        "\"pg_stat_statements.trak\" is not a setting of pg_stat_statements"
    );
    assert_eq!(
        hint.as_deref(),
        Some("did you mean \"pg_stat_statements.track\"?")
    );
}

#[test]
fn role_and_database_settings_must_be_per_session() {
    let mut desired = ServerState::default();
    let mut role = Role::new("app");
    role.settings.insert("shared_buffers".into(), "1GB".into());
    desired.roles.insert("app".into(), role);
    let (key, message, _) = refused(&desired, &live());
    assert_eq!(key, "role.app.settings.shared_buffers");
    assert_eq!(
        message,
        "shared_buffers cannot be set per role: it applies to the whole server (context postmaster)"
    );

    let mut desired = ServerState::default();
    let mut database = Database::new("app");
    database.settings.insert("work_mem".into(), "64XB".into());
    database.settings.insert("app.tenant".into(), "x".into());
    desired.databases.insert("app".into(), database);
    let (key, _, _) = refused(&desired, &live());
    assert_eq!(key, "database.app.settings.work_mem");
}

#[test]
fn settings_need_pg_file_settings() {
    let mut unreadable = live();
    unreadable.settings.files_readable = false;
    let (key, message, _) = refused(&settings(&[("work_mem", "64MB")]), &unreadable);
    assert_eq!(key, "settings.work_mem");
    assert_eq!(
        message,
        "role \"deployer\" cannot read pg_file_settings, which managing server settings needs"
    );
    assert_eq!(
        check_with(&ServerState::default(), &unreadable, 150004),
        Ok(())
    );
}

fn extension(database: &str, name: &str, version: Option<&str>) -> ServerState {
    let mut state = ServerState::default();
    let mut catalog = DatabaseCatalog::default();
    catalog.extensions.insert(
        name.into(),
        Extension {
            database: database.into(),
            name: name.into(),
            version: version.map(str::to_owned),
            ..Default::default()
        },
    );
    state.catalogs.insert(database.into(), catalog);
    state
}

fn with_available(mut live: ServerState) -> ServerState {
    for (name, versions, requires) in [
        ("pg_trgm", vec!["1.5", "1.6"], vec![]),
        ("cube", vec!["1.5"], vec![]),
        ("earthdistance", vec!["1.1"], vec!["cube"]),
    ] {
        live.extensions.available.insert(
            name.into(),
            AvailableExtension {
                name: name.into(),
                default_version: versions.last().map(|v| (*v).to_owned()),
                versions: versions.iter().map(|v| (*v).to_owned()).collect(),
                relocatable: true,
                requires: requires.iter().map(|r| (*r).to_owned()).collect(),
            },
        );
    }
    live
}

#[test]
fn extensions_must_be_available() {
    let live = with_available(live());
    assert_eq!(
        check_with(&extension("app", "pg_trgm", Some("1.5")), &live, 150004),
        Ok(())
    );
    assert_eq!(
        refused(&extension("app", "pg_trgn", None), &live),
        (
            "extension.app.pg_trgn".into(),
            "extension \"pg_trgn\" is not available on the server (pg_available_extensions)".into(),
            Some("did you mean \"pg_trgm\"?".into())
        )
    );
    let (_, _, hint) = refused(&extension("app", "postgis", None), &live);
    assert_eq!(
        hint.as_deref(),
        Some(
            "install the package that provides it on the server (e.g. postgresql-15-postgis, or the contrib package), then plan again"
        )
    );
    let (key, message, hint) = refused(&extension("app", "pg_trgm", Some("9.9")), &live);
    assert_eq!(key, "extension.app.pg_trgm.version");
    assert_eq!(
        message,
        "version \"9.9\" of extension \"pg_trgm\" is not available"
    );
    assert_eq!(hint.as_deref(), Some("available versions: 1.5, 1.6"));
    let (_, message, hint) = refused(&extension("app", "earthdistance", None), &live);
    assert_eq!(
        message,
        "extension \"earthdistance\" requires \"cube\", which is not installed in database \"app\""
    );
    assert_eq!(
        hint.as_deref(),
        Some("declare extension \"cube\" too, or set cascade = true")
    );
}

#[test]
fn pg_stat_statements_needs_query_ids() {
    let mut desired = extension("app", "pg_stat_statements", None);
    desired
        .settings
        .values
        .insert("compute_query_id".into(), "off".into());
    let mut live = live();
    live.extensions
        .available
        .insert("pg_stat_statements".into(), AvailableExtension::default());
    let (key, _, _) = refused(&desired, &live);
    assert_eq!(key, "settings.compute_query_id");
}
