//! A complete configuration using every role attribute and every source of
//! variable values.

use std::collections::BTreeMap;

use super::{Answers, dir_with, env, load_in};
use crate::config::{
    VariableInputs,
    load::{Missing, load_with_env},
};
use crate::model::{Membership, Password, Role, RoleAttributes};

const MAIN: &str = r#"
connection {
  host        = "db.example.com"
  port        = 5433
  user        = "postgres"
  password    = var.admin_password
  dbname      = "postgres"
  sslmode     = "verify-full"
  sslrootcert = "pki/ca.crt"
}

manage {
  prune_roles       = true
  ignore_roles      = ["rds*", "backup_?"]
  reassign_owned_to = "app_owner"
}

variable "app_password" {
  sensitive   = true
  description = "password of app_user"
}
variable "admin_password" {
  sensitive = true
  default   = "admin-secret"
}
variable "conn_limit" {
  type    = number
  default = 10
}
variable "owner" {
  default = "from default"
}
variable "from_file" {}
variable "from_env" {
  type = bool
}
variable "from_default" {
  default = "dflt"
}
variable "prompted" {
  description = "asked at the terminal"
}
variable "extra_roles" {
  type    = list(string)
  default = []
}

locals {
  prefix = lower(local.base) # refers to a local defined below
  base   = "APP"
}
"#;

const ROLES: &str = r#"
locals {
  readers = ["${local.prefix}_reader"]
  motd    = file("motd.txt")
  home    = env("PGFORT_TEST_HOME", "nowhere")
  db      = env("PGFORT_TEST_DB")
}

role "app_reader" {}
role "app_owner" {}
role "app_user" {
  login            = true
  superuser        = false
  createdb         = var.from_env
  createrole       = true
  inherit          = false
  replication      = true
  bypassrls        = true
  connection_limit = var.conn_limit
  valid_until      = "2027-12-31 01:00+02:00"
  password         = var.app_password
  member_of = [
    local.readers[0],
    { role = "app_owner", admin = true, inherit = false, set = true },
    { role = "pg_read_all_data" },
  ]
  settings = {
    Statement_Timeout = "30s"
    search_path       = "$user, public"
    enable_seqscan    = false
    work_mem          = 65536
  }
  database_settings = {
    (local.db) = { work_mem = "64MB", search_path = ["app", "Public"] }
  }
  comment = "${local.motd} / ${var.from_file} / ${var.prompted} / ${var.from_default} / ${var.owner} / ${local.home}"
}
"#;

fn expected_app_user() -> Role {
    let mut role = Role::new("app_user");
    role.attributes = RoleAttributes {
        login: true,
        superuser: false,
        createdb: true,
        createrole: true,
        inherit: false,
        replication: true,
        bypassrls: true,
        connection_limit: 7,
        valid_until: Some("2027-12-30T23:00:00Z".to_string()),
    };
    role.password = Password::Clear(crate::model::Secret::new("from-cli"));
    role.member_of = BTreeMap::from([
        ("app_reader".to_string(), Membership::default()),
        (
            "app_owner".to_string(),
            Membership {
                admin: true,
                inherit: Some(false),
                set: Some(true),
            },
        ),
        ("pg_read_all_data".to_string(), Membership::default()),
    ]);
    role.settings = BTreeMap::from([
        ("statement_timeout".to_string(), "30s".to_string()),
        ("search_path".to_string(), "\"$user\", public".to_string()),
        ("enable_seqscan".to_string(), "off".to_string()),
        ("work_mem".to_string(), "65536".to_string()),
    ]);
    role.database_settings = BTreeMap::from([(
        "mydb".to_string(),
        BTreeMap::from([
            ("work_mem".to_string(), "64MB".to_string()),
            ("search_path".to_string(), "app, \"Public\"".to_string()),
        ]),
    )]);
    role.comment =
        Some("message of the day / file1 / asked / dflt / from default / nowhere".to_string());
    role
}

#[test]
fn loads_a_full_configuration() {
    let dir = dir_with(&[
        ("main.hcl", MAIN),
        ("roles.hcl", ROLES),
        ("motd.txt", "message of the day"),
    ]);
    let var_file_1 = dir.path().join("one.vars");
    let var_file_2 = dir.path().join("two.vars");
    std::fs::write(&var_file_1, "from_file = \"file1\"\nconn_limit = 99\n").unwrap();
    std::fs::write(&var_file_2, "conn_limit = \"7\"\n").unwrap();
    let inputs = VariableInputs {
        cli: vec![
            ("app_password".to_string(), "overridden".to_string()),
            ("app_password".to_string(), "from-cli".to_string()),
        ],
        files: vec![var_file_1, var_file_2],
        ..Default::default()
    };
    let env = env(&[
        ("PGFORT_VAR_from_env", "true"),
        ("PGFORT_VAR_from_file", "env loses to the file"),
        ("PGFORT_TEST_DB", "mydb"),
    ]);
    let prompter = Answers {
        answers: vec![("prompted", "asked"), ("app_password", "never asked")],
        ..Answers::default()
    };
    let config = load_with_env(dir.path(), &inputs, Missing::Ask(&prompter), env).unwrap();

    assert_eq!(
        *prompter.asked.borrow(),
        [(
            "prompted".to_string(),
            Some("asked at the terminal".to_string()),
            false
        )]
    );
    assert_eq!(config.desired.roles.len(), 3);
    assert_eq!(config.desired.roles["app_reader"], Role::new("app_reader"));
    assert_eq!(config.desired.roles["app_user"], expected_app_user());
    let Password::Clear(password) = &config.desired.roles["app_user"].password else {
        panic!("a clear password")
    };
    assert_eq!(password.expose(), "from-cli");

    let connection = &config.connection;
    assert_eq!(connection.host.as_deref(), Some("db.example.com"));
    assert_eq!(connection.port, Some(5433));
    assert_eq!(connection.user.as_deref(), Some("postgres"));
    assert_eq!(
        connection.password.as_ref().map(|p| p.expose()),
        Some("admin-secret")
    );
    assert_eq!(connection.dbname.as_deref(), Some("postgres"));
    assert_eq!(connection.sslmode.as_deref(), Some("verify-full"));
    assert_eq!(connection.sslrootcert, Some(dir.path().join("pki/ca.crt")));

    assert!(config.manage.prune_roles);
    assert_eq!(config.manage.ignore_roles, ["rds*", "backup_?"]);
    assert_eq!(
        config.manage.reassign_owned_to.as_deref(),
        Some("app_owner")
    );
    assert_eq!(
        config.files,
        [dir.path().join("main.hcl"), dir.path().join("roles.hcl")]
    );
}

/// Each source of a value, removed in turn, reveals the next one.
#[test]
fn variable_precedence() {
    let dir = dir_with(&[(
        "main.hcl",
        "variable \"v\" {\n  default = \"default\"\n}\nrole \"r\" {\n  comment = var.v\n}\n",
    )]);
    let file = dir.path().join("a.vars");
    std::fs::write(&file, "v = \"file\"\n").unwrap();
    let comment = |cli: bool, files: bool, from_env: bool| {
        let inputs = VariableInputs {
            cli: if cli {
                vec![("v".to_string(), "cli".to_string())]
            } else {
                vec![]
            },
            files: if files { vec![file.clone()] } else { vec![] },
            ..Default::default()
        };
        let env = if from_env {
            env(&[("PGFORT_VAR_v", "env")])
        } else {
            env(&[])
        };
        let config = load_in(dir.path(), &inputs, env).unwrap();
        config.desired.roles["r"].comment.clone().unwrap()
    };
    assert_eq!(comment(true, true, true), "cli");
    assert_eq!(comment(false, true, true), "file");
    assert_eq!(comment(false, false, true), "env");
    assert_eq!(comment(false, false, false), "default");
}

#[test]
fn text_values_convert_to_the_declared_type() {
    let dir = dir_with(&[(
        "main.hcl",
        r#"
variable "limit" {
  type = number
}
variable "flag" {
  type = bool
}
variable "names" {
  type = list(string)
}
variable "opts" {
  type = map(string)
}
role "r" {
  login            = var.flag
  connection_limit = var.limit
  member_of        = var.names
  settings         = var.opts
}
role "a" {}
role "b" {}
"#,
    )]);
    let inputs = VariableInputs {
        cli: vec![
            ("limit".to_string(), "12".to_string()),
            ("flag".to_string(), "true".to_string()),
            ("names".to_string(), r#"["a", "b"]"#.to_string()),
            ("opts".to_string(), r#"{ work_mem = 64 }"#.to_string()),
        ],
        files: vec![],
        ..Default::default()
    };
    let config = load_in(dir.path(), &inputs, env(&[])).unwrap();
    let role = &config.desired.roles["r"];
    assert!(role.attributes.login);
    assert_eq!(role.attributes.connection_limit, 12);
    assert_eq!(role.member_of.keys().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(role.settings["work_mem"], "64");
}

#[test]
fn literal_password_and_null_values() {
    let config = super::load_text(
        "role \"r\" {\n  password    = \"literal\"\n  valid_until = null\n  comment     = null\n}\nrole \"s\" {\n  password = null\n}\n",
    )
    .unwrap();
    let Password::Clear(password) = &config.desired.roles["r"].password else {
        panic!("a clear password")
    };
    assert_eq!(password.expose(), "literal");
    assert_eq!(config.desired.roles["r"].attributes.valid_until, None);
    assert_eq!(config.desired.roles["s"].password, Password::None);
}

#[test]
fn keep_password_leaves_the_password_alone() {
    let config =
        super::load_text("role \"r\" {\n  login         = true\n  keep_password = true\n}\n")
            .unwrap();
    assert_eq!(config.desired.roles["r"].password, Password::Unmanaged);
    let off = super::load_text("role \"r\" {\n  keep_password = false\n}\n").unwrap();
    assert_eq!(off.desired.roles["r"].password, Password::None);
    let both =
        super::load_text("role \"r\" {\n  password      = \"x\"\n  keep_password = true\n}\n")
            .unwrap_err();
    assert!(
        both.to_string().contains("password cannot be set too"),
        "{both}"
    );
    assert!(both.to_string().contains(":3:"), "{both}");
}

#[test]
fn cidrhost_numbers_addresses_of_a_network() {
    let config = super::load_text(
        "role \"a\" {\n  comment = join(\",\", [cidrhost(\"10.0.1.0/24\", 20), cidrhost(\"10.0.1.0/24\", -2), cidrhost(\"fd00::/64\", 5)])\n}\n",
    )
    .unwrap();
    assert_eq!(
        config.desired.roles["a"].comment.as_deref(),
        Some("10.0.1.20,10.0.1.254,fd00::5")
    );
}

#[test]
fn range_and_concat_build_lists_as_in_terraform() {
    let comment = |expr: &str| {
        let text = format!("role \"a\" {{\n  comment = join(\",\", {expr})\n}}\n");
        super::load_text(&text)
            .map(|config| config.desired.roles["a"].comment.clone().unwrap_or_default())
            .map_err(|error| error.message)
    };
    assert_eq!(comment("[for i in range(3) : tostring(i)]").ok(), None);
    assert_eq!(comment("[for i in range(3) : \"${i}\"]").unwrap(), "0,1,2");
    assert_eq!(comment("[for i in range(1, 4) : \"${i}\"]").unwrap(), "1,2,3");
    assert_eq!(comment("[for i in range(3, 0) : \"${i}\"]").unwrap(), "3,2,1");
    assert_eq!(comment("[for i in range(0, 10, 4) : \"${i}\"]").unwrap(), "0,4,8");
    assert_eq!(comment("concat([\"a\"], [], [\"b\", \"c\"])").unwrap(), "a,b,c");
    assert!(comment("range(0, 5, -1)").unwrap_err().contains("never goes from 0 to 5"));
    assert!(comment("range(1000000)").unwrap_err().contains("the limit is 100000"));
    assert!(comment("concat([\"a\"], \"b\")").unwrap_err().contains("must be lists"));
}
