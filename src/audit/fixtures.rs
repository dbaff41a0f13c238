//! Hand-written facts for unit tests and snapshots: a hardened server where
//! every control passes, weak ones where each control fails, and what a
//! role without privileges sees.

use std::collections::BTreeMap;

use super::facts::*;
use crate::model::Secret;

fn settings(pairs: &[(&str, &str, Option<&str>)]) -> BTreeMap<String, SettingFact> {
    pairs
        .iter()
        .map(|(name, value, unit)| {
            (
                (*name).to_owned(),
                SettingFact {
                    value: (*value).to_owned(),
                    unit: unit.map(str::to_owned),
                },
            )
        })
        .collect()
}

fn role(name: &str, superuser: bool, connlimit: i32, password: PasswordKind) -> RoleFact {
    RoleFact {
        name: name.to_owned(),
        superuser,
        login: true,
        createrole: false,
        createdb: false,
        replication: false,
        bypassrls: false,
        connlimit,
        password: Some(password),
        member_of: Vec::new(),
        expired: false,
    }
}

/// A login role's stored verifier: SCRAM with one iteration (cheap to
/// test), or md5 when `md5`.
fn verifier(role: &str, password: &str, md5: bool) -> LoginVerifier {
    let verifier = if md5 {
        postgres_protocol::password::md5(password.as_bytes(), role)
    } else {
        crate::password::verifier_with(&Secret::new(password), role.as_bytes(), 1)
    };
    LoginVerifier {
        role: role.to_owned(),
        verifier: Secret::new(verifier),
    }
}

fn rule(
    line: i32,
    kind: &str,
    db: &str,
    user: &str,
    net: Option<(&str, &str)>,
    method: &str,
) -> HbaRuleFact {
    HbaRuleFact {
        line,
        kind: kind.to_owned(),
        databases: vec![db.to_owned()],
        users: vec![user.to_owned()],
        address: net.map(|(a, _)| a.to_owned()),
        netmask: net.map(|(_, m)| m.to_owned()),
        method: method.to_owned(),
    }
}

fn privilege(object: &str, grantee: &str, privilege: &str) -> PrivilegeFact {
    PrivilegeFact {
        object: object.to_owned(),
        grantee: grantee.to_owned(),
        privilege: privilege.to_owned(),
    }
}

/// Every control passes.
pub fn hardened() -> AuditFacts {
    AuditFacts {
        version_num: 170_010,
        today: "2026-12-03".to_owned(),
        session_user: "postgres".to_owned(),
        current_database: "app".to_owned(),
        in_recovery: true,
        settings: settings(&[
            ("log_destination", "stderr,syslog", None),
            ("logging_collector", "on", None),
            ("log_directory", "/var/log/postgresql", None),
            ("data_directory", "/var/lib/postgresql/17/main", None),
            ("log_timezone", "UTC", None),
            ("log_file_mode", "0600", None),
            ("log_truncate_on_rotation", "on", None),
            ("log_rotation_age", "1440", Some("min")),
            ("log_rotation_size", "10240", Some("kB")),
            ("log_min_messages", "warning", None),
            ("fsync", "on", None),
            ("full_page_writes", "on", None),
            ("log_min_error_statement", "error", None),
            ("debug_print_parse", "off", None),
            ("debug_print_rewritten", "off", None),
            ("debug_print_plan", "off", None),
            ("log_connections", "on", None),
            ("log_disconnections", "on", None),
            ("log_hostname", "off", None),
            ("log_line_prefix", "%m [%p] %q%u@%d app=%a host=%h ", None),
            ("log_statement", "ddl", None),
            (
                "shared_preload_libraries",
                "pg_stat_statements,pgaudit,auth_delay,passwordcheck",
                None,
            ),
            ("auth_delay.milliseconds", "500", Some("ms")),
            // A standby of a cascade: it streams from its primary over
            // verified TLS and serves standby1 in turn.
            (
                "primary_conninfo",
                "host=primary.example.com port=5432 user=replicator password=Rep-Secret-9 sslmode=verify-full sslrootcert=/etc/postgresql/root.crt",
                None,
            ),
            ("pgaudit.log", "ddl,write", None),
            ("log_replication_commands", "on", None),
            ("password_encryption", "scram-sha-256", None),
            ("authentication_timeout", "30", Some("s")),
            ("listen_addresses", "10.0.0.5", None),
            ("ssl", "on", None),
            ("ssl_min_protocol_version", "TLSv1.2", None),
            ("ssl_ciphers", "ECDHE+AESGCM:!aNULL:!kRSA", None),
            ("data_checksums", "on", None),
            ("unix_socket_permissions", "0770", None),
            ("data_directory_mode", "0700", None),
            ("autovacuum", "on", None),
            ("max_connections", "100", None),
            ("ignore_system_indexes", "off", None),
            ("jit_debugging_support", "off", None),
            ("jit_profiling_support", "off", None),
            ("post_auth_delay", "0", Some("s")),
            ("archive_mode", "on", None),
            ("archive_command", "cp %p /archive/%f", None),
            ("idle_in_transaction_session_timeout", "600000", Some("ms")),
            ("log_filename", "postgresql-%Y-%m-%d_%H%M%S.log", None),
            ("syslog_facility", "local0", None),
            ("syslog_sequence_numbers", "on", None),
            ("syslog_split_messages", "on", None),
            ("debug_pretty_print", "on", None),
            ("log_error_verbosity", "verbose", None),
            ("client_min_messages", "notice", None),
            ("log_checkpoints", "on", None),
            ("log_lock_waits", "on", None),
            ("idle_session_timeout", "3600000", Some("ms")),
        ]),
        roles: vec![
            RoleFact {
                login: false,
                ..role("pg_monitor", false, -1, PasswordKind::None)
            },
            role("postgres", true, -1, PasswordKind::Scram),
            role("app", false, 20, PasswordKind::Scram),
            RoleFact {
                replication: true,
                ..role("replicator", false, 5, PasswordKind::Scram)
            },
        ],
        read_passwords: true,
        hba_rules: Some(vec![
            rule(1, "local", "all", "postgres", None, "peer"),
            rule(
                2,
                "hostssl",
                "app",
                "app",
                Some(("10.0.0.0", "255.255.255.0")),
                "scram-sha-256",
            ),
            rule(
                3,
                "host",
                "all",
                "all",
                Some(("0.0.0.0", "0.0.0.0")),
                "reject",
            ),
        ]),
        databases: vec![DatabaseFacts {
            name: "app".to_owned(),
            public_schema_acl: Some(vec!["postgres=UC/postgres".to_owned()]),
            definer_functions: vec![DefinerFunction {
                signature: "app.login(text)".to_owned(),
                owner: "app".to_owned(),
                pins_search_path: true,
                public_execute: false,
            }],
            // Used at run time, without a catalog trace.
            unreferenced_extensions: vec!["pg_stat_statements".to_owned()],
            ..DatabaseFacts::default()
        }],
        extensions: vec!["plpgsql".to_owned(), "pg_stat_statements".to_owned()],
        available_extensions: vec!["pg_stat_statements".to_owned(), "pgaudit".to_owned()],
        activity: Some(ActivityFact {
            connections: 5,
            sees_all: true,
            long_running: Vec::new(),
        }),
        cache_blocks: Some((990_000, 100)),
        replicas: Some(vec![ReplicaFact {
            name: "standby1".to_owned(),
            user: "replicator".to_owned(),
            replay_lag_seconds: Some(0.5),
        }]),
        hba_file_mode: Some(0o600),
        tls_probe: Some(crate::audit::facts::TlsProbe::Served {
            address: "db.example.com:5432".to_owned(),
        }),
        login_verifiers: Some(vec![
            verifier("postgres", "k3Vq-92mZ-Lr8x-Tt4w", false),
            verifier("app", "Wd7p-Ns2c-Qh5e-Mv9j", false),
            verifier("replicator", "Zb4k-Rf8u-Gy3n-Px6s", false),
        ]),
        pgbouncers: vec![pgbouncer(
            &[
                ("auth_type", "scram-sha-256"),
                ("listen_addr", "10.0.0.5,127.0.0.1"),
                ("client_tls_sslmode", "require"),
                ("admin_users", "pgbouncer_admin"),
            ],
            0o100600,
        )],
        ..AuditFacts::default()
    }
}

/// A PgBouncer called "main" with these `[pgbouncer]` settings.
fn pgbouncer(settings: &[(&str, &str)], auth_file_mode: u32) -> PgBouncerFact {
    PgBouncerFact {
        name: "main".to_owned(),
        settings: Some(
            settings
                .iter()
                .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
                .collect(),
        ),
        auth_file_mode: Some(auth_file_mode),
    }
}

/// Almost every control fails (5.8-ext needs [`weak_with_hostssl`]).
pub fn weak() -> AuditFacts {
    let mut facts = hardened();
    for (name, value) in [
        ("log_destination", ""),
        ("logging_collector", "off"),
        ("log_directory", ""),
        ("log_file_mode", "0644"),
        ("log_truncate_on_rotation", "off"),
        ("log_rotation_age", "0"),
        ("log_rotation_size", "0"),
        ("log_min_messages", "debug1"),
        ("idle_in_transaction_session_timeout", "0"),
        ("log_filename", "postgresql.log"),
        ("syslog_facility", "user"),
        ("syslog_sequence_numbers", "off"),
        ("syslog_split_messages", "off"),
        ("debug_pretty_print", "off"),
        ("log_error_verbosity", "terse"),
        ("client_min_messages", "debug1"),
        ("log_checkpoints", "off"),
        ("log_lock_waits", "off"),
        ("idle_session_timeout", "0"),
        ("log_timezone", "Europe/Berlin"),
        (
            "primary_conninfo",
            "host=primary.example.com user=postgres password=Hunter2-Secret",
        ),
        ("fsync", "off"),
        ("full_page_writes", "off"),
        ("log_min_error_statement", "panic"),
        ("debug_print_parse", "on"),
        ("debug_print_rewritten", "on"),
        ("debug_print_plan", "on"),
        ("log_connections", "off"),
        ("log_disconnections", "off"),
        ("log_hostname", "on"),
        ("log_line_prefix", "%m [%p] "),
        ("log_statement", "none"),
        ("shared_preload_libraries", ""),
        ("pgaudit.log", "none"),
        ("log_replication_commands", "off"),
        ("password_encryption", "md5"),
        ("authentication_timeout", "120"),
        ("listen_addresses", "*"),
        ("ssl", "off"),
        ("ssl_min_protocol_version", "TLSv1"),
        ("ssl_ciphers", "HIGH:MEDIUM:+3DES:!aNULL"),
        ("data_checksums", "off"),
        ("unix_socket_permissions", "0777"),
        ("data_directory_mode", "0755"),
        ("autovacuum", "off"),
        ("max_connections", "10"),
        ("ignore_system_indexes", "on"),
        ("jit_debugging_support", "on"),
        ("jit_profiling_support", "on"),
        ("post_auth_delay", "5"),
        ("archive_mode", "off"),
        ("archive_command", ""),
    ] {
        if let Some(setting) = facts.settings.get_mut(name) {
            setting.value = value.to_owned();
        }
    }
    facts.roles = vec![
        role("postgres", true, -1, PasswordKind::Md5),
        RoleFact {
            member_of: vec!["dba".to_owned()],
            ..role("admin", true, -1, PasswordKind::Scram)
        },
        RoleFact {
            createrole: true,
            createdb: true,
            replication: true,
            bypassrls: true,
            ..role("app", false, -1, PasswordKind::Plain)
        },
        role("nopass", false, 5, PasswordKind::None),
        RoleFact {
            expired: true,
            ..role("former", false, 5, PasswordKind::Scram)
        },
        RoleFact {
            login: false,
            member_of: vec!["pg_execute_server_program".to_owned()],
            ..role("ops", false, 5, PasswordKind::None)
        },
        RoleFact {
            member_of: vec!["ops".to_owned(), "pg_read_all_data".to_owned()],
            ..role("reporting", false, 5, PasswordKind::Scram)
        },
    ];
    facts.login_verifiers = Some(vec![
        verifier("postgres", "postgres", true),
        verifier("admin", "admin123", false),
        verifier("app", "Wd7p-Ns2c-Qh5e-Mv9j", false),
        verifier("former", "former!", false),
    ]);
    facts.hba_rules = Some(vec![
        rule(1, "local", "all", "all", None, "trust"),
        rule(
            2,
            "host",
            "all",
            "all",
            Some(("0.0.0.0", "0.0.0.0")),
            "trust",
        ),
        rule(
            3,
            "host",
            "app",
            "app",
            Some(("10.0.0.0", "255.0.0.0")),
            "password",
        ),
        rule(
            4,
            "host",
            "app",
            "app",
            Some(("192.168.1.0", "255.255.255.0")),
            "ident",
        ),
        rule(
            5,
            "host",
            "app",
            "admin",
            Some(("192.168.2.0", "255.255.255.0")),
            "md5",
        ),
    ]);
    let app = &mut facts.databases[0];
    app.public_schema_acl = Some(vec![
        "postgres=UC/postgres".to_owned(),
        "=UC/postgres".to_owned(),
    ]);
    app.public_table_privileges = vec![privilege("app.orders", "PUBLIC", "SELECT")];
    app.grant_options = vec![privilege("app.orders", "report", "SELECT")];
    app.definer_functions = vec![DefinerFunction {
        signature: "app.reset(integer)".to_owned(),
        owner: "postgres".to_owned(),
        pins_search_path: false,
        public_execute: true,
    }];
    app.public_create_schemas = vec!["public".to_owned(), "staging".to_owned()];
    app.public_default_privileges = vec!["FOR ROLE app: SELECT ON TABLES".to_owned()];
    app.untrusted_languages = vec!["plpython3u".to_owned()];
    app.unreferenced_extensions = vec![
        "hstore".to_owned(),
        "pgcrypto".to_owned(),
        "plpgsql".to_owned(),
    ];
    facts.version_num = 140_020;
    facts.extensions = vec!["plpgsql".to_owned()];
    facts.activity = Some(ActivityFact {
        connections: 9,
        sees_all: true,
        long_running: vec![LongQuery {
            pid: 4242,
            user: "app".to_owned(),
            seconds: 900,
        }],
    });
    facts.cache_blocks = Some((900, 100));
    facts.replicas = Some(vec![ReplicaFact {
        name: "standby1".to_owned(),
        user: "postgres".to_owned(),
        replay_lag_seconds: Some(300.0),
    }]);
    facts.hba_file_mode = Some(0o644);
    facts.pgbouncers = vec![pgbouncer(
        &[
            ("auth_type", "trust"),
            ("listen_addr", "*"),
            ("admin_users", "postgres"),
        ],
        0o100644,
    )];
    facts
}

/// hostssl rules next to plain host rules (fails 5.8-ext).
pub fn weak_with_hostssl() -> AuditFacts {
    let mut facts = weak();
    // Logging to syslog, so the syslog controls apply (and fail).
    if let Some(destination) = facts.settings.get_mut("log_destination") {
        destination.value = "syslog".to_owned();
    }
    // Log files too, where the empty log_directory puts them: in the data
    // directory (fails ext-logs-outside-data).
    if let Some(collector) = facts.settings.get_mut("logging_collector") {
        collector.value = "on".to_owned();
    }
    if let Some(rules) = facts.hba_rules.as_mut() {
        rules.push(rule(
            6,
            "hostssl",
            "app",
            "app",
            Some(("10.1.0.0", "255.255.0.0")),
            "scram-sha-256",
        ));
        // admin is a superuser and a member of dba.
        rules.push(rule(
            7,
            "hostssl",
            "app",
            "+dba",
            Some(("10.2.0.0", "255.255.255.0")),
            "scram-sha-256",
        ));
    }
    facts
}

/// What a role with no special privileges sees.
pub fn unprivileged() -> AuditFacts {
    let mut facts = hardened();
    facts.session_user = "app".to_owned();
    facts.read_passwords = false;
    facts.login_verifiers = None;
    for role in &mut facts.roles {
        role.password = None;
    }
    facts.hba_rules = None;
    facts.activity = Some(ActivityFact {
        connections: 5,
        sees_all: false,
        long_running: Vec::new(),
    });
    facts.replicas = None;
    facts.hba_file_mode = None;
    facts.settings.remove("data_directory_mode");
    // Settings PostgreSQL shows only to superusers and
    // pg_read_all_settings.
    for hidden in [
        "data_directory",
        "log_directory",
        "shared_preload_libraries",
        "primary_conninfo",
    ] {
        facts.settings.remove(hidden);
    }
    facts
}
