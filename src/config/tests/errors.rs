//! Every refusal, with its exact location, message and hint.

use super::{dir_with, env, error_of, load_in, refused};
use crate::config::{ConfigError, VariableInputs};

#[test]
fn syntax_error() {
    refused(
        "role \"a\" {\n  login = \n}\n",
        "2:11: syntax error: invalid expression; expected `\"`, `[`, `{`, `-`, `!`, `(`, `_`, `<`, letter or digit",
        None,
    );
}

#[test]
fn unknown_block_type() {
    refused(
        "role \"a\" {}\n\nrloe \"b\" {}\n",
        "3:1: unknown block type \"rloe\", expected one of: certificate_authority, client_certificate, connection, database, environment, extension, grant, hba, locals, manage, module, output, patroni, pgbouncer, policy, role, schema, server_certificate, settings, table, tune, variable",
        Some("did you mean \"role\"?"),
    );
}

#[test]
fn unknown_attribute() {
    refused(
        "role \"a\" {\n  login = true\n  logn  = true\n}\n",
        "3:3: unknown attribute \"logn\" in role \"a\", expected one of: name, login, superuser, createdb, createrole, \
         inherit, replication, bypassrls, connection_limit, valid_until, password, keep_password, \
         member_of, settings, database_settings, comment",
        Some("did you mean \"login\"?"),
    );
}

#[test]
fn wrong_type() {
    refused(
        "role \"a\" {\n  login = \"yes\"\n}\n",
        "2:11: login must be a bool (true or false), got a string",
        None,
    );
    refused(
        "role \"a\" {\n  connection_limit = -2\n}\n",
        "2:22: connection_limit must be between -1 and 2147483647, got -2",
        None,
    );
    refused(
        "role \"a\" {\n  member_of = \"b\"\n}\n",
        "2:15: member_of must be a list of role names, got a string",
        None,
    );
}

#[test]
fn duplicate_role() {
    let (error, _) = error_of("role \"a\" {}\nrole \"b\" {}\nrole \"a\" {\n  login = true\n}\n");
    assert!(
        error.starts_with("3:6: role \"a\" is already declared at "),
        "{error}"
    );
    assert!(error.ends_with("main.hcl:1:6"), "{error}");
}

#[test]
fn undeclared_member_of_role() {
    refused(
        "role \"reader\" {}\nrole \"a\" {\n  member_of = [\"reader\", { role = \"raeder\" }]\n}\n",
        "3:35: role \"raeder\" is not declared",
        Some("did you mean \"reader\"?"),
    );
    refused(
        "role \"a\" {\n  member_of = [\"ghost\"]\n}\n",
        "2:16: role \"ghost\" is not declared",
        Some("declare it: role \"ghost\" {}"),
    );
}

#[test]
fn undefined_variable_and_local() {
    refused(
        "variable \"name\" {\n  default = \"x\"\n}\nrole \"a\" {\n  comment = \"hi ${var.nam}\"\n}\n",
        "5:19: undefined variable \"nam\"",
        Some("did you mean \"name\"?"),
    );
    refused(
        "role \"a\" {\n  comment = local.greeting\n}\n",
        "2:13: undefined local \"greeting\"",
        Some("define it in a locals block: greeting = ..."),
    );
    refused(
        "locals {\n  a = local.b\n}\n",
        "2:7: undefined local \"b\"",
        Some("define it in a locals block: b = ..."),
    );
}

#[test]
fn missing_variable_without_prompter() {
    refused(
        "variable \"app_password\" {\n  sensitive = true\n}\n",
        "1:10: no value for variable \"app_password\"",
        Some(
            "set it with -var app_password=VALUE, in a -var-file or pgfort.pgfortvars, or in the \
             environment variable PGFORT_VAR_app_password",
        ),
    );
}

#[test]
fn local_cycle() {
    refused(
        "locals {\n  a = local.b\n}\nlocals {\n  b = \"${local.c}!\"\n  c = local.a\n}\n",
        "2:3: local \"a\" refers to itself: a -> b -> c -> a",
        None,
    );
    refused(
        "locals {\n  me = local.me\n}\n",
        "2:3: local \"me\" refers to itself: me -> me",
        None,
    );
}

#[test]
fn duplicates() {
    let (error, _) = error_of("locals {\n  a = 1\n}\nlocals {\n  a = 2\n}\n");
    assert!(
        error.starts_with("5:3: local \"a\" is already defined at "),
        "{error}"
    );
    let (error, _) = error_of("variable \"v\" {\n  default = 1\n}\nvariable \"v\" {}\n");
    assert!(
        error.starts_with("4:10: variable \"v\" is already declared at "),
        "{error}"
    );
    let (error, _) = error_of("connection {}\nconnection {\n  host = \"x\"\n}\n");
    assert!(
        error.starts_with("2:1: only one connection block is allowed; the first is at "),
        "{error}"
    );
    refused(
        "role \"a\" {}\nrole \"b\" {\n  member_of = [\"a\", { role = \"a\" }]\n}\n",
        "3:30: role \"a\" appears twice in member_of",
        None,
    );
    refused(
        "role \"a\" {\n  settings = { Work_Mem = 1, work_mem = 2 }\n}\n",
        "2:30: setting \"work_mem\" appears twice in settings",
        None,
    );
}

#[test]
fn membership_rules() {
    refused(
        "role \"a\" {\n  member_of = [\"a\"]\n}\n",
        "2:16: role \"a\" cannot be a member of itself",
        None,
    );
    refused(
        "role \"a\" {\n  member_of = [\"b\"]\n}\nrole \"b\" {\n  member_of = [\"c\"]\n}\nrole \"c\" {\n  member_of = [\"a\"]\n}\n",
        "8:16: circular role membership: a -> b -> c -> a",
        None,
    );
    refused(
        "role \"a\" {\n  member_of = [{ role = \"pg_monitor\", admn = true }]\n}\n",
        "2:39: unknown key \"admn\" in member_of[0], expected one of: role, admin, inherit, set",
        Some("did you mean \"admin\"?"),
    );
    refused(
        "role \"a\" {\n  member_of = [{ admin = true }]\n}\n",
        "2:16: member_of[0] needs a role key",
        Some("write { role = \"name\", admin = true }"),
    );
}

#[test]
fn manage_rules() {
    refused(
        "role \"a\" {}\nmanage {\n  prune_roles = true\n}\n",
        "3:17: prune_roles = true needs reassign_owned_to, to receive the objects of dropped roles",
        Some("add reassign_owned_to = \"ROLE\" to the manage block"),
    );
    refused(
        "manage {\n  reassign_owned_to = \"postgres\"\n}\n",
        "2:23: role \"postgres\" is not declared; reassign_owned_to must name a declared role",
        Some("declare it: role \"postgres\" {}"),
    );
    refused(
        "manage {\n  ignore_roles = [\"ok*\", \"bad[\"]\n}\n",
        "2:26: invalid glob pattern \"bad[\": invalid range pattern",
        None,
    );
}

#[test]
fn role_names_and_values() {
    let long = "x".repeat(64);
    refused(
        &format!("role \"{long}\" {{}}\n"),
        &format!("1:6: role name \"{long}\" is 64 bytes long, the limit is 63"),
        None,
    );
    refused("role \"\" {}\n", "1:6: a role name cannot be empty", None);
    refused(
        "role \"a\" {\n  valid_until = \"2027-02-29\"\n}\n",
        "2:17: invalid valid_until \"2027-02-29\": day out of range for 2027-02",
        Some(
            "write YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] or YYYY-MM-DDTHH:MM[:SS], with an optional Z or \
             \u{b1}HH[:MM] offset (default UTC), or infinity",
        ),
    );
    refused(
        "role \"a\" {\n  settings = {\n    \"work mem\" = 1\n  }\n}\n",
        "3:5: invalid setting name \"work mem\"",
        Some(
            "a setting name is letters, digits and _, with one . for extension settings (e.g. pg_stat_statements.track)",
        ),
    );
    refused(
        "role \"a\" {\n  database_settings = { db = { x = {} } }\n}\n",
        "2:36: database_settings.db.x must be a string, number, bool or list of strings, got a map",
        None,
    );
}

#[test]
fn block_shapes() {
    refused(
        "role {}\n",
        "1:1: a role block needs a label (name)",
        Some("write: role \"name\" { ... }"),
    );
    refused(
        "connection \"main\" {}\n",
        "1:12: a connection block takes no labels",
        Some("write: connection { ... }"),
    );
    refused(
        "login = true\n",
        "1:1: unexpected attribute \"login\" outside of any block",
        Some("attributes belong inside a block, e.g. locals { ... }"),
    );
    refused(
        "role \"a\" {\n  settings {\n    work_mem = 1\n  }\n}\n",
        "2:3: unexpected block \"settings\" in role \"a\"",
        Some("settings is an attribute: write settings = ..."),
    );
    refused(
        "connection {\n  sslmode = \"verify_full\"\n}\n",
        "2:13: invalid sslmode \"verify_full\", expected one of: disable, allow, prefer, require, verify-ca, verify-full",
        Some("did you mean \"verify-full\"?"),
    );
    refused(
        "connection {\n  port = 70000\n}\n",
        "2:10: port must be between 1 and 65535, got 70000",
        None,
    );
    refused(
        "variable \"v\" {\n  type = integer\n}\n",
        "2:10: invalid type",
        Some("a type is one of: string, number, bool, list(TYPE), map(TYPE), any"),
    );
    refused(
        "variable \"v\" {\n  type    = number\n  default = \"ten\"\n}\n",
        "3:13: default of variable \"v\" must be number, got a string",
        None,
    );
    refused(
        "variable \"v\" {\n  default = var.w\n}\n",
        "2:13: cannot refer to variable \"w\" here",
        Some("variable defaults, -var-file values and module sources must be constant"),
    );
}

#[test]
fn functions() {
    refused(
        "role \"a\" {\n  comment = env(\"PGFORT_SURELY_UNSET\")\n}\n",
        "2:13: error calling function `env`: environment variable PGFORT_SURELY_UNSET is not set",
        Some("set the variable, or give a default: env(\"NAME\", \"default\")"),
    );
    let (error, hint) = error_of("role \"a\" {\n  comment = upper(file(\"missing.txt\"))\n}\n");
    assert!(
        error.starts_with("2:19: error calling function `file`: cannot read "),
        "{error}"
    );
    assert!(error.contains("missing.txt"), "{error}");
    assert!(
        hint.unwrap()
            .starts_with("paths are relative to the configuration directory ")
    );
    refused(
        "role \"a\" {\n  comment = cidrhost(\"10.0.1.0/24\", 256)\n}\n",
        "2:13: error calling function `cidrhost`: host number 256 is outside 10.0.1.0/24",
        None,
    );
    refused(
        "role \"a\" {\n  comment = trim(\"x\")\n}\n",
        "2:13: unknown function \"trim\", expected one of: cidrhost, concat, env, file, join, lower, range, upper",
        None,
    );
    refused(
        "role \"a\" {\n  comment = nope\n}\n",
        "2:13: unknown name \"nope\"",
        Some(
            "refer to variables as var.NAME, to locals as local.NAME and to module outputs as \
             module.NAME.OUTPUT",
        ),
    );
}

/// Errors about the inputs rather than the files.
fn input_error(inputs: VariableInputs, env_pairs: &[(&str, &str)]) -> ConfigError {
    let dir = dir_with(&[(
        "main.hcl",
        "variable \"port\" {\n  type = number\n}\nvariable \"name\" {\n  default = \"x\"\n}\n",
    )]);
    let mut inputs = inputs;
    inputs.files = inputs.files.iter().map(|f| dir.path().join(f)).collect();
    std::fs::write(dir.path().join("bad.vars"), "port = 1\nnmae = \"y\"\n").unwrap();
    load_in(dir.path(), &inputs, env(env_pairs)).unwrap_err()
}

#[test]
fn bad_inputs() {
    let cli = |pairs: &[(&str, &str)]| VariableInputs {
        cli: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        files: vec![],
        ..Default::default()
    };
    let err = input_error(cli(&[("port", "5432"), ("nmae", "y")]), &[]);
    assert_eq!(
        err.to_string(),
        "-var nmae: no variable \"nmae\" is declared"
    );
    assert_eq!(err.hint.as_deref(), Some("did you mean \"name\"?"));

    let err = input_error(cli(&[("port", "abc")]), &[]);
    assert_eq!(
        err.to_string(),
        "invalid value for variable \"port\" from -var: expected number, got a string (\"abc\")"
    );
    let err = input_error(cli(&[]), &[("PGFORT_VAR_port", "x1")]);
    assert_eq!(
        err.to_string(),
        "invalid value for variable \"port\" from PGFORT_VAR_port: expected number, got a string (\"x1\")"
    );

    let files = VariableInputs {
        cli: vec![],
        files: vec!["bad.vars".into()],
        ..Default::default()
    };
    let err = input_error(files, &[]);
    let location = err.location.unwrap();
    assert_eq!((location.line, location.column), (2, 1));
    assert!(location.file.ends_with("bad.vars"));
    assert_eq!(err.message, "no variable \"nmae\" is declared");
}

#[test]
fn no_files() {
    let dir = dir_with(&[("notes.txt", "role \"a\" {}")]);
    let err = load_in(dir.path(), &VariableInputs::default(), env(&[])).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("no *.hcl files in {}", dir.path().display())
    );
    assert!(err.hint.unwrap().contains("examples/quickstart"));
}

/// Each error as `file:line:column: message`, without the directory.
fn every_error(err: &ConfigError) -> Vec<String> {
    std::iter::once(err)
        .chain(err.more())
        .map(|e| {
            let at = e.location.as_ref().expect("located");
            format!(
                "{}:{}:{}: {}",
                at.file.file_name().unwrap().to_string_lossy(),
                at.line,
                at.column,
                e.message
            )
        })
        .collect()
}

#[test]
fn every_broken_block_is_reported_in_file_order() {
    let dir = dir_with(&[
        (
            "a.hcl",
            "role \"a\" {\n  logn = true\n}\n\nrole \"b\" {\n  login = \"yes\"\n}\n\nrole \"c\" {\n  member_of = [\"nobody\"]\n}\n",
        ),
        (
            "b.hcl",
            "rloe \"d\" {}\n\ndatabase \"db\" {\n  owner = \"ghost\"\n}\n",
        ),
    ]);
    let err = load_in(dir.path(), &VariableInputs::default(), env(&[])).unwrap_err();
    let all = every_error(&err);
    assert_eq!(all.len(), 3, "{all:#?}");
    assert!(
        all[0].starts_with("a.hcl:2:3: unknown attribute \"logn\""),
        "{all:#?}"
    );
    assert!(all[1].starts_with("a.hcl:6:"), "{all:#?}");
    assert!(
        all[2].starts_with("b.hcl:1:1: unknown block type \"rloe\""),
        "{all:#?}"
    );
    // Fixed, the blocks that could be read reveal what only the whole
    // configuration shows: both references to undeclared roles at once.
    let dir = dir_with(&[
        ("a.hcl", "role \"c\" {\n  member_of = [\"nobody\"]\n}\n"),
        ("b.hcl", "database \"db\" {\n  owner = \"ghost\"\n}\n"),
    ]);
    let err = load_in(dir.path(), &VariableInputs::default(), env(&[])).unwrap_err();
    let all = every_error(&err);
    assert_eq!(
        all,
        [
            "a.hcl:2:16: role \"nobody\" is not declared",
            "b.hcl:2:11: role \"ghost\" is not declared"
        ]
    );
}

#[test]
fn every_file_with_a_syntax_error_is_reported() {
    let dir = dir_with(&[
        ("a.hcl", "role \"a\" {\n  login = \n}\n"),
        ("b.hcl", "role \"b\" {}\n"),
        ("c.hcl", "role \"c\" {\n"),
    ]);
    let err = load_in(dir.path(), &VariableInputs::default(), env(&[])).unwrap_err();
    let files: Vec<String> = every_error(&err)
        .iter()
        .map(|e| e.split(':').next().unwrap().to_owned())
        .collect();
    assert_eq!(files, ["a.hcl", "c.hcl"]);
}
