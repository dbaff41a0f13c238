//! `module` and `output` blocks: inputs, outputs, nesting, a module called
//! twice, and the one configuration they merge into. Refusals are in
//! `module_errors`; both share the helpers here.

use std::path::Path;

use super::{env, load_in};
use crate::config::{Config, ConfigError, VariableInputs};
use crate::model::GrantTarget;

/// A group role module: the role, CONNECT on a database, and outputs.
pub(super) const GROUP: &str = r#"
variable "name" {
  type = string
}
variable "database" {}
variable "comment" {
  default = null
}

role "group" {
  name    = var.name
  comment = var.comment
}

grant {
  to         = [var.name]
  privileges = ["CONNECT"]
  on         = { database = var.database }
}

output "role" {
  value = var.name
}
output "database" {
  value = var.database
}
"#;

/// Writes `files` (relative path, text), creating directories.
pub(super) fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn load(files: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let dir = tree(files);
    load_in(dir.path(), &VariableInputs::default(), env(&[]))
}

/// `path:line:col: message`, the path relative to `root`.
fn relative(text: &str, root: &Path) -> String {
    let root = format!("{}/", root.display());
    let canonical = format!("{}/", root.trim_end_matches('/'));
    text.replace(&root, "").replace(&canonical, "")
}

/// The error of loading `files`, with paths relative to the directory,
/// and its hint.
pub(super) fn refused(files: &[(&str, &str)]) -> (String, Option<String>, Vec<String>) {
    let dir = tree(files);
    let err = load_in(dir.path(), &VariableInputs::default(), env(&[]))
        .expect_err("the configuration should be refused");
    let notes = err.notes.iter().map(|n| relative(n, dir.path())).collect();
    (
        relative(&err.to_string(), dir.path()),
        err.hint.map(|h| relative(&h, dir.path())),
        notes,
    )
}

#[test]
fn a_module_called_twice_with_outputs_feeding_roles_and_other_modules() {
    let config = load(&[
        (
            "main.hcl",
            r#"
module "sales_ro" {
  source   = "./modules/group"
  name     = "sales_reader"
  database = "sales"
}

module "hr_ro" {
  source   = "./modules/group"
  name     = "hr_reader"
  database = module.sales_ro.database == "sales" ? "hr" : "never"
  comment  = "after ${module.sales_ro.role}"
}

role "analyst" {
  login     = true
  member_of = [module.sales_ro.role, module.hr_ro.role]
}
"#,
        ),
        ("modules/group/main.hcl", GROUP),
    ])
    .unwrap();
    let roles: Vec<&str> = config.desired.roles.keys().map(String::as_str).collect();
    assert_eq!(roles, ["analyst", "hr_reader", "sales_reader"]);
    assert_eq!(
        config.desired.roles["hr_reader"].comment.as_deref(),
        Some("after sales_reader")
    );
    let analyst = &config.desired.roles["analyst"];
    let member_of: Vec<&str> = analyst.member_of.keys().map(String::as_str).collect();
    assert_eq!(member_of, ["hr_reader", "sales_reader"]);
    let grants: Vec<(String, String)> = config
        .desired
        .grants
        .iter()
        .map(|grant| match &grant.on {
            GrantTarget::Database { database } => (grant.to.join(","), database.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(grants.contains(&("sales_reader".into(), "sales".into())));
    assert!(grants.contains(&("hr_reader".into(), "hr".into())));
    assert_eq!(config.files.len(), 2, "a file read twice is listed once");
}

#[test]
fn nested_modules_resolve_sources_against_their_own_directory() {
    let dir = tree(&[
        (
            "env/prod/main.hcl",
            r#"
module "app" {
  source = "../../modules/app"
  prefix = "prod"
}
role "auditor" {
  member_of = [module.app.reader]
}
"#,
        ),
        (
            "modules/app/main.hcl",
            r#"
variable "prefix" {}
locals {
  reader = "${var.prefix}_reader"
}
module "reader" {
  source   = "../group"
  name     = local.reader
  database = var.prefix
}
output "reader" {
  value = module.reader.role
}
"#,
        ),
        ("modules/group/main.hcl", GROUP),
    ]);
    // The root is a subdirectory: sources are relative to each calling file.
    let config = load_in(
        &dir.path().join("env/prod"),
        &VariableInputs::default(),
        env(&[]),
    )
    .unwrap();
    assert!(config.desired.roles.contains_key("prod_reader"));
    assert!(
        config.desired.roles["auditor"]
            .member_of
            .contains_key("prod_reader")
    );
}

#[test]
fn locals_may_use_module_outputs_and_modules_may_use_locals() {
    let config = load(&[
        (
            "main.hcl",
            r#"
locals {
  db     = "app"
  reader = upper(module.first.role)
}
module "second" {
  source   = "./group"
  name     = lower("${local.reader}_again")
  database = local.db
}
module "first" {
  source   = "./group"
  name     = "first"
  database = local.db
}
"#,
        ),
        ("group/main.hcl", GROUP),
    ])
    .unwrap();
    assert!(config.desired.roles.contains_key("first_again"));
}

#[test]
fn a_name_attribute_overrides_the_label() {
    let config = load(&[(
        "main.hcl",
        r#"
locals {
  db = "shop"
}
role "owner" {
  name = "${local.db}_owner"
}
database "main" {
  name  = local.db
  owner = "shop_owner"
}
schema "app" {
  name     = "sales"
  database = local.db
}
extension "trgm" {
  name     = "pg_trgm"
  database = local.db
}
"#,
    )])
    .unwrap();
    assert!(config.desired.roles.contains_key("shop_owner"));
    assert_eq!(
        config.desired.databases["shop"].owner.as_deref(),
        Some("shop_owner")
    );
    let catalog = &config.desired.catalogs["shop"];
    assert!(catalog.schemas.contains_key("sales"));
    assert!(catalog.extensions.contains_key("pg_trgm"));
}

#[test]
fn a_template_in_a_label_does_not_parse() {
    let (error, _, _) = refused(&[(
        "main.hcl",
        "variable \"n\" {\n  default = \"x\"\n}\nrole \"${var.n}\" {}\n",
    )]);
    assert!(error.starts_with("main.hcl:4:6: syntax error"), "{error}");
}

#[test]
fn settings_and_manage_merge_hba_and_tune_do_not() {
    let module = r#"
settings {
  log_connections = true
}
manage {
  public_privileges = true
}
"#;
    let config = load(&[
        (
            "main.hcl",
            "module \"base\" {\n  source = \"./base\"\n}\nsettings {\n  work_mem = \"8MB\"\n}\nmanage {\n  prune_databases = false\n}\n",
        ),
        ("base/main.hcl", module),
    ])
    .unwrap();
    assert_eq!(config.desired.settings.values.len(), 2);
    assert!(config.manage.public_privileges);

    let (error, hint, _) = refused(&[
        (
            "main.hcl",
            "module \"base\" {\n  source = \"./base\"\n}\nsettings {\n  log_connections = false\n}\n",
        ),
        ("base/main.hcl", module),
    ]);
    assert_eq!(
        error,
        "main.hcl:5:3: setting \"log_connections\" is already set at base/main.hcl:3:3"
    );
    assert_eq!(hint, None);

    let (error, hint, _) = refused(&[
        (
            "main.hcl",
            "module \"base\" {\n  source = \"./base\"\n}\nmanage {\n  public_privileges = false\n}\n",
        ),
        ("base/main.hcl", module),
    ]);
    assert_eq!(
        error,
        "main.hcl:5:23: manage.public_privileges is already set at base/main.hcl:6:23"
    );
    assert!(hint.unwrap().contains("merge"));

    let hba = "hba {\n  rule {\n    type   = \"local\"\n    method = \"peer\"\n  }\n}\n";
    let (error, hint, _) = refused(&[
        (
            "main.hcl",
            &format!("module \"net\" {{\n  source = \"./net\"\n}}\n{hba}"),
        ),
        ("net/main.hcl", hba),
    ]);
    assert_eq!(
        error,
        "main.hcl:4:1: only one hba block is allowed; the first is at net/main.hcl:1:1"
    );
    assert!(hint.unwrap().contains("whole server"));
}
