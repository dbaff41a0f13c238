//! `database` and `schema` blocks, and the manage options about them.

use std::collections::BTreeMap;

use super::{error_of, load_text, refused};
use crate::model::{Database, Schema};

const FULL: &str = r#"
role "app_owner" {}

manage {
  prune_databases   = true
  public_privileges = true
}

database "app" {
  owner             = "app_owner"
  encoding          = "utf-8"
  locale            = "en_US.UTF-8"
  template          = "template0"
  connection_limit  = 50
  allow_connections = true
  is_template       = false
  settings = {
    Search_Path = "$user, public"
    work_mem    = "64MB"
    jit         = false
  }
  comment = "the application"
}

database "archive" {
  encoding          = "LATIN1"
  allow_connections = false
  is_template       = true
  connection_limit  = -1
}

database "minimal" {}

schema "app" {
  database = "app"
  owner    = "app_owner"
  comment  = "tables of the application"
}

schema "app" {
  database = "archive"
}

schema "reports" {
  database = "not_declared"
  owner    = "pg_read_all_data"
}
"#;

#[test]
fn decodes_databases_and_schemas() {
    let config = load_text(FULL).unwrap();
    assert!(config.manage.prune_databases);
    assert!(config.manage.public_privileges);
    assert!(!config.manage.prune_roles);

    let databases = &config.desired.databases;
    assert_eq!(
        databases.keys().collect::<Vec<_>>(),
        ["app", "archive", "minimal"]
    );
    let app = Database {
        name: "app".to_string(),
        owner: Some("app_owner".to_string()),
        encoding: Some("UTF8".to_string()),
        locale: Some("en_US.UTF-8".to_string()),
        template: Some("template0".to_string()),
        connection_limit: 50,
        allow_connections: true,
        is_template: false,
        settings: BTreeMap::from([
            ("search_path".to_string(), "\"$user\", public".to_string()),
            ("work_mem".to_string(), "64MB".to_string()),
            ("jit".to_string(), "off".to_string()),
        ]),
        comment: Some("the application".to_string()),
    };
    assert_eq!(databases["app"], app);
    let mut archive = Database::new("archive");
    archive.encoding = Some("LATIN1".to_string());
    archive.allow_connections = false;
    archive.is_template = true;
    assert_eq!(databases["archive"], archive);
    assert_eq!(databases["minimal"], Database::new("minimal"));

    let catalogs = &config.desired.catalogs;
    assert_eq!(
        catalogs.keys().collect::<Vec<_>>(),
        ["app", "archive", "not_declared"]
    );
    assert_eq!(
        catalogs["app"].schemas["app"],
        Schema {
            database: "app".to_string(),
            name: "app".to_string(),
            owner: Some("app_owner".to_string()),
            comment: Some("tables of the application".to_string()),
        }
    );
    assert_eq!(
        catalogs["archive"].schemas["app"],
        Schema {
            database: "archive".to_string(),
            name: "app".to_string(),
            owner: None,
            comment: None,
        }
    );
    assert_eq!(
        catalogs["not_declared"].schemas["reports"].owner.as_deref(),
        Some("pg_read_all_data")
    );
    assert!(catalogs["app"].objects.is_empty());
    assert!(catalogs["app"].privileges.is_empty());
}

#[test]
fn manage_defaults_and_prune_databases_alone() {
    let config = load_text("manage {\n  prune_databases = true\n}\n").unwrap();
    assert!(config.manage.prune_databases);
    assert!(!config.manage.public_privileges);
    let config = load_text("database \"x\" {}\n").unwrap();
    assert!(!config.manage.prune_databases);
    assert!(!config.manage.public_privileges);
}

#[test]
fn duplicate_database() {
    let (error, _) = error_of("database \"a\" {}\ndatabase \"b\" {}\n\ndatabase \"a\" {}\n");
    assert!(
        error.starts_with("4:10: database \"a\" is already declared at "),
        "{error}"
    );
    assert!(error.ends_with("main.hcl:1:10"), "{error}");
}

#[test]
fn duplicate_schema_in_one_database() {
    let (error, _) = error_of(
        "schema \"s\" {\n  database = \"a\"\n}\nschema \"s\" {\n  database = \"b\"\n}\nschema \"s\" {\n  database = \"a\"\n}\n",
    );
    assert!(
        error.starts_with("7:8: schema \"s\" of database \"a\" is already declared at "),
        "{error}"
    );
    assert!(error.ends_with("main.hcl:1:8"), "{error}");
}

#[test]
fn database_values() {
    refused(
        "database \"a\" {\n  encoding = \"utf9\"\n}\n",
        "2:14: unknown encoding \"utf9\"",
        Some("did you mean \"UTF8\"?"),
    );
    refused(
        "database \"a\" {\n  encoding = \"klingon\"\n}\n",
        "2:14: unknown encoding \"klingon\"",
        Some("most databases use UTF8"),
    );
    refused(
        "database \"a\" {\n  encoding = \"SJIS\"\n}\n",
        "2:14: encoding SJIS is for clients only; a database cannot use it",
        Some("most databases use UTF8"),
    );
    refused(
        "database \"a\" {\n  connection_limit = -2\n}\n",
        "2:22: connection_limit must be between -1 and 2147483647, got -2",
        None,
    );
    refused(
        "database \"a\" {\n  allow_connections = \"maybe\"\n}\n",
        "2:23: allow_connections must be a bool (true or false), got a string",
        None,
    );
    refused(
        "database \"a\" {\n  settings = { \"work mem\" = 1 }\n}\n",
        "2:16: invalid setting name \"work mem\"",
        Some(
            "a setting name is letters, digits and _, with one . for extension settings (e.g. pg_stat_statements.track)",
        ),
    );
    refused(
        "database \"a\" {\n  settings = { Work_Mem = 1, work_mem = 2 }\n}\n",
        "2:30: setting \"work_mem\" appears twice in settings",
        None,
    );
    refused(
        "database \"a\" {\n  ownr = \"x\"\n}\n",
        "2:3: unknown attribute \"ownr\" in database \"a\", expected one of: name, owner, encoding, locale, \
         template, connection_limit, allow_connections, is_template, settings, comment",
        Some("did you mean \"owner\"?"),
    );
    refused(
        "database \"\" {}\n",
        "1:10: a database name cannot be empty",
        None,
    );
    refused(
        "database {}\n",
        "1:1: a database block needs a label (name)",
        Some("write: database \"name\" { ... }"),
    );
}

#[test]
fn schema_values() {
    refused(
        "schema \"s\" {\n  owner = \"x\"\n}\n",
        "1:1: missing attribute \"database\" in schema \"s\"",
        Some("write database = \"DATABASE\""),
    );
    refused(
        "schema \"s\" {\n  databse = \"app\"\n}\n",
        "2:3: unknown attribute \"databse\" in schema \"s\", expected one of: name, database, owner, comment",
        Some("did you mean \"database\"?"),
    );
    refused(
        "schema \"s\" {\n  database = \"\"\n}\n",
        "2:14: a database name cannot be empty",
        None,
    );
    refused(
        "schema \"pg_temp_1\" {\n  database = \"app\"\n}\n",
        "1:8: schema name \"pg_temp_1\" is reserved: names starting with pg_ are for system schemas",
        None,
    );
}

#[test]
fn owners_must_be_declared_or_predefined() {
    refused(
        "role \"app_owner\" {}\ndatabase \"a\" {\n  owner = \"app_ownr\"\n}\n",
        "3:11: role \"app_ownr\" is not declared",
        Some("did you mean \"app_owner\"?"),
    );
    refused(
        "schema \"s\" {\n  database = \"a\"\n  owner    = \"postgres\"\n}\n",
        "3:14: role \"postgres\" is not declared",
        Some("declare it: role \"postgres\" {}"),
    );
    let config = load_text(
        "database \"a\" {\n  owner = \"pg_database_owner\"\n}\nschema \"s\" {\n  database = \"a\"\n  owner = \"pg_monitor\"\n}\n",
    )
    .unwrap();
    assert_eq!(
        config.desired.databases["a"].owner.as_deref(),
        Some("pg_database_owner")
    );
}
