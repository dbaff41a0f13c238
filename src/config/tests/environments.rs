//! `environment` blocks: decoding, errors with locations, and the place of
//! their variable values in the precedence.

use super::{dir_with, env, error_of, load_in, load_text};
use crate::config::{ServerSelection, VariableInputs};

const FLEET: &str = r#"variable "comment" {
  default = "default"
}
variable "port" {
  type    = number
  default = 1
}
role "r" {
  comment = var.comment
}
environment "prod" {
  variables = { comment = "prod" }
  servers = concat(
    [for i in range(3) : { name = "db${i}", host = "10.0.0.${i}", port = 5432 + i }],
    [{ name = "special", host = "10.0.1.1", variables = { comment = "special" } }],
  )
}
environment "dev" {
  servers = [{ name = "local", host = "/tmp", sslmode = "disable", user = "admin" }]
}
"#;

fn selected(environment: &str, server: &str) -> VariableInputs {
    VariableInputs {
        environment: Some(ServerSelection {
            environment: environment.to_owned(),
            server: server.to_owned(),
        }),
        ..VariableInputs::default()
    }
}

#[test]
fn environments_list_their_servers_with_connection_fields() {
    let config = load_text(FLEET).unwrap();
    let names: Vec<&str> = config
        .environments
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(names, ["prod", "dev"]);
    let prod = &config.environments[0];
    let servers: Vec<(&str, Option<&str>, Option<u16>)> = prod
        .servers
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.connection.host.as_deref(),
                s.connection.port,
            )
        })
        .collect();
    assert_eq!(
        servers,
        [
            ("db0", Some("10.0.0.0"), Some(5432)),
            ("db1", Some("10.0.0.1"), Some(5433)),
            ("db2", Some("10.0.0.2"), Some(5434)),
            ("special", Some("10.0.1.1"), None),
        ]
    );
    let dev = &config.environments[1].servers[0];
    assert_eq!(dev.connection.sslmode.as_deref(), Some("disable"));
    assert_eq!(dev.connection.user.as_deref(), Some("admin"));
    // Without a selection, environments set no variable.
    assert_eq!(
        config.desired.roles["r"].comment.as_deref(),
        Some("default")
    );
}

#[test]
fn a_server_value_beats_its_environment_which_beats_files_and_environment_variables() {
    let dir = dir_with(&[
        ("main.hcl", FLEET),
        ("pgfort.pgfortvars", "comment = \"file\"\n"),
    ]);
    let comment = |inputs: &VariableInputs| {
        let config = load_in(dir.path(), inputs, env(&[("PGFORT_VAR_comment", "env")])).unwrap();
        config.desired.roles["r"].comment.clone().unwrap()
    };
    assert_eq!(comment(&selected("prod", "db1")), "prod");
    assert_eq!(comment(&selected("prod", "special")), "special");
    assert_eq!(comment(&selected("dev", "local")), "file");
    assert_eq!(comment(&VariableInputs::default()), "file");
    let mut cli = selected("prod", "special");
    cli.cli.push(("comment".to_owned(), "cli".to_owned()));
    assert_eq!(comment(&cli), "cli");
}

#[test]
fn an_unknown_environment_lists_the_declared_ones() {
    let dir = dir_with(&[("main.hcl", FLEET)]);
    let error = load_in(dir.path(), &selected("prdo", "db1"), env(&[])).unwrap_err();
    assert_eq!(
        error.message,
        "no environment \"prdo\" is declared; declared: prod, dev"
    );
    assert_eq!(error.hint.as_deref(), Some("did you mean \"prod\"?"));
}

#[test]
fn bad_environments_are_refused_where_written() {
    let cases: &[(&str, &str)] = &[
        (
            "environment \"a\" {\n  servers = [{ name = \"x\" }, { name = \"x\" }]\n}\n",
            "2:39: server \"x\" appears twice in environment \"a\" (first at",
        ),
        (
            "environment \"a\" {\n  servers = [{ host = \"h\" }]\n}\n",
            "2:14: a server of environment \"a\" needs a name",
        ),
        (
            "environment \"a\" {\n  servers = [{ name = \"x\", hots = \"h\" }]\n}\n",
            "2:28: unknown key \"hots\"",
        ),
        (
            "environment \"a\" {\n  servers = [{ name = \"x\", sslmode = \"on\" }]\n}\n",
            "2:38: invalid sslmode \"on\"",
        ),
        (
            "environment \"a\" {\n  servers = [{ name = \"x y\" }]\n}\n",
            "2:23: invalid server name \"x y\"",
        ),
        (
            "environment \"a\" {\n  servers = []\n}\n",
            "1:13: environment \"a\" has no servers",
        ),
        (
            "environment \"a\" {\n  servers = [{ name = \"x\" }]\n}\nenvironment \"a\" {\n  servers = [{ name = \"y\" }]\n}\n",
            "4:13: environment \"a\" is already declared at",
        ),
        (
            "environment \"a\" {\n  variables = { nope = 1 }\n  servers = [{ name = \"x\" }]\n}\n",
            "2:17: no variable \"nope\" is declared",
        ),
        (
            "variable \"v\" {}\nenvironment \"a\" {\n  servers = [{ name = \"x\", host = var.v }]\n}\n",
            "3:",
        ),
    ];
    for (text, expected) in cases {
        let (error, _) = error_of(text);
        assert!(
            error.starts_with(expected),
            "{error}\nexpected {expected}\nfor:\n{text}"
        );
    }
}

#[test]
fn a_server_value_of_the_wrong_type_is_refused_at_the_value() {
    let dir = dir_with(&[(
        "main.hcl",
        "variable \"n\" {\n  type = number\n}\nenvironment \"a\" {\n  servers = [{ name = \"x\", variables = { n = \"many\" } }]\n}\n",
    )]);
    let error = load_in(dir.path(), &selected("a", "x"), env(&[])).unwrap_err();
    let location = error.location.as_ref().unwrap();
    assert_eq!((location.line, location.column), (5, 46));
    assert_eq!(error.message, "variable \"n\" must be number, got a string");
}
