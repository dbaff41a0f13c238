//! Validation without variable values: variables nobody gave are unknown,
//! what derives from them is not checked, and everything else still is.

use super::{dir_with, env, load_in};
use crate::config::load::{Missing, load_with_env};
use crate::config::{Config, ConfigError, VariableInputs};

const MAIN: &str = r#"variable "app_password" {
  sensitive = true
}
variable "app_name" {
  type = string
}
variable "limit" {
  type = number
}
variable "admin_net" {}
variable "groups" {
  type = list(string)
}

locals {
  owner_comment = "owner of ${var.app_name}"
}

role "app_user" {
  login            = true
  password         = var.app_password
  connection_limit = var.limit
  member_of        = var.groups
}

role "owner" {
  comment = local.owner_comment
}

hba {
  rule {
    type     = "host"
    database = "all"
    user     = "app_user"
    address  = var.admin_net
    method   = "scram-sha-256"
  }
}

module "app" {
  source = "./app"
  name   = var.app_name
}
"#;

const MODULE: &str = r#"variable "name" {}
variable "limit" {
  type = number
}
role "mod_role" {
  comment          = "for ${var.name}"
  connection_limit = var.limit
}
"#;

fn validate(files: &[(&str, &str)], inputs: &VariableInputs) -> Result<Config, ConfigError> {
    let dir = dir_with(&[]);
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    load_with_env(dir.path(), inputs, Missing::Unknown, env(&[]))
}

fn with_module(main: &str) -> Vec<(&str, &str)> {
    vec![("main.hcl", main), ("app/main.hcl", MODULE)]
}

const MAIN_CALL_LIMIT: &str = "  name   = var.app_name\n}\n";

fn main_text() -> String {
    MAIN.replace(
        MAIN_CALL_LIMIT,
        "  name   = var.app_name\n  limit  = var.limit\n}\n",
    )
}

#[test]
fn variables_without_values_are_unknown_not_errors() {
    let main = main_text();
    let config = validate(&with_module(&main), &VariableInputs::default()).unwrap();
    assert_eq!(
        config.unknown_variables,
        ["app_password", "app_name", "limit", "admin_net", "groups"]
    );
    for role in ["app_user", "owner", "mod_role"] {
        assert!(config.desired.roles.contains_key(role), "{role}");
    }

    // Loading for real still asks for them.
    let dir = dir_with(&[]);
    std::fs::create_dir_all(dir.path().join("app")).unwrap();
    std::fs::write(dir.path().join("main.hcl"), &main).unwrap();
    std::fs::write(dir.path().join("app/main.hcl"), MODULE).unwrap();
    let error = load_in(dir.path(), &VariableInputs::default(), env(&[])).unwrap_err();
    assert!(error.message.contains("no value for variable"), "{error}");
}

#[test]
fn given_values_are_checked_and_known_mistakes_reported() {
    let main = main_text();
    // A value given is checked: a bad limit fails where it is used (in
    // the module too).
    let inputs = VariableInputs {
        cli: vec![("limit".into(), "-7".into())],
        ..Default::default()
    };
    let error = validate(&with_module(&main), &inputs).unwrap_err();
    // The module is loaded first: its use of the value is the one named.
    let location = error.location.clone().expect("located");
    assert!(location.file.ends_with("app/main.hcl"), "{error}");
    assert_eq!((location.line, location.column), (7, 22), "{error}");
    assert!(error.message.contains("got -7"), "{error}");
    assert!(config_unknown_free(&error), "{error}");

    // A mistake that does not depend on an unknown value is reported, and
    // only it: the stand-ins raise nothing.
    let broken = main.replace(
        "role \"owner\" {\n",
        "role \"owner\" {\n  connection_limit = \"many\"\n",
    );
    let error = validate(&with_module(&broken), &VariableInputs::default()).unwrap_err();
    assert!(error.message.contains("connection_limit"), "{error}");
    assert!(error.more().is_empty(), "{error:?}");

    // A reference to a role nobody declares is still found.
    let dangling = main.replace(
        "role \"owner\" {\n",
        "role \"owner\" {\n  member_of = [\"nobody\"]\n",
    );
    let error = validate(&with_module(&dangling), &VariableInputs::default()).unwrap_err();
    assert!(error.message.contains("nobody"), "{error}");
}

/// Errors never name a stand-in value.
fn config_unknown_free(error: &ConfigError) -> bool {
    std::iter::once(error)
        .chain(error.more())
        .all(|e| !e.message.contains("admin_net\"") && !e.message.contains("app_name"))
}

#[test]
fn an_unknown_value_that_cannot_evaluate_is_not_an_error() {
    // The stand-in for `expiry` (its name) is no timestamp either.
    let text = r#"variable "net" {}
variable "expiry" {}
role "r" {
  comment     = "${cidrhost(var.net, 5)}"
  valid_until = var.expiry
}
"#;
    let config = validate(&[("main.hcl", text)], &VariableInputs::default()).unwrap();
    assert_eq!(config.unknown_variables, ["net", "expiry"]);
    // The role is declared all the same (unknown attributes at their
    // defaults), so what refers to it is checked.
    assert_eq!(config.desired.roles["r"].attributes.valid_until, None);
    let inputs = VariableInputs {
        cli: vec![("net".into(), "10.0.0.0/8".into())],
        ..Default::default()
    };
    let config = validate(&[("main.hcl", text)], &inputs).unwrap();
    assert_eq!(config.unknown_variables, ["expiry"]);
    assert_eq!(
        config.desired.roles["r"].comment.as_deref(),
        Some("10.0.0.5")
    );
    let inputs = VariableInputs {
        cli: vec![
            ("net".into(), "bogus".into()),
            ("expiry".into(), "2030-01-01".into()),
        ],
        ..Default::default()
    };
    let error = validate(&[("main.hcl", text)], &inputs).unwrap_err();
    assert_eq!(error.location.map(|l| l.line), Some(4), "{}", error.message);
}
