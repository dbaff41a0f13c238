use crate::diff::parameters::tests::param;
use crate::diff::{Diff, DiffInput, DiffOptions, diff};
use crate::model::{
    ConfiguredValue, Context, DatabaseCatalog, Extension, ManagePolicy, Parameter, ServerFacts,
    ServerSettings, ServerState, SettingsScope, VarType,
};
use crate::plan::{Action, Plan};
use crate::tune::{Storage, TuneProfile, Workload};

fn with(mut p: Parameter, context: Context, setting: &str, boot: &str) -> Parameter {
    p.context = context;
    p.setting = setting.to_owned();
    p.boot_val = Some(boot.to_owned());
    p
}

fn enumerated(name: &str, values: &[&str], context: Context, boot: &str) -> Parameter {
    let mut p = param(name, VarType::Enum, None, ("", ""));
    p.enumvals = values.iter().map(|v| (*v).to_owned()).collect();
    with(p, context, boot, boot)
}

/// A live server: PostgreSQL 15 as initdb leaves it, with a catalog of the
/// parameters these tests use.
pub(crate) fn live() -> ServerState {
    let params = [
        with(
            param(
                "shared_buffers",
                VarType::Integer,
                Some("8kB"),
                ("16", "1073741823"),
            ),
            Context::Postmaster,
            "16384",
            "1024",
        ),
        with(
            param(
                "effective_cache_size",
                VarType::Integer,
                Some("8kB"),
                ("1", "2147483647"),
            ),
            Context::User,
            "524288",
            "524288",
        ),
        with(
            param(
                "work_mem",
                VarType::Integer,
                Some("kB"),
                ("64", "2147483647"),
            ),
            Context::User,
            "4096",
            "4096",
        ),
        with(
            param("max_connections", VarType::Integer, None, ("1", "262143")),
            Context::Postmaster,
            "100",
            "100",
        ),
        with(
            param("log_connections", VarType::Bool, None, ("", "")),
            Context::SuperuserBackend,
            "off",
            "off",
        ),
        with(
            param("shared_preload_libraries", VarType::String, None, ("", "")),
            Context::Postmaster,
            "",
            "",
        ),
        enumerated(
            "log_statement",
            &["none", "ddl", "mod", "all"],
            Context::Superuser,
            "none",
        ),
        enumerated(
            "compute_query_id",
            &["auto", "regress", "on", "off"],
            Context::Superuser,
            "auto",
        ),
        enumerated(
            "wal_compression",
            &["pglz", "zstd", "on", "off"],
            Context::Superuser,
            "off",
        ),
        enumerated(
            "huge_pages",
            &["off", "on", "try"],
            Context::Postmaster,
            "try",
        ),
    ];
    let mut state = ServerState::default();
    for name in ["postgres", "app"] {
        state
            .databases
            .insert(name.to_owned(), crate::model::Database::new(name));
    }
    state.settings = ServerSettings {
        parameters: params.into_iter().map(|p| (p.name.clone(), p)).collect(),
        files_readable: true,
        ..Default::default()
    };
    for (name, value) in [("max_connections", "100"), ("shared_buffers", "128MB")] {
        state.settings.configured.insert(
            name.to_owned(),
            ConfiguredValue {
                value: value.to_owned(),
                file: "/data/postgresql.conf".to_owned(),
            },
        );
    }
    state
}

fn facts() -> ServerFacts {
    ServerFacts {
        version_num: 150004,
        session_user: "postgres".into(),
        bootstrap_superuser: "postgres".into(),
        current_database: "postgres".into(),
        ..Default::default()
    }
}

fn run(desired: &ServerState, live: &ServerState, manage: &ManagePolicy) -> Diff {
    diff(DiffInput {
        desired,
        live,
        facts: &facts(),
        manage,
        options: DiffOptions::default(),
    })
    .unwrap()
}

fn declared(values: &[(&str, &str)]) -> ServerState {
    let mut state = ServerState::default();
    for (name, value) in values {
        state
            .settings
            .values
            .insert((*name).to_owned(), (*value).to_owned());
    }
    state
}

fn sql(d: &Diff) -> Vec<String> {
    Plan::new(d.clone(), String::new())
        .statements()
        .iter()
        .map(|s| s.redacted())
        .collect()
}

#[test]
fn declared_settings_are_written_then_reloaded() {
    let desired = declared(&[
        ("shared_buffers", "4GB"),
        ("log_statement", "MOD"),
        ("log_connections", "on"),
    ]);
    let d = run(&desired, &live(), &ManagePolicy::default());
    assert_eq!(
        sql(&d),
        [
            "ALTER SYSTEM SET log_connections = 'on'",
            "ALTER SYSTEM SET log_statement = 'mod'",
            "ALTER SYSTEM SET shared_buffers = '4GB'",
            "SELECT pg_catalog.pg_reload_conf()",
        ]
    );
    let buffers = d
        .changes
        .iter()
        .find(|c| c.address == "setting.shared_buffers")
        .unwrap();
    assert_eq!(buffers.action, Action::Create);
    assert!(buffers.needs_restart);
    assert_eq!(buffers.attributes[0].before.as_deref(), Some("\"128MB\""));
    assert_eq!(buffers.attributes[0].after.as_deref(), Some("\"4GB\""));
    let statement = d
        .changes
        .iter()
        .find(|c| c.address == "setting.log_statement")
        .unwrap();
    assert!(!statement.needs_restart);
    assert_eq!(statement.attributes[0].before.as_deref(), Some("\"none\""));
}

#[test]
fn spellings_of_the_configured_value_are_no_change() {
    let mut live = live();
    for (name, value) in [
        ("shared_buffers", "524288"),
        ("work_mem", "65536"),
        ("log_connections", "true"),
    ] {
        live.settings
            .values
            .insert(name.to_owned(), value.to_owned());
    }
    // Loaded, but for the restart-only one.
    running(&mut live, "work_mem", "65536");
    running(&mut live, "log_connections", "on");
    let desired = declared(&[
        ("shared_buffers", "4GB"),
        ("work_mem", "64MB"),
        ("log_connections", "on"),
        ("max_connections", "100"),
        ("log_statement", "none"),
    ]);
    let d = run(&desired, &live, &ManagePolicy::default());
    assert!(d.changes.is_empty(), "{:?}", d.changes);
    // 4GB is configured, the server still runs with 128MB.
    assert_eq!(d.pending_restart.len(), 1);
    assert_eq!(d.pending_restart[0].setting, "shared_buffers");
    assert_eq!(d.pending_restart[0].running, "128MB");
    assert_eq!(d.pending_restart[0].configured, "524288");
}

#[test]
fn drift_is_an_update_and_authoritative_resets_the_rest() {
    let mut live = live();
    live.settings
        .values
        .insert("log_statement".into(), "all".into());
    live.settings.values.insert("work_mem".into(), "1GB".into());
    let desired = declared(&[("log_statement", "mod")]);
    let d = run(&desired, &live, &ManagePolicy::default());
    assert_eq!(d.changes.len(), 1);
    assert_eq!(d.changes[0].action, Action::Update);

    let manage = ManagePolicy {
        settings: SettingsScope::Authoritative,
        ..Default::default()
    };
    let d = run(&desired, &live, &manage);
    assert_eq!(
        sql(&d),
        [
            "ALTER SYSTEM SET log_statement = 'mod'",
            "ALTER SYSTEM RESET work_mem",
            "SELECT pg_catalog.pg_reload_conf()",
        ]
    );
    let reset = d
        .changes
        .iter()
        .find(|c| c.address == "setting.work_mem")
        .unwrap();
    assert_eq!(reset.action, Action::Delete);
    assert!(!reset.destructive);
    assert_eq!(reset.attributes[0].after.as_deref(), Some("\"4MB\""));
}

#[test]
fn tune_fills_in_what_is_not_declared() {
    let mut desired = declared(&[("shared_buffers", "2GB")]);
    desired.settings.tune = Some(TuneProfile {
        memory_kb: 16 * 1024 * 1024,
        cpus: Some(4),
        connections: Some(200),
        storage: Storage::Ssd,
        workload: Workload::Web,
    });
    let d = run(&desired, &live(), &ManagePolicy::default());
    let value = |name: &str| {
        d.changes
            .iter()
            .find(|c| c.address == format!("setting.{name}"))
            .map(|c| (c.attributes[0].after.clone().unwrap(), c.reasons.clone()))
    };
    let (buffers, reasons) = value("shared_buffers").unwrap();
    assert_eq!(buffers, "\"2GB\"");
    assert!(reasons.is_empty());
    let (cache, reasons) = value("effective_cache_size").unwrap();
    assert_eq!(cache, "\"12GB\"");
    assert_eq!(
        reasons,
        ["tune computed it for 16GB RAM, 4 CPUs, 200 connections, ssd storage, web workload"]
    );
    assert_eq!(value("work_mem").unwrap().0, "\"20560kB\"");
    // huge_pages = try is already the default: no change.
    assert_eq!(value("huge_pages"), None);
    // This server cannot compress WAL with lz4; the value is left out.
    assert_eq!(value("wal_compression"), None);
    assert!(
        d.warnings.iter().any(|w| w.starts_with(
            "tune: wal_compression = \"lz4\" is left out: invalid value \"lz4\" for wal_compression"
        )),
        "{:?}",
        d.warnings
    );
}

fn with_extension(database: &str, name: &str) -> ServerState {
    let mut state = ServerState::default();
    let mut catalog = DatabaseCatalog::default();
    catalog.extensions.insert(
        name.to_owned(),
        Extension {
            database: database.to_owned(),
            name: name.to_owned(),
            ..Default::default()
        },
    );
    state.catalogs.insert(database.to_owned(), catalog);
    state
}

#[test]
fn preloaded_extensions_add_their_library_and_what_they_need() {
    let desired = with_extension("app", "pg_stat_statements");
    let mut live = live();
    live.settings.configured.insert(
        "compute_query_id".into(),
        ConfiguredValue {
            value: "off".into(),
            file: "/data/postgresql.conf".into(),
        },
    );
    live.settings
        .values
        .insert("shared_preload_libraries".into(), "pg_cron".into());
    let d = run(&desired, &live, &ManagePolicy::default());
    let statements = sql(&d);
    assert!(statements.contains(&"CREATE EXTENSION IF NOT EXISTS pg_stat_statements".to_owned()));
    assert!(statements.contains(&"ALTER SYSTEM SET compute_query_id = 'auto'".to_owned()));
    assert!(statements.contains(
        &"ALTER SYSTEM SET shared_preload_libraries = 'pg_cron', 'pg_stat_statements'".to_owned()
    ));
    let libraries = d
        .changes
        .iter()
        .find(|c| c.address == "setting.shared_preload_libraries")
        .unwrap();
    assert!(libraries.needs_restart);
    assert_eq!(
        libraries.reasons,
        ["extension pg_stat_statements in app needs pg_stat_statements"]
    );
    let create = d
        .changes
        .iter()
        .find(|c| c.address == "extension.app.pg_stat_statements")
        .unwrap();
    assert_eq!(
        create.reasons,
        [
            "its library pg_stat_statements is not loaded yet: it goes into shared_preload_libraries and works after a restart"
        ]
    );

    // Once written and loaded, nothing is left to do.
    let mut after = live.clone();
    after.settings.values.insert(
        "shared_preload_libraries".into(),
        "pg_cron, pg_stat_statements".into(),
    );
    after
        .settings
        .values
        .insert("compute_query_id".into(), "auto".into());
    if let Some(p) = after
        .settings
        .parameters
        .get_mut("shared_preload_libraries")
    {
        p.setting = "pg_cron, pg_stat_statements".into();
    }
    after.catalogs = desired.catalogs.clone();
    let d = run(&desired, &after, &ManagePolicy::default());
    assert!(d.changes.is_empty(), "{:?}", d.changes);
    assert!(d.pending_restart.is_empty(), "{:?}", d.pending_restart);
}

#[test]
fn a_restart_only_setting_removed_from_the_files_is_pending() {
    let mut live = live();
    live.settings.configured.remove("max_connections");
    if let Some(p) = live.settings.parameters.get_mut("max_connections") {
        p.setting = "200".into();
        p.source = "configuration file".into();
    }
    let d = run(&ServerState::default(), &live, &ManagePolicy::default());
    assert_eq!(d.pending_restart.len(), 1);
    assert_eq!(d.pending_restart[0].running, "200");
    assert_eq!(d.pending_restart[0].configured, "100");
    // Decided on the command line: not the files' business.
    if let Some(p) = live.settings.parameters.get_mut("max_connections") {
        p.source = "command line".into();
    }
    let d = run(&ServerState::default(), &live, &ManagePolicy::default());
    assert!(d.pending_restart.is_empty());
}

#[test]
fn role_and_database_settings_compare_units() {
    let mut desired = ServerState::default();
    let mut role = crate::model::Role::new("app");
    role.settings.insert("work_mem".into(), "64MB".into());
    desired.roles.insert("app".into(), role.clone());
    let mut live = live();
    role.settings.insert("work_mem".into(), "65536".into());
    live.roles.insert("app".into(), role);
    let d = run(&desired, &live, &ManagePolicy::default());
    assert!(d.changes.is_empty(), "{:?}", d.changes);
    // A different value is still a change.
    if let Some(role) = live.roles.get_mut("app") {
        role.settings.insert("work_mem".into(), "32MB".into());
    }
    let d = run(&desired, &live, &ManagePolicy::default());
    assert_eq!(sql(&d), ["ALTER ROLE app SET work_mem = '64MB'"]);
}

#[test]
fn values_the_server_computes_are_not_pending_unless_it_says_so() {
    let mut live = live();
    let mut wal = with(
        param(
            "wal_buffers",
            VarType::Integer,
            Some("8kB"),
            ("-1", "262143"),
        ),
        Context::Postmaster,
        "512",
        "-1",
    );
    // `wal_buffers = -1` in postgresql.conf: the server computes 512
    // blocks and marks the value as its own.
    wal.source = "override".into();
    live.settings.parameters.insert("wal_buffers".into(), wal);
    live.settings.configured.insert(
        "wal_buffers".into(),
        ConfiguredValue {
            value: "-1".into(),
            file: "/data/postgresql.conf".into(),
        },
    );
    let d = run(&ServerState::default(), &live, &ManagePolicy::default());
    assert!(d.pending_restart.is_empty(), "{:?}", d.pending_restart);
    // Then 16MB is written and, after a reload, the server flags it.
    live.settings
        .values
        .insert("wal_buffers".into(), "16MB".into());
    if let Some(p) = live.settings.parameters.get_mut("wal_buffers") {
        p.pending_restart = true;
    }
    let d = run(&ServerState::default(), &live, &ManagePolicy::default());
    assert_eq!(d.pending_restart.len(), 1, "{:?}", d.pending_restart);
    assert_eq!(d.pending_restart[0].running, "4MB");
}

#[test]
fn settings_deciding_who_connects_touch_access() {
    for name in [
        "ssl",
        "ssl_cert_file",
        "listen_addresses",
        "password_encryption",
        "hba_file",
    ] {
        assert!(super::touches_access(name), "{name}");
    }
    for name in ["work_mem", "shared_buffers", "log_connections"] {
        assert!(!super::touches_access(name), "{name}");
    }
}

/// The server runs `value` (base unit), read from the files.
fn running(live: &mut ServerState, name: &str, value: &str) {
    let param = live.settings.parameters.get_mut(name).unwrap();
    param.setting = value.to_owned();
    param.source = "configuration file".to_owned();
}

fn written(live: &mut ServerState, name: &str, value: &str) {
    live.settings
        .values
        .insert(name.to_owned(), value.to_owned());
}

#[test]
fn a_value_written_but_not_loaded_is_a_pending_reload() {
    let mut live = live();
    written(&mut live, "work_mem", "64MB");
    let desired = declared(&[("work_mem", "64MB")]);
    let d = run(&desired, &live, &ManagePolicy::default());
    assert_eq!(sql(&d), ["SELECT pg_catalog.pg_reload_conf()"]);
    let change = &d.changes[0];
    assert_eq!(change.address, "setting.work_mem");
    assert_eq!(change.action, Action::Update);
    assert_eq!(change.attributes[0].before.as_deref(), Some("\"4MB\""));
    assert_eq!(change.attributes[0].after.as_deref(), Some("\"64MB\""));
    assert!(
        change.reasons[0].ends_with("the server still runs \"4MB\": reload pending"),
        "{:?}",
        change.reasons
    );
    assert!(!change.needs_restart);

    // Loaded: nothing to do.
    running(&mut live, "work_mem", "65536");
    assert!(
        run(&desired, &live, &ManagePolicy::default())
            .changes
            .is_empty()
    );
}

#[test]
fn a_value_a_show_hook_hides_is_not_a_pending_reload() {
    let mut live = live();
    written(&mut live, "work_mem", "64MB");
    // As archive_command reads while archive_mode is off.
    running(&mut live, "work_mem", "(disabled)");
    let desired = declared(&[("work_mem", "64MB")]);
    assert!(
        run(&desired, &live, &ManagePolicy::default())
            .changes
            .is_empty()
    );
}

#[test]
fn a_reload_pending_needs_no_alter_system() {
    let mut live = live();
    written(&mut live, "work_mem", "64MB");
    let mut off = live.settings.parameters["log_statement"].clone();
    off.name = "allow_alter_system".into();
    off.setting = "off".into();
    live.settings.parameters.insert(off.name.clone(), off);
    let desired = declared(&[("work_mem", "64MB")]);
    let d = run(&desired, &live, &ManagePolicy::default());
    assert_eq!(sql(&d), ["SELECT pg_catalog.pg_reload_conf()"]);
}

#[test]
fn a_value_written_over_the_declared_one_says_what_runs() {
    let mut live = live();
    written(&mut live, "work_mem", "77MB");
    running(&mut live, "work_mem", "65536");
    let desired = declared(&[("work_mem", "64MB")]);
    let d = run(&desired, &live, &ManagePolicy::default());
    assert_eq!(
        sql(&d),
        [
            "ALTER SYSTEM SET work_mem = '64MB'",
            "SELECT pg_catalog.pg_reload_conf()"
        ]
    );
    assert_eq!(
        d.changes[0].reasons,
        [
            "\"77MB\" is written in the configuration files but not loaded: the server still runs \"64MB\""
        ]
    );
}

#[test]
fn values_this_session_cannot_see_are_not_pending_reloads() {
    let desired = declared(&[("work_mem", "64MB"), ("log_connections", "on")]);
    // Chosen by the session, its role or the command line: not the server's.
    for source in ["session", "user", "command line"] {
        let mut live = live();
        written(&mut live, "work_mem", "64MB");
        written(&mut live, "log_connections", "on");
        running(&mut live, "log_connections", "on");
        live.settings.parameters.get_mut("work_mem").unwrap().source = source.into();
        let d = run(&desired, &live, &ManagePolicy::default());
        assert!(d.changes.is_empty(), "{source}: {:?}", d.changes);
    }
    // A backend-context value is fixed when the session starts: after
    // this session reloaded, it shows the old one.
    let mut live = live();
    written(&mut live, "work_mem", "64MB");
    written(&mut live, "log_connections", "on");
    running(&mut live, "work_mem", "65536");
    let d = run(&desired, &live, &ManagePolicy::default());
    assert_eq!(d.changes.len(), 1, "{:?}", d.changes);
    assert_eq!(d.changes[0].address, "setting.log_connections");
    live.settings.session_reloaded = true;
    assert!(
        run(&desired, &live, &ManagePolicy::default())
            .changes
            .is_empty()
    );
}

#[test]
fn a_value_the_server_cannot_apply_is_a_warning_not_a_reload() {
    let mut live = live();
    written(&mut live, "work_mem", "64MB");
    live.settings.unapplicable.insert("work_mem".into());
    let desired = declared(&[("work_mem", "64MB")]);
    let d = run(&desired, &live, &ManagePolicy::default());
    assert!(d.changes.is_empty(), "{:?}", d.changes);
    assert!(d.warnings[0].contains("cannot apply"), "{:?}", d.warnings);
}
