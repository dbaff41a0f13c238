//! Refusals of `module` and `output` blocks, each with its location (files
//! relative to the configuration's temporary directory) and hint.

use super::modules::{GROUP, refused, tree};
use super::{Answers, env, load_in};
use crate::config::VariableInputs;
use crate::config::load::{Missing, load_with_env};
use crate::model::Password;

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
        Missing::Ask(&prompter),
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
