//! Statements for databases and schemas.

use super::quote::{ident, literal};
use super::settings::value_sql;
use crate::model::{Database, Schema};
use crate::plan::{Phase, Statement, Target};

/// `CREATE DATABASE`, alone outside a transaction. A declared encoding or
/// locale copies `template0`, the only template that accepts any.
pub fn create_database(db: &Database) -> Statement {
    let mut sql = format!("CREATE DATABASE {}", ident(&db.name));
    if let Some(owner) = &db.owner {
        sql.push_str(&format!(" OWNER {}", ident(owner)));
    }
    let template = db
        .template
        .clone()
        .or_else(|| (db.encoding.is_some() || db.locale.is_some()).then(|| "template0".to_owned()));
    if let Some(template) = template {
        sql.push_str(&format!(" TEMPLATE {}", ident(&template)));
    }
    if let Some(encoding) = &db.encoding {
        sql.push_str(&format!(" ENCODING {}", literal(encoding)));
    }
    if let Some(locale) = &db.locale {
        sql.push_str(&format!(" LOCALE {}", literal(locale)));
    }
    if db.connection_limit != -1 {
        sql.push_str(&format!(" CONNECTION LIMIT {}", db.connection_limit));
    }
    if !db.allow_connections {
        sql.push_str(" ALLOW_CONNECTIONS false");
    }
    if db.is_template {
        sql.push_str(" IS_TEMPLATE true");
    }
    Statement::new(Phase::CreateDatabases, Target::NonTransactional, sql)
}

pub fn alter_database(name: &str, clause: &str) -> Statement {
    Statement::new(
        Phase::AlterDatabases,
        Target::Cluster,
        format!("ALTER DATABASE {} {clause}", ident(name)),
    )
}

pub fn database_setting(db: &str, name: &str, value: Option<&str>) -> Statement {
    let action = match value {
        Some(value) => format!("SET {} = {}", ident(name), value_sql(name, value)),
        None => format!("RESET {}", ident(name)),
    };
    alter_database(db, &action)
}

pub fn database_comment(db: &str, comment: Option<&str>) -> Statement {
    let text = comment.map(literal).unwrap_or_else(|| "NULL".to_owned());
    Statement::new(
        Phase::AlterDatabases,
        Target::Cluster,
        format!("COMMENT ON DATABASE {} IS {text}", ident(db)),
    )
}

pub fn drop_database(name: &str) -> Statement {
    Statement::new(
        Phase::DropDatabases,
        Target::NonTransactional,
        format!("DROP DATABASE {}", ident(name)),
    )
}

pub fn create_schema(schema: &Schema) -> Statement {
    let owner = schema
        .owner
        .as_ref()
        .map(|o| format!(" AUTHORIZATION {}", ident(o)))
        .unwrap_or_default();
    Statement::new(
        Phase::CreateSchemas,
        Target::Database(schema.database.clone()),
        format!("CREATE SCHEMA {}{owner}", ident(&schema.name)),
    )
}

pub fn alter_schema_owner(schema: &Schema, owner: &str) -> Statement {
    Statement::new(
        Phase::AlterSchemas,
        Target::Database(schema.database.clone()),
        format!(
            "ALTER SCHEMA {} OWNER TO {}",
            ident(&schema.name),
            ident(owner)
        ),
    )
}

pub fn schema_comment(schema: &Schema, comment: Option<&str>) -> Statement {
    let text = comment.map(literal).unwrap_or_else(|| "NULL".to_owned());
    Statement::new(
        Phase::AlterSchemas,
        Target::Database(schema.database.clone()),
        format!("COMMENT ON SCHEMA {} IS {text}", ident(&schema.name)),
    )
}
