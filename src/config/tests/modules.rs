//! `module` and `output` blocks: inputs, outputs, nesting, a module called
//! twice, the one configuration they merge into, and every refusal with
//! its location (file relative to the configuration's temporary directory).

use std::path::Path;

use super::{Answers, env, load_in};
use crate::config::load::load_with_env;
use crate::config::{Config, ConfigError, VariableInputs};
use crate::model::{GrantTarget, Password};

/// A group role module: the role, CONNECT on a database, and outputs.
const GROUP: &str = r#"
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
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
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
fn refused(files: &[(&str, &str)]) -> (String, Option<String>, Vec<String>) {
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
    let config = load(&[
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
    // The root is env/prod, not the temporary directory.
    let err = config.expect_err("the root is a subdirectory");
    assert!(err.message.contains("no *.hcl files"), "{err}");

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

#[test]
fn connection_is_for_the_root_only() {
    let (error, hint, notes) = refused(&[
        ("main.hcl", "module \"m\" {\n  source = \"./m\"\n}\n"),
        ("m/main.hcl", "connection {\n  host = \"x\"\n}\n"),
    ]);
    assert_eq!(
        error,
        "m/main.hcl:1:1: a connection block is only allowed in the root configuration, not in a module"
    );
    assert!(hint.unwrap().contains("root"));
    assert_eq!(notes, ["in module \"m\" called at main.hcl:1:1"]);
}

#[test]
fn objects_declared_twice_across_modules_name_both_places() {
    let (error, _, notes) = refused(&[
        (
            "main.hcl",
            "role \"sales_reader\" {}\n\nmodule \"ro\" {\n  source   = \"./group\"\n  name     = \"sales_reader\"\n  database = \"sales\"\n}\n",
        ),
        ("group/main.hcl", GROUP),
    ]);
    // The module is decoded first (its blocks before its caller's).
    assert_eq!(
        error,
        "main.hcl:1:6: role \"sales_reader\" is already declared at group/main.hcl:10:6"
    );
    assert!(notes.is_empty());

    let (error, _, notes) = refused(&[
        (
            "main.hcl",
            "module \"a\" {\n  source   = \"./group\"\n  name     = \"same\"\n  database = \"x\"\n}\n\nmodule \"b\" {\n  source   = \"./group\"\n  name     = \"same\"\n  database = \"y\"\n}\n",
        ),
        ("group/main.hcl", GROUP),
    ]);
    assert_eq!(
        error,
        "group/main.hcl:10:6: role \"same\" is already declared at group/main.hcl:10:6"
    );
    assert_eq!(notes, ["in module \"b\" called at main.hcl:7:1"]);

    let database = "variable \"db\" {}\ndatabase \"d\" {\n  name = var.db\n}\n";
    let (error, _, _) = refused(&[
        (
            "main.hcl",
            "module \"m\" {\n  source = \"./m\"\n  db     = \"app\"\n}\ndatabase \"app\" {}\n",
        ),
        ("m/main.hcl", database),
    ]);
    assert_eq!(
        error,
        "main.hcl:5:10: database \"app\" is already declared at m/main.hcl:2:10"
    );
}

#[test]
fn unknown_input() {
    let (error, hint, _) = refused(&[
        (
            "main.hcl",
            "module \"ro\" {\n  source   = \"./group\"\n  name     = \"r\"\n  databse  = \"x\"\n}\n",
        ),
        ("group/main.hcl", GROUP),
    ]);
    assert_eq!(
        error,
        "main.hcl:4:3: unknown input \"databse\" for module \"ro\", expected one of: source, name, database, comment"
    );
    assert_eq!(hint.as_deref(), Some("did you mean \"database\"?"));
}

#[test]
fn missing_inputs_name_the_module_block() {
    let (error, hint, _) = refused(&[
        ("main.hcl", "\nmodule \"ro\" {\n  source = \"./group\"\n}\n"),
        ("group/main.hcl", GROUP),
    ]);
    assert_eq!(
        error,
        "main.hcl:2:1: module \"ro\" is missing the required inputs \"name\", \"database\""
    );
    assert_eq!(
        hint.as_deref(),
        Some("add name = ... to the module block (declared at group/main.hcl:2:10)")
    );
}

#[test]
fn module_variables_come_from_the_module_block_only() {
    let dir = tree(&[
        (
            "main.hcl",
            "variable \"root\" {}\nmodule \"m\" {\n  source = \"./m\"\n}\n",
        ),
        ("m/main.hcl", "variable \"inner\" {}\n"),
    ]);
    let prompter = Answers {
        answers: vec![("root", "r"), ("inner", "i")],
        ..Default::default()
    };
    let err = load_with_env(
        dir.path(),
        &VariableInputs::default(),
        &prompter,
        env(&[("PGFORT_VAR_inner", "from-env")]),
    )
    .unwrap_err();
    assert_eq!(
        err.message,
        "module \"m\" is missing the required input \"inner\""
    );
    let asked: Vec<String> = prompter
        .asked
        .borrow()
        .iter()
        .map(|a| a.0.clone())
        .collect();
    assert_eq!(asked, ["root"], "only root variables are prompted for");
}

#[test]
fn a_wrongly_typed_input_is_refused_where_it_is_written() {
    let (error, _, _) = refused(&[
        (
            "main.hcl",
            "module \"m\" {\n  source = \"./m\"\n  names  = \"one\"\n}\n",
        ),
        (
            "m/main.hcl",
            "variable \"names\" {\n  type = list(string)\n}\n",
        ),
    ]);
    assert_eq!(
        error,
        "main.hcl:3:12: input \"names\" of module \"m\" must be list(string), got a string"
    );
}

#[test]
fn missing_or_empty_source() {
    let (error, hint, _) =
        refused(&[("main.hcl", "module \"m\" {\n  source = \"./nowhere\"\n}\n")]);
    assert!(
        error.starts_with("main.hcl:2:12: module source \"./nowhere\" does not exist ("),
        "{error}"
    );
    assert!(
        hint.unwrap()
            .starts_with("source is a directory of *.hcl files")
    );

    let (error, _, _) = refused(&[
        ("main.hcl", "module \"m\" {\n  source = \"./empty\"\n}\n"),
        ("empty/README.md", "nothing"),
    ]);
    assert!(
        error.starts_with("main.hcl:2:12: no *.hcl files in "),
        "{error}"
    );

    let (error, hint, _) = refused(&[("main.hcl", "module \"m\" {\n  name = \"x\"\n}\n")]);
    assert_eq!(
        error,
        "main.hcl:1:1: missing attribute \"source\" in module \"m\""
    );
    assert!(hint.unwrap().starts_with("write source = "));

    let (error, _, _) = refused(&[(
        "main.hcl",
        "variable \"d\" {\n  default = \".\"\n}\nmodule \"m\" {\n  source = var.d\n}\n",
    )]);
    assert_eq!(error, "main.hcl:5:12: cannot refer to variable \"d\" here");
}

#[test]
fn a_module_including_itself_is_refused() {
    let (error, hint, _) = refused(&[("main.hcl", "module \"me\" {\n  source = \".\"\n}\n")]);
    assert!(
        error.starts_with("main.hcl:2:12: module \"me\" includes itself: "),
        "{error}"
    );
    assert!(hint.is_some());

    let (error, _, notes) = refused(&[
        ("main.hcl", "module \"a\" {\n  source = \"./a\"\n}\n"),
        ("a/main.hcl", "module \"b\" {\n  source = \"../b\"\n}\n"),
        ("b/main.hcl", "module \"back\" {\n  source = \"../a\"\n}\n"),
    ]);
    assert!(
        error.starts_with("b/main.hcl:2:12: module \"back\" includes itself: "),
        "{error}"
    );
    assert!(
        error.contains("module.a (") && error.contains("module.b ("),
        "{error}"
    );
    assert_eq!(
        notes,
        [
            "in module \"b\" called at a/main.hcl:1:1",
            "in module \"a\" called at main.hcl:1:1"
        ]
    );
}

#[test]
fn modules_feeding_each_other_in_a_circle_are_refused() {
    let (error, _, _) = refused(&[
        (
            "main.hcl",
            "module \"a\" {\n  source   = \"./group\"\n  name     = module.b.role\n  database = \"x\"\n}\n\nmodule \"b\" {\n  source   = \"./group\"\n  name     = \"b\"\n  database = module.a.database\n}\n",
        ),
        ("group/main.hcl", GROUP),
    ]);
    assert_eq!(
        error,
        "main.hcl:1:1: module \"a\" depends on itself: module.a (main.hcl:1:1) -> module.b (main.hcl:7:1) -> module.a"
    );
}

#[test]
fn undefined_modules_and_outputs() {
    let (error, hint, _) = refused(&[
        (
            "main.hcl",
            "module \"ro\" {\n  source   = \"./group\"\n  name     = \"r\"\n  database = \"d\"\n}\nrole \"x\" {\n  member_of = [module.ro.rol]\n}\n",
        ),
        ("group/main.hcl", GROUP),
    ]);
    assert_eq!(error, "main.hcl:7:16: module \"ro\" has no output \"rol\"");
    assert_eq!(hint.as_deref(), Some("did you mean \"role\"?"));

    let (error, hint, _) = refused(&[(
        "main.hcl",
        "role \"x\" {\n  comment = module.nope.role\n}\n",
    )]);
    assert_eq!(error, "main.hcl:2:13: undefined module \"nope\"");
    assert!(hint.unwrap().starts_with("call it: module \"nope\""));

    let (error, _, _) = refused(&[("main.hcl", "locals {\n  x = module.nope.role\n}\n")]);
    assert_eq!(error, "main.hcl:2:7: undefined module \"nope\"");
}

#[test]
fn sensitive_values_stay_sensitive_through_modules() {
    let module = r#"
variable "password" {
  sensitive = true
}
variable "note" {}
role "login" {
  login    = true
  password = var.password
  comment  = var.note
}
output "password" {
  value     = var.password
  sensitive = true
}
"#;
    let root = |note: &str| {
        format!(
            "variable \"pw\" {{\n  sensitive = true\n  default = \"s3cret-value\"\n}}\nmodule \"m\" {{\n  source   = \"./m\"\n  password = var.pw\n  note     = {note}\n}}\nrole \"other\" {{\n  password = module.m.password\n}}\n"
        )
    };
    let dir = tree(&[("main.hcl", &root("\"ok\"")), ("m/main.hcl", module)]);
    let config = load_in(dir.path(), &VariableInputs::default(), env(&[])).unwrap();
    let Password::Clear(secret) = &config.desired.roles["other"].password else {
        panic!("a password")
    };
    assert_eq!(secret.expose(), "s3cret-value");

    // A sensitive input to a variable not declared sensitive stays sensitive.
    let (error, _, _) = refused(&[("main.hcl", &root("var.pw")), ("m/main.hcl", module)]);
    assert_eq!(
        error,
        "m/main.hcl:9:14: comment cannot take a value derived from the sensitive variable \"note\""
    );
    assert!(!error.contains("s3cret"));

    // An output of a secret must say it is sensitive.
    let (error, hint, _) = refused(&[(
        "main.hcl",
        "variable \"pw\" {\n  sensitive = true\n  default = \"x\"\n}\noutput \"leak\" {\n  value = \"${var.pw}!\"\n}\n",
    )]);
    assert_eq!(
        error,
        "main.hcl:6:11: output \"leak\" derives from the sensitive variable \"pw\""
    );
    assert_eq!(hint.as_deref(), Some("mark the output sensitive = true"));

    // A sensitive output read where a secret is not allowed.
    let (error, _, _) = refused(&[
        (
            "main.hcl",
            "module \"m\" {\n  source   = \"./m\"\n  password = \"p\"\n  note     = \"n\"\n}\nrole \"x\" {\n  comment = module.m.password\n}\n",
        ),
        ("m/main.hcl", module),
    ]);
    assert_eq!(
        error,
        "main.hcl:7:13: comment cannot take a value derived from the sensitive output \"password\" of module \"m\""
    );
}

#[test]
fn output_blocks_are_checked() {
    let (error, hint, _) = refused(&[("main.hcl", "output \"o\" {\n  description = \"x\"\n}\n")]);
    assert_eq!(
        error,
        "main.hcl:1:1: missing attribute \"value\" in output \"o\""
    );
    assert_eq!(hint.as_deref(), Some("write value = var.NAME"));
    let (error, _, _) = refused(&[("main.hcl", "output \"o\" {\n  value = local.nope\n}\n")]);
    assert_eq!(error, "main.hcl:2:11: undefined local \"nope\"");
    let (error, _, _) = refused(&[(
        "main.hcl",
        "output \"o\" {\n  value = 1\n}\noutput \"o\" {\n  value = 2\n}\n",
    )]);
    assert_eq!(
        error,
        "main.hcl:4:8: output \"o\" is already declared at main.hcl:1:8"
    );
    let (error, _, _) = refused(&[
        (
            "main.hcl",
            "module \"m\" {\n  source = \"./m\"\n}\nmodule \"m\" {\n  source = \"./m\"\n}\n",
        ),
        ("m/main.hcl", "locals {}\n"),
    ]);
    assert_eq!(
        error,
        "main.hcl:4:8: module \"m\" is already declared at main.hcl:1:1"
    );
}
