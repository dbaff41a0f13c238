//! The export of a fixed server state: a snapshot of every file, the
//! files read back as a configuration, and the decisions about who is
//! declared.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::config::{self, NoPrompt, VariableInputs};
use crate::connect::SslMode;
use crate::model::{
    ConnType, Context as ParamContext, Database, DatabaseCatalog, DefaultKind, DefaultPrivilege,
    Expression, Extension, Hba, HbaAddress, HbaRule, Membership, ObjectKind, ObjectRef, Parameter,
    Password, Policy, PolicyCommand, Privilege, Role, RowLevelSecurity, Schema, Secret, Table,
    TableName, VarType,
};

fn facts() -> ServerFacts {
    ServerFacts {
        version_num: 150004,
        session_user: "postgres".into(),
        bootstrap_superuser: "postgres".into(),
        can_read_passwords: true,
        current_database: "postgres".into(),
        is_superuser: true,
        ..Default::default()
    }
}

fn object(kind: ObjectKind, schema: &str, name: &str) -> ObjectRef {
    ObjectRef {
        kind,
        database: "app".into(),
        schema: Some(schema.into()),
        name: name.into(),
        column: None,
    }
}

fn privilege(object: &ObjectRef, grantee: &str, privilege: &str) -> Privilege {
    Privilege {
        object: object.clone(),
        grantee: grantee.into(),
        privilege: privilege.into(),
        grantable: false,
    }
}

fn default(owner: &str, schema: Option<&str>, grantee: &str, privilege: &str) -> DefaultPrivilege {
    DefaultPrivilege {
        database: "app".into(),
        owner: owner.into(),
        schema: schema.map(str::to_owned),
        kind: DefaultKind::Tables,
        grantee: grantee.into(),
        privilege: privilege.into(),
        grantable: false,
    }
}

fn parameter(name: &str, vartype: VarType, unit: Option<&str>) -> Parameter {
    Parameter {
        name: name.into(),
        vartype,
        unit: unit.map(str::to_owned),
        min: None,
        max: None,
        enumvals: Vec::new(),
        context: ParamContext::Sighup,
        setting: String::new(),
        boot_val: None,
        source: "default".into(),
        pending_restart: false,
    }
}

fn roles() -> BTreeMap<String, Role> {
    let mut postgres = Role::new("postgres");
    postgres.attributes.superuser = true;
    postgres.attributes.login = true;
    postgres.password = Password::Stored(Secret::new("SCRAM-SHA-256$4096:c2FsdA==$eA==:eQ=="));
    let mut app_user = Role::new("app_user");
    app_user.attributes.login = true;
    app_user.attributes.connection_limit = 20;
    app_user.attributes.valid_until = Some("2031-01-01T00:00:00Z".into());
    app_user.password = Password::Stored(Secret::new("SCRAM-SHA-256$4096:c2FsdA==$eA==:eQ=="));
    app_user
        .member_of
        .insert("readers".into(), Membership::default());
    app_user.member_of.insert(
        "pg_read_all_stats".into(),
        Membership {
            admin: false,
            inherit: Some(true),
            set: Some(false),
        },
    );
    app_user
        .settings
        .insert("search_path".into(), "\"$user\", public".into());
    app_user.database_settings.insert(
        "my-app".into(),
        BTreeMap::from([("work_mem".into(), "64MB".into())]),
    );
    app_user.comment = Some("login for ${app} %{env}".into());
    let mut manager = Role::new("manager");
    manager.attributes.createrole = true;
    manager.attributes.inherit = false;
    manager.member_of.insert(
        "readers".into(),
        Membership {
            admin: true,
            inherit: Some(false),
            set: Some(true),
        },
    );
    manager.member_of.insert(
        "app_user".into(),
        Membership {
            admin: true,
            inherit: Some(false),
            set: Some(false),
        },
    );
    manager.implicit_admin_of.insert("app_user".into());
    let mut auditor = Role::new("auditor");
    auditor.attributes.bypassrls = true;
    [
        postgres,
        app_user,
        manager,
        auditor,
        Role::new("app_owner"),
        Role::new("readers"),
        Role::new("pg_read_all_stats"),
    ]
    .into_iter()
    .map(|role| (role.name.clone(), role))
    .collect()
}

fn app_catalog() -> DatabaseCatalog {
    let mut catalog = DatabaseCatalog::default();
    for (name, owner, comment) in [
        (
            "public",
            "pg_database_owner",
            Some("standard public schema"),
        ),
        ("sales", "app_owner", None),
    ] {
        catalog.schemas.insert(
            name.into(),
            Schema {
                database: "app".into(),
                name: name.into(),
                owner: Some(owner.into()),
                comment: comment.map(str::to_owned),
            },
        );
    }
    let orders = object(ObjectKind::Table, "sales", "orders");
    let items = object(ObjectKind::Table, "sales", "items");
    let sequence = object(ObjectKind::Sequence, "sales", "orders_id_seq");
    let documents = object(ObjectKind::Table, "public", "documents");
    let tax = object(ObjectKind::Function, "sales", "tax(numeric)");
    for o in [&orders, &items, &sequence, &documents, &tax] {
        catalog.objects.insert(o.clone(), "app_owner".into());
    }
    let mut body = object(ObjectKind::Column, "public", "documents");
    body.column = Some("body".into());
    let schema = ObjectRef {
        kind: ObjectKind::Schema,
        database: "app".into(),
        schema: None,
        name: "sales".into(),
        column: None,
    };
    catalog.privileges = BTreeSet::from([
        privilege(&schema, "readers", "USAGE"),
        privilege(&orders, "readers", "SELECT"),
        privilege(&items, "readers", "SELECT"),
        privilege(&orders, "app_user", "SELECT"),
        privilege(&orders, "app_user", "INSERT"),
        privilege(&items, "app_user", "SELECT"),
        privilege(&items, "app_user", "INSERT"),
        privilege(&sequence, "app_user", "USAGE"),
        privilege(&tax, "readers", "EXECUTE"),
        privilege(&documents, "app_user", "SELECT"),
        privilege(&body, "app_user", "UPDATE"),
        Privilege {
            grantable: true,
            ..privilege(&documents, "manager", "SELECT")
        },
        privilege(&documents, "PUBLIC", "SELECT"),
    ]);
    catalog.default_privileges = BTreeSet::from([
        default("app_owner", Some("sales"), "readers", "SELECT"),
        default("manager", Some("sales"), "readers", "SELECT"),
        default("postgres", None, "readers", "SELECT"),
    ]);
    for (name, schema, version) in [
        ("pg_trgm", "public", "1.6"),
        ("plpgsql", "pg_catalog", "1.0"),
    ] {
        catalog.extensions.insert(
            name.into(),
            Extension {
                database: "app".into(),
                name: name.into(),
                schema: Some(schema.into()),
                version: Some(version.into()),
                ..Default::default()
            },
        );
    }
    let table = TableName {
        schema: "public".into(),
        name: "documents".into(),
    };
    catalog.tables.insert(
        table.clone(),
        Table {
            database: "app".into(),
            table: table.clone(),
            row_level_security: Some(RowLevelSecurity::Forced),
            owner: Some("app_owner".into()),
            comment: None,
            origin: None,
        },
    );
    for (name, command, permissive, roles, using, check) in [
        (
            "own_documents",
            PolicyCommand::All,
            true,
            vec!["app_user"],
            Some("(owner_id = (current_setting('app.user_id'::text))::integer)"),
            Some("(owner_id = (current_setting('app.user_id'::text))::integer)"),
        ),
        (
            "audit",
            PolicyCommand::Select,
            false,
            vec!["PUBLIC"],
            Some("true"),
            None,
        ),
    ] {
        catalog.policies.insert(
            (table.clone(), name.into()),
            Policy {
                database: "app".into(),
                table: table.clone(),
                name: name.into(),
                command,
                permissive,
                roles: roles.into_iter().map(str::to_owned).collect(),
                using: using.map(Expression::live),
                with_check: check.map(Expression::live),
                comment: None,
                origin: None,
            },
        );
    }
    catalog
}

fn state() -> ServerState {
    let mut state = ServerState {
        roles: roles(),
        ..Default::default()
    };
    let mut template1 = Database::new("template1");
    template1.encoding = Some("UTF8".into());
    template1.locale = Some("C.UTF-8".into());
    template1.is_template = true;
    let mut app = Database::new("app");
    app.owner = Some("app_owner".into());
    app.encoding = Some("UTF8".into());
    app.locale = Some("en_US.UTF-8".into());
    app.connection_limit = 50;
    app.settings.insert("work_mem".into(), "16MB".into());
    app.comment = Some("the application".into());
    let mut postgres = Database::new("postgres");
    postgres.owner = Some("postgres".into());
    postgres.encoding = Some("UTF8".into());
    postgres.locale = Some("C.UTF-8".into());
    for db in [template1, app, postgres] {
        state.databases.insert(db.name.clone(), db);
    }
    state.database_privileges.insert(Privilege {
        object: ObjectRef {
            kind: ObjectKind::Database,
            database: "app".into(),
            schema: None,
            name: "app".into(),
            column: None,
        },
        grantee: "app_user".into(),
        privilege: "CONNECT".into(),
        grantable: false,
    });
    state.catalogs.insert("app".into(), app_catalog());
    state
        .catalogs
        .insert("postgres".into(), DatabaseCatalog::default());
    let settings = &mut state.settings;
    settings.files_readable = true;
    for (name, value) in [
        ("log_connections", "on"),
        ("max_wal_senders", "10"),
        ("work_mem", "8MB"),
        ("pg_stat_statements.track", "all"),
        ("log_line_prefix", "%m [%p] ${x} "),
    ] {
        settings.values.insert(name.into(), value.into());
    }
    for p in [
        parameter("log_connections", VarType::Bool, None),
        parameter("max_wal_senders", VarType::Integer, None),
        parameter("work_mem", VarType::Integer, Some("kB")),
        parameter("log_line_prefix", VarType::String, None),
    ] {
        settings.parameters.insert(p.name.clone(), p);
    }
    state.hba = Some(Hba {
        rules: vec![
            rule(ConnType::Local, "all", "postgres", None, "peer", &[]),
            rule(
                ConnType::Host,
                "app",
                "+readers",
                Some("10.0.0.0/8"),
                "scram-sha-256",
                &[],
            ),
            rule(
                ConnType::HostSsl,
                "all",
                "all",
                Some("all"),
                "cert",
                &[("clientcert", "verify-full"), ("map", "certs")],
            ),
        ],
        file: "/data/pg_hba.conf".into(),
        readable: true,
        ..Default::default()
    });
    state
}

fn rule(
    conn_type: ConnType,
    database: &str,
    user: &str,
    address: Option<&str>,
    method: &str,
    options: &[(&str, &str)],
) -> HbaRule {
    HbaRule {
        conn_type,
        databases: vec![database.into()],
        users: vec![user.into()],
        address: address.map_or(HbaAddress::None, |a| HbaAddress::parse(a, None).unwrap()),
        method: method.into(),
        options: options
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        comment: None,
    }
}

fn hint() -> ConnectionHint {
    ConnectionHint {
        host: "db.example.com".into(),
        port: 5432,
        user: "postgres".into(),
        dbname: "postgres".into(),
        sslmode: SslMode::VerifyFull,
        sslrootcert: Some("/etc/pgfort/ca.crt".into()),
    }
}

fn export_of(state: &ServerState, include: &BTreeSet<Kind>) -> (Vec<ExportFile>, Vec<String>) {
    let databases = vec!["app".to_owned(), "postgres".to_owned()];
    render(&Source {
        state,
        facts: &facts(),
        include,
        databases: &databases,
        connection: Some(hint()),
    })
    .unwrap()
}

fn all() -> BTreeSet<Kind> {
    Kind::ALL.into_iter().collect()
}

#[test]
fn every_file_of_a_fixed_server() {
    let (files, notes) = export_of(&state(), &all());
    let mut text = String::new();
    for file in &files {
        text.push_str(&format!("=== {}\n{}", file.name, file.text));
    }
    text.push_str("=== notes\n");
    for note in &notes {
        text.push_str(note);
        text.push('\n');
    }
    insta::assert_snapshot!(text);
    assert!(!text.contains("SCRAM-SHA-256$"), "no password verifier");
}

#[test]
fn the_files_read_back_as_a_configuration() {
    let (files, _) = export_of(&state(), &all());
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &files, false).unwrap();
    let config = config::load(dir.path(), &VariableInputs::default(), &NoPrompt)
        .unwrap_or_else(|e| panic!("{e}"));
    let desired = &config.desired;
    assert_eq!(desired.roles["app_user"].password, Password::Unmanaged);
    assert_eq!(
        desired.roles["app_user"].comment.as_deref(),
        Some("login for ${app} %{env}")
    );
    assert_eq!(
        desired.roles["app_user"].settings["search_path"],
        "\"$user\", public"
    );
    assert_eq!(desired.settings.values["log_line_prefix"], "%m [%p] ${x} ");
    assert_eq!(desired.settings.values["pg_stat_statements.track"], "all");
    assert_eq!(desired.settings.values["log_connections"], "on");
    assert_eq!(config.connection.host.as_deref(), Some("db.example.com"));
    assert_eq!(config.connection.password, None);
    let hba = desired.hba.as_ref().unwrap();
    assert_eq!(hba.rules, state().hba.unwrap().rules);
    let app = &desired.catalogs["app"];
    assert_eq!(app.policies.len(), 2);
    assert!(!app.extensions.contains_key("plpgsql"));
}

#[test]
fn the_bootstrap_superuser_is_declared_only_when_named() {
    let mut state = state();
    let (files, _) = export_of(&state, &all());
    let roles = &files.iter().find(|f| f.name == "roles.hcl").unwrap().text;
    assert!(!roles.contains("role \"postgres\""), "{roles}");
    // Owning default privileges of an exported role in a schema names it.
    let catalog = state.catalogs.get_mut("app").unwrap();
    catalog
        .default_privileges
        .insert(default("postgres", Some("sales"), "readers", "SELECT"));
    let (files, _) = export_of(&state, &all());
    let roles = &files.iter().find(|f| f.name == "roles.hcl").unwrap().text;
    assert!(roles.contains("role \"postgres\""), "{roles}");
    assert!(roles.contains("keep_password = true"), "{roles}");
    let grants = &files.iter().find(|f| f.name == "grants.hcl").unwrap().text;
    assert!(
        grants.contains("owners     = [\"manager\", \"postgres\"]"),
        "{grants}"
    );
}

#[test]
fn a_schema_owner_without_default_privileges_is_left_out() {
    let mut state = state();
    let catalog = state.catalogs.get_mut("app").unwrap();
    catalog.default_privileges =
        BTreeSet::from([default("manager", Some("sales"), "readers", "SELECT")]);
    let (files, notes) = export_of(&state, &all());
    let databases = &files
        .iter()
        .find(|f| f.name == "databases.hcl")
        .unwrap()
        .text;
    assert!(
        databases.contains("# owner \"app_owner\" is left out"),
        "{databases}"
    );
    let grants = &files.iter().find(|f| f.name == "grants.hcl").unwrap().text;
    assert!(grants.contains("owners     = [\"manager\"]"), "{grants}");
    assert!(
        !notes.iter().any(|n| n.contains("\"manager\"")),
        "{notes:?}"
    );
}

#[test]
fn kinds_can_be_chosen_but_grants_need_roles() {
    let include: BTreeSet<Kind> = [Kind::Settings, Kind::Hba].into_iter().collect();
    let (files, _) = export_of(&state(), &include);
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["settings.hcl", "hba.hcl", "connection.hcl"]);
    let refused = check_kinds(&[Kind::Grants, Kind::Policies].into_iter().collect());
    assert!(
        matches!(&refused, Err(ExportError::NeedsRoles(what)) if what == "grants and policies"),
        "{refused:?}"
    );
    assert!(check_kinds(&all()).is_ok());
    assert_eq!("Roles".parse::<Kind>(), Ok(Kind::Roles));
    assert!("users".parse::<Kind>().is_err());
}

#[test]
fn databases_are_chosen_among_those_that_accept_connections() {
    let mut state = state();
    let mut closed = Database::new("closed");
    closed.allow_connections = false;
    state.databases.insert("closed".into(), closed);
    assert_eq!(choose_databases(&state, &[]).unwrap(), ["app", "postgres"]);
    assert_eq!(
        choose_databases(&state, &["app".into(), "app".into()]).unwrap(),
        ["app"]
    );
    assert!(matches!(
        choose_databases(&state, &["closed".into()]),
        Err(ExportError::NoConnections(_))
    ));
    assert!(matches!(
        choose_databases(&state, &["nope".into()]),
        Err(ExportError::UnknownDatabase(_))
    ));
}

#[test]
fn pg_database_owner_creates_nothing() {
    let mut state = state();
    let catalog = state.catalogs.get_mut("app").unwrap();
    let documents = object(ObjectKind::Table, "public", "documents");
    catalog
        .privileges
        .insert(privilege(&documents, "readers", "SELECT"));
    catalog
        .default_privileges
        .insert(default("manager", Some("public"), "readers", "SELECT"));
    let (files, notes) = export_of(&state, &all());
    let grants = &files.iter().find(|f| f.name == "grants.hcl").unwrap().text;
    assert!(
        grants.contains(
            "  on         = { database = \"app\", schema = \"public\", all = \"tables\" }\n  owners     = [\"manager\"]"
        ),
        "{grants}"
    );
    assert_eq!(
        notes.len(),
        1,
        "only the global default privileges: {notes:?}"
    );
}

#[test]
fn privileges_on_databases_left_out_are_noted() {
    let state = state();
    let (_, notes) = render(&Source {
        state: &state,
        facts: &facts(),
        include: &all(),
        databases: &["postgres".to_owned()],
        connection: None,
    })
    .unwrap();
    assert!(
        notes.iter().any(|n| n.contains(
            "database \"app\" is not exported, but privileges on it are held by app_user"
        )),
        "{notes:?}"
    );
}

#[test]
fn secret_hba_options_become_sensitive_variables() {
    let mut state = state();
    let ldap = rule(
        ConnType::Host,
        "all",
        "all",
        Some("10.0.0.0/8"),
        "ldap",
        &[
            ("ldapbasedn", "dc=example,dc=com"),
            ("ldapbinddn", "cn=pg,dc=example,dc=com"),
            ("ldapbindpasswd", "Bind-S3cret"),
            ("ldapserver", "ldap.example.com"),
        ],
    );
    if let Some(hba) = &mut state.hba {
        hba.rules.push(ldap);
    }
    let (files, notes) = export_of(&state, &all());
    let text: String = files.iter().map(|f| f.text.as_str()).collect();
    assert!(!text.contains("Bind-S3cret"), "{text}");
    assert!(
        text.contains("ldapbindpasswd = var.hba_rule_4_ldapbindpasswd"),
        "{text}"
    );
    assert!(
        text.contains("variable \"hba_rule_4_ldapbindpasswd\""),
        "{text}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("var.hba_rule_4_ldapbindpasswd"))
    );
    // Given the value, the files read back as the same rules.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &files, false).unwrap();
    let inputs = VariableInputs {
        cli: vec![("hba_rule_4_ldapbindpasswd".into(), "Bind-S3cret".into())],
        ..Default::default()
    };
    let config = config::load(dir.path(), &inputs, &NoPrompt).unwrap_or_else(|e| panic!("{e}"));
    let hba = config.desired.hba.as_ref().unwrap();
    assert_eq!(hba.rules, state.hba.unwrap().rules);
}
