//! `settings`, `tune` and `extension` blocks, and the manage options about
//! them. Whether the server accepts the values is checked at plan time.

use std::collections::BTreeMap;

use super::{error_of, load_text, refused};
use crate::model::{Extension, SettingsScope};
use crate::tune::{Storage, TuneProfile, Workload};

const FULL: &str = r#"
manage {
  settings         = "authoritative"
  prune_extensions = true
}

settings {
  log_connections            = true
  log_statement              = "mod"
  log_line_prefix            = "%m [%p] %q%u@%d "
  log_min_duration_statement = "250ms"
  random_page_cost           = 1.1
  Shared_Preload_Libraries   = ["pg_stat_statements", "auto_explain"]
  search_path                = "$user, public"
  pg_stat_statements = {
    track = "all"
    max   = 10000
  }
}

tune {
  memory      = "16GB"
  cpus        = 4
  connections = 200
  storage     = "NVMe"
  workload    = "web"
}

extension "pg_stat_statements" {
  database = "app"
}

extension "pg_trgm" {
  database = "app"
  schema   = "ext"
  version  = "1.6"
  cascade  = true
}

extension "auto_explain" {}
"#;

#[test]
fn decodes_settings_tune_and_extensions() {
    let config = load_text(FULL).unwrap();
    assert_eq!(config.manage.settings, SettingsScope::Authoritative);
    assert!(config.manage.prune_extensions);
    let settings = &config.desired.settings;
    let expected: BTreeMap<String, String> = [
        ("log_connections", "on"),
        ("log_statement", "mod"),
        ("log_line_prefix", "%m [%p] %q%u@%d "),
        ("log_min_duration_statement", "250ms"),
        ("random_page_cost", "1.1"),
        (
            "shared_preload_libraries",
            "pg_stat_statements, auto_explain",
        ),
        ("search_path", "\"$user\", public"),
        ("pg_stat_statements.track", "all"),
        ("pg_stat_statements.max", "10000"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(settings.values, expected);
    assert_eq!(
        settings.tune,
        Some(TuneProfile {
            memory_kb: 16 * 1024 * 1024,
            cpus: Some(4),
            connections: Some(200),
            storage: Storage::Nvme,
            workload: Workload::Web,
        })
    );
    assert_eq!(
        settings.libraries.iter().collect::<Vec<_>>(),
        ["auto_explain"]
    );
    let app = &config.desired.catalogs["app"].extensions;
    assert_eq!(
        app["pg_trgm"],
        Extension {
            database: "app".into(),
            name: "pg_trgm".into(),
            schema: Some("ext".into()),
            version: Some("1.6".into()),
            cascade: true,
            ..Default::default()
        }
    );
    assert!(app.contains_key("pg_stat_statements"));
    // Plan-time errors point at what was written.
    let at = |key: &str| config.locations.get(key).map(|l| (l.line, l.column));
    assert_eq!(at("settings.log_statement"), Some((9, 3)));
    assert_eq!(at("settings.pg_stat_statements.max"), Some((17, 5)));
    assert_eq!(at("tune"), Some((21, 1)));
    assert_eq!(at("extension.app.pg_trgm"), Some((33, 11)));
    assert_eq!(at("extension.app.pg_trgm.version"), Some((36, 14)));
}

#[test]
fn defaults() {
    let config = load_text("tune {\n  memory = \"4GB\"\n}\n").unwrap();
    let tune = config.desired.settings.tune.unwrap();
    assert_eq!(
        (tune.storage, tune.workload),
        (Storage::Ssd, Workload::Mixed)
    );
    assert_eq!(config.manage.settings, SettingsScope::Declared);
    assert!(!config.manage.prune_extensions);
}

#[test]
fn role_and_database_settings_have_locations() {
    let config = load_text(
        "role \"app\" {\n  settings = { work_mem = \"64MB\" }\n}\n\ndatabase \"app\" {\n  settings = {\n    Work_Mem = \"1GB\"\n  }\n}\n",
    )
    .unwrap();
    let at = |key: &str| config.locations.get(key).map(|l| (l.line, l.column));
    assert_eq!(at("role.app.settings.work_mem"), Some((2, 16)));
    assert_eq!(at("database.app.settings.work_mem"), Some((7, 5)));
}

#[test]
fn refusals() {
    let (error, _) = error_of("settings {\n  work_mem = \"1MB\"\n}\nsettings {}\n");
    assert!(
        error.starts_with("4:1: only one settings block is allowed; the first is at "),
        "{error}"
    );
    refused(
        "settings {\n  work-mem = \"1MB\"\n}\n",
        "2:3: invalid setting name \"work-mem\"",
        Some(crate::config::normalize::settings::NAME_HINT),
    );
    let (error, _) = error_of("settings {\n  work_mem = \"1MB\"\n  WORK_MEM = \"2MB\"\n}\n");
    assert!(
        error.starts_with("3:3: setting \"work_mem\" is already set at "),
        "{error}"
    );
    refused(
        "tune {\n  cpus = 4\n}\n",
        "1:1: missing attribute \"memory\" in tune block",
        Some("write memory = \"16GB\""),
    );
    refused(
        "tune {\n  memory = \"16 XB\"\n}\n",
        "2:12: invalid memory: unknown unit \"XB\" in \"16 XB\": use kB, MB, GB or TB",
        Some("write the RAM PostgreSQL may use, e.g. memory = \"16GB\""),
    );
    refused(
        "tune {\n  memory   = \"16GB\"\n  workload = \"wbe\"\n}\n",
        "3:14: unknown workload \"wbe\", expected one of: web, oltp, dw, desktop, mixed",
        Some("did you mean \"web\"?"),
    );
    refused(
        "manage {\n  settings = \"all\"\n}\n",
        "2:14: unknown settings scope \"all\", expected declared or authoritative",
        None,
    );
    refused(
        "extension \"pg_trgm\" {}\n",
        "1:1: missing attribute \"database\" in extension \"pg_trgm\"",
        Some("write database = \"myapp\""),
    );
    let (error, _) = error_of(
        "extension \"pg_trgm\" {\n  database = \"app\"\n}\nextension \"pg_trgm\" {\n  database = \"app\"\n}\n",
    );
    assert!(
        error
            .starts_with("4:11: extension \"pg_trgm\" in database \"app\" is already declared at "),
        "{error}"
    );
    refused(
        "extension \"auto_explain\" {\n  database = \"app\"\n}\n",
        "2:14: \"auto_explain\" is a library without CREATE EXTENSION: it is only added to shared_preload_libraries, so it takes no attributes",
        Some("write: extension \"auto_explain\" {}"),
    );
}
