//! A sensitive variable's value lands only in a `Secret`, and never in an
//! error message, whatever the mistake.

use super::{Answers, dir_with, env, load_in};
use crate::config::VariableInputs;
use crate::config::load::{Missing, load_with_env};
use crate::model::Password;

const SECRET: &str = "hunter2-SECRET";

/// Loads `body` after a sensitive variable `pw` set from the command line
/// (and `num`, a sensitive number) and returns the error's full text.
fn error_text(body: &str, pw_type: &str) -> String {
    let text = format!(
        "variable \"pw\" {{\n  sensitive = true\n  type = {pw_type}\n}}\nlocals {{\n  derived = \"x${{var.pw}}\"\n}}\n{body}"
    );
    let dir = dir_with(&[("main.hcl", &text)]);
    let inputs = VariableInputs {
        cli: vec![("pw".to_string(), SECRET.to_string())],
        files: vec![],
        ..Default::default()
    };
    let env = env(&[(SECRET, "set"), ("PGFORT_VAR_pw", SECRET)]);
    let err = load_in(dir.path(), &inputs, env).expect_err(body);
    format!("{err} {:?} {:?}", err.hint, err)
}

#[test]
fn never_in_error_messages() {
    let cases = [
        "role \"a\" {\n  comment = var.pw\n}\n",
        "role \"a\" {\n  comment = local.derived\n}\n",
        "role \"a\" {\n  login = var.pw\n}\n",
        "role \"a\" {\n  connection_limit = var.pw\n}\n",
        "role \"a\" {\n  valid_until = var.pw\n}\n",
        "role \"a\" {\n  member_of = [var.pw]\n}\n",
        "role \"a\" {\n  member_of = [{ role = var.pw }]\n}\n",
        "role \"a\" {\n  settings = { x = var.pw }\n}\n",
        "role \"a\" {\n  settings = { search_path = [var.pw] }\n}\n",
        "role \"a\" {\n  database_settings = { (var.pw) = { x = 1 } }\n}\n",
        "role \"a\" {\n  password = [var.pw]\n}\n",
        "role \"a\" {\n  password = var.pw + 1\n}\n",
        "role \"a\" {\n  password = var.pw[\"key\"]\n}\n",
        "role \"a\" {\n  password = join(\",\", var.pw)\n}\n",
        "role \"a\" {\n  password = env(var.pw) == \"set\" ? env(\"UNSET_SURELY\") : \"\"\n}\n",
        "role \"a\" {\n  password = env(\"${var.pw}-missing\")\n}\n",
        "role \"a\" {\n  password = file(var.pw)\n}\n",
        "connection {\n  sslmode = var.pw\n}\n",
        "connection {\n  port = var.pw\n}\n",
        "manage {\n  reassign_owned_to = var.pw\n}\n",
        "database \"d\" {\n  encoding = var.pw\n}\n",
        "database \"d\" {\n  owner = var.pw\n}\n",
        "schema \"s\" {\n  database = var.pw\n}\n",
        "grant {\n  to = [var.pw]\n  privileges = [\"ALL\"]\n  on = { database = \"d\" }\n}\n",
        "grant {\n  to = [\"public\"]\n  privileges = [var.pw]\n  on = { database = \"d\" }\n}\n",
        "grant {\n  to = [\"public\"]\n  privileges = [\"ALL\"]\n  on = { database = \"d\", schema = \"s\", functions = [var.pw] }\n}\n",
        "grant {\n  to = [\"public\"]\n  privileges = [\"ALL\"]\n  on = { database = \"d\", schema = \"s\", all = var.pw }\n}\n",
        "hba {\n  rule {\n    type = \"local\"\n    method = \"ldap\"\n    options = { map = var.pw }\n  }\n}\n",
        "hba {\n  rule {\n    type = \"local\"\n    method = \"ldap\"\n    options = { (var.pw) = \"x\" }\n  }\n}\n",
        "hba {\n  rule {\n    type = \"local\"\n    method = \"ldap\"\n    options = { ldapbindpasswd = \"${var.pw}\\n\" }\n  }\n}\n",
        "hba {\n  rule {\n    type = \"local\"\n    user = var.pw\n    method = \"peer\"\n  }\n}\n",
    ];
    for body in cases {
        let text = error_text(body, "string");
        assert!(!text.contains(SECRET), "leaked in: {text}");
    }
    // A value that does not fit the declared type.
    let text = error_text("", "number");
    assert!(
        text.contains("invalid value for variable \\\"pw\\\" from -var: expected number"),
        "{text}"
    );
    assert!(!text.contains(SECRET), "leaked in: {text}");
}

#[test]
fn lands_in_a_secret() {
    let dir = dir_with(&[(
        "main.hcl",
        "variable \"pw\" {\n  sensitive = true\n}\nrole \"a\" {\n  password = \"${var.pw}-suffix\"\n}\nconnection {\n  password = var.pw\n}\n",
    )]);
    let env = env(&[("PGFORT_VAR_pw", SECRET)]);
    let config = load_in(dir.path(), &VariableInputs::default(), env).unwrap();
    let Password::Clear(secret) = &config.desired.roles["a"].password else {
        panic!("a clear password")
    };
    assert_eq!(secret.expose(), format!("{SECRET}-suffix"));
    assert!(!format!("{config:?}").contains(SECRET));
    assert!(
        !serde_json::to_string(&config.desired)
            .unwrap()
            .contains(SECRET)
    );
}

/// Options that carry a credential take a sensitive value; the rule never
/// shows it (Debug, Serialize, its displayed line), only its file line.
#[test]
fn secret_hba_options_take_sensitive_values() {
    let dir = dir_with(&[(
        "main.hcl",
        "variable \"pw\" {\n  sensitive = true\n}\nhba {\n  rule {\n    type = \"host\"\n    address = \"all\"\n    method = \"ldap\"\n    options = { ldapserver = \"ldap\", ldapbindpasswd = var.pw, ldapbasedn = \"dc=x\" }\n  }\n}\n",
    )]);
    let env = env(&[("PGFORT_VAR_pw", SECRET)]);
    let config = load_in(dir.path(), &VariableInputs::default(), env).unwrap();
    let hba = config.desired.hba.as_ref().unwrap();
    let rule = &hba.rules[0];
    assert!(
        rule.file_line()
            .unwrap()
            .contains(&format!("ldapbindpasswd={SECRET}"))
    );
    assert!(
        rule.line().contains("ldapbindpasswd=(sensitive)"),
        "{}",
        rule.line()
    );
    assert!(!format!("{config:?}").contains(SECRET));
    assert!(
        !serde_json::to_string(&config.desired)
            .unwrap()
            .contains(SECRET)
    );
}

#[test]
fn prompts_without_echo() {
    let dir = dir_with(&[(
        "main.hcl",
        "variable \"pw\" {\n  sensitive   = true\n  description = \"app password\"\n}\nrole \"a\" { password = var.pw }\n",
    )]);
    let prompter = Answers {
        answers: vec![("pw", "typed")],
        ..Answers::default()
    };
    let config = load_with_env(
        dir.path(),
        &VariableInputs::default(),
        Missing::Ask(&prompter),
        env(&[]),
    )
    .unwrap();
    assert_eq!(
        *prompter.asked.borrow(),
        [("pw".to_string(), Some("app password".to_string()), true)]
    );
    assert_eq!(
        config.desired.roles["a"].password,
        Password::Clear(crate::model::Secret::new("typed"))
    );
}

#[test]
fn a_password_written_in_clear_in_the_file_is_warned_about() {
    let text = "variable \"pw\" {\n  sensitive = true\n}\n\nrole \"from_var\" {\n  password = var.pw\n}\n\nrole \"literal\" {\n  password = \"written-here\"\n}\n";
    let dir = dir_with(&[("main.hcl", text)]);
    let inputs = VariableInputs {
        cli: vec![("pw".to_string(), SECRET.to_string())],
        ..Default::default()
    };
    let config = load_in(dir.path(), &inputs, env(&[])).unwrap();
    let warnings: Vec<String> = config.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].ends_with(
            "main.hcl:10:3: the password of role \"literal\" is written in the file in clear text"
        ),
        "{warnings:?}"
    );
    assert!(!warnings[0].contains("written-here"));
    let hint = config.warnings[0].hint.as_deref().unwrap_or_default();
    assert!(hint.contains("password = var.literal_password"), "{hint}");
}
