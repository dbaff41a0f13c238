//! Variables files: pgfort.pgfortvars and *.auto.pgfortvars read without
//! asking, their place in the precedence, and -var / -var-file in
//! command-line order.

use std::path::PathBuf;

use super::{dir_with, env, load_in};
use crate::config::VariableInputs;

const MAIN: &str =
    "variable \"v\" {\n  default = \"default\"\n}\nrole \"r\" {\n  comment = var.v\n}\n";

fn comment(dir: &std::path::Path, inputs: &VariableInputs, env_value: Option<&str>) -> String {
    let pairs: Vec<(&str, &str)> = env_value.map(|v| ("PGFORT_VAR_v", v)).into_iter().collect();
    let config = load_in(dir, inputs, env(&pairs)).unwrap();
    config.desired.roles["r"].comment.clone().unwrap()
}

/// Each source, removed in turn, reveals the next: -var-file > b.auto >
/// a.auto > pgfort.pgfortvars > PGFORT_VAR_v > default.
#[test]
fn automatic_files_sit_between_the_command_line_and_the_environment() {
    let dir = dir_with(&[("main.hcl", MAIN)]);
    let path = |name: &str| dir.path().join(name);
    std::fs::write(path("given.vars"), "v = \"var-file\"\n").unwrap();
    std::fs::write(path("pgfort.pgfortvars"), "v = \"pgfortvars\"\n").unwrap();
    std::fs::write(path("a.auto.pgfortvars"), "v = \"a.auto\"\n").unwrap();
    std::fs::write(path("b.auto.pgfortvars"), "v = \"b.auto\"\n").unwrap();
    let given = VariableInputs {
        files: vec![path("given.vars")],
        ..Default::default()
    };
    let none = VariableInputs::default();

    assert_eq!(comment(dir.path(), &given, Some("env")), "var-file");
    assert_eq!(comment(dir.path(), &none, Some("env")), "b.auto");
    std::fs::remove_file(path("b.auto.pgfortvars")).unwrap();
    assert_eq!(comment(dir.path(), &none, Some("env")), "a.auto");
    std::fs::remove_file(path("a.auto.pgfortvars")).unwrap();
    assert_eq!(comment(dir.path(), &none, Some("env")), "pgfortvars");
    std::fs::remove_file(path("pgfort.pgfortvars")).unwrap();
    assert_eq!(comment(dir.path(), &none, Some("env")), "env");
    assert_eq!(comment(dir.path(), &none, None), "default");
}

#[test]
fn var_and_var_file_the_later_on_the_command_line_wins() {
    let dir = dir_with(&[("main.hcl", MAIN)]);
    let file = dir.path().join("x.vars");
    std::fs::write(&file, "v = \"file\"\n").unwrap();
    let inputs = |position: Option<usize>| VariableInputs {
        cli: vec![("v".to_string(), "cli".to_string())],
        files: vec![file.clone()],
        file_positions: position.into_iter().collect(),
        environment: None,
    };
    // -var v=cli -var-file x.vars
    assert_eq!(comment(dir.path(), &inputs(Some(1)), None), "file");
    // -var-file x.vars -var v=cli
    assert_eq!(comment(dir.path(), &inputs(Some(0)), None), "cli");
    // Unknown position: the file counts as given first.
    assert_eq!(comment(dir.path(), &inputs(None), None), "cli");
}

#[test]
fn an_undeclared_name_in_an_automatic_file_is_a_located_warning() {
    let dir = dir_with(&[
        ("main.hcl", MAIN),
        ("dev.auto.pgfortvars", "v = \"dev\"\nvv = 1\n"),
    ]);
    let config = load_in(dir.path(), &VariableInputs::default(), env(&[])).unwrap();
    assert_eq!(config.desired.roles["r"].comment.as_deref(), Some("dev"));
    let [warning] = config.warnings.as_slice() else {
        panic!("one warning expected: {:?}", config.warnings);
    };
    let location = warning.location.as_ref().unwrap();
    assert!(location.file.ends_with("dev.auto.pgfortvars"));
    assert_eq!((location.line, location.column), (2, 1));
    assert_eq!(
        warning.message,
        "no variable \"vv\" is declared; the value is ignored"
    );
    assert_eq!(warning.hint.as_deref(), Some("did you mean \"v\"?"));
}

#[test]
fn automatic_files_are_checked_like_var_files() {
    let refused = |text: &str| {
        let dir = dir_with(&[
            ("main.hcl", "variable \"n\" {\n  type = number\n}\n"),
            ("pgfort.pgfortvars", text),
        ]);
        let err = load_in(dir.path(), &VariableInputs::default(), env(&[])).unwrap_err();
        let location = err.location.clone().unwrap();
        assert!(location.file.ends_with("pgfort.pgfortvars"));
        (location.line, location.column, err.message)
    };
    assert_eq!(
        refused("n = \"many\"\n"),
        (
            1,
            5,
            "variable \"n\" must be number, got a string".to_owned()
        )
    );
    assert_eq!(
        refused("role \"x\" {}\n"),
        (
            1,
            1,
            "a variables file holds only name = value lines".to_owned()
        )
    );
    assert!(refused("n = \n").2.starts_with("syntax error"));
}

#[test]
fn variables_files_are_not_configuration() {
    // Only *.hcl is configuration: a role block in a vars-like name that
    // is not one of the automatic files is not read at all.
    let dir = dir_with(&[
        ("main.hcl", "role \"r\" {}\n"),
        ("notes.pgfortvars", "role \"x\" {}\n"),
        (".auto.pgfortvars", "role \"y\" {}\n"),
    ]);
    let config = load_in(dir.path(), &VariableInputs::default(), env(&[])).unwrap();
    assert_eq!(config.desired.roles.keys().collect::<Vec<_>>(), ["r"]);
    assert!(
        !config
            .files
            .iter()
            .any(|f: &PathBuf| f.extension().is_some_and(|e| e == "pgfortvars"))
    );
}
