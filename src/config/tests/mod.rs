//! Loading whole configurations from temporary directories.

mod certificates;
mod databases;
mod environments;
mod errors;
mod full;
mod fuzz;
mod grant_errors;
mod grants;
mod hba;
mod lifecycle;
mod module_errors;
mod modules;
mod patroni;
mod pgbouncer;
mod pgbouncer_tls;
mod rls;
mod sensitive;
mod settings;
mod unknown;
mod varfiles;

use std::cell::RefCell;
use std::path::Path;

use super::eval::Env;
use super::{
    Config, ConfigError, NoPrompt, Prompter, VariableInputs,
    load::{Missing, load_with_env},
};

/// Writes `files` (name, text) into a fresh directory.
pub(super) fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// A prompter that answers from a list and records what it was asked.
#[derive(Default)]
pub(super) struct Answers {
    pub answers: Vec<(&'static str, &'static str)>,
    pub asked: RefCell<Vec<(String, Option<String>, bool)>>,
}

impl Prompter for Answers {
    fn ask(&self, name: &str, description: Option<&str>, sensitive: bool) -> Option<String> {
        self.asked.borrow_mut().push((
            name.to_string(),
            description.map(str::to_string),
            sensitive,
        ));
        self.answers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    }
}

pub(super) fn env(pairs: &[(&str, &str)]) -> Env {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Loads without a terminal to prompt on.
pub(super) fn load_in(
    dir: &Path,
    inputs: &VariableInputs,
    env: Env,
) -> Result<Config, ConfigError> {
    load_with_env(dir, inputs, Missing::Ask(&NoPrompt), env)
}

/// Loads one file `main.hcl` with no inputs and an empty environment.
pub(super) fn load_text(text: &str) -> Result<Config, ConfigError> {
    let dir = dir_with(&[("main.hcl", text)]);
    load_in(dir.path(), &VariableInputs::default(), Env::new())
}

/// The error of loading `text`, as `line:column: message`, without the
/// (temporary) file name.
pub(super) fn error_of(text: &str) -> (String, Option<String>) {
    let err = load_text(text).expect_err("the configuration should be refused");
    let location = err.location.as_ref().expect("a located error");
    assert_eq!(location.file.file_name().unwrap(), "main.hcl");
    (
        format!("{}:{}: {}", location.line, location.column, err.message),
        err.hint,
    )
}

/// Asserts `text` fails with `expected` (`line:column: message`) and `hint`.
pub(super) fn refused(text: &str, expected: &str, hint: Option<&str>) {
    let (error, actual_hint) = error_of(text);
    assert_eq!(error, expected, "for:\n{text}");
    assert_eq!(actual_hint.as_deref(), hint, "hint for:\n{text}");
}
