//! Statements for extensions, run in their database's transaction.

use super::quote::{ident, literal};
use crate::model::Extension;
use crate::plan::{Phase, Statement, Target};

/// `CREATE EXTENSION IF NOT EXISTS`: an extension created earlier in the
/// same transaction by another one's CASCADE is then no error.
pub fn create(extension: &Extension, cascade: bool) -> Statement {
    let mut sql = format!("CREATE EXTENSION IF NOT EXISTS {}", ident(&extension.name));
    if let Some(schema) = &extension.schema {
        sql.push_str(&format!(" SCHEMA {}", ident(schema)));
    }
    if let Some(version) = &extension.version {
        sql.push_str(&format!(" VERSION {}", literal(version)));
    }
    if cascade {
        sql.push_str(" CASCADE");
    }
    statement(&extension.database, Phase::Extensions, sql)
}

pub fn update(database: &str, name: &str, version: &str) -> Statement {
    let sql = format!(
        "ALTER EXTENSION {} UPDATE TO {}",
        ident(name),
        literal(version)
    );
    statement(database, Phase::Extensions, sql)
}

pub fn set_schema(database: &str, name: &str, schema: &str) -> Statement {
    let sql = format!(
        "ALTER EXTENSION {} SET SCHEMA {}",
        ident(name),
        ident(schema)
    );
    statement(database, Phase::Extensions, sql)
}

/// One statement for all of a database's extensions to drop, so that
/// dependencies among them are no obstacle; objects outside the set that
/// depend on them still stop it (RESTRICT).
pub fn drop(database: &str, names: &[&str]) -> Statement {
    let list: Vec<String> = names.iter().map(|name| ident(name)).collect();
    let sql = format!("DROP EXTENSION IF EXISTS {} RESTRICT", list.join(", "));
    statement(database, Phase::DropExtensions, sql)
}

fn statement(database: &str, phase: Phase, sql: String) -> Statement {
    Statement::new(phase, Target::Database(database.to_owned()), sql)
}
