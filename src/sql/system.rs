//! `ALTER SYSTEM` and configuration reloads. Both run alone, outside any
//! transaction.

use super::quote::ident;
use super::settings::value_sql;
use crate::plan::{Phase, Statement, Target};

/// A parameter name as SQL: `pg_stat_statements.track` quotes each part.
pub fn setting_name(name: &str) -> String {
    name.split('.').map(ident).collect::<Vec<_>>().join(".")
}

/// `ALTER SYSTEM SET name = value`, lists as one literal per element.
pub fn set_sql(name: &str, value: &str) -> String {
    format!(
        "ALTER SYSTEM SET {} = {}",
        setting_name(name),
        value_sql(name, value)
    )
}

/// `ALTER SYSTEM RESET name`.
pub fn reset_sql(name: &str) -> String {
    format!("ALTER SYSTEM RESET {}", setting_name(name))
}

pub fn set(name: &str, value: &str) -> Statement {
    Statement::new(
        Phase::SystemSettings,
        Target::NonTransactional,
        set_sql(name, value),
    )
}

pub fn reset(name: &str) -> Statement {
    Statement::new(
        Phase::SystemSettings,
        Target::NonTransactional,
        reset_sql(name),
    )
}

/// Makes the server re-read its configuration files.
pub fn reload() -> Statement {
    Statement::new(
        Phase::ReloadConfiguration,
        Target::NonTransactional,
        "SELECT pg_catalog.pg_reload_conf()",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements() {
        assert_eq!(
            set_sql("work_mem", "64MB"),
            "ALTER SYSTEM SET work_mem = '64MB'"
        );
        assert_eq!(
            set_sql(
                "shared_preload_libraries",
                "pg_stat_statements, auto_explain"
            ),
            "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements', 'auto_explain'"
        );
        assert_eq!(
            set_sql("pg_stat_statements.track", "all"),
            "ALTER SYSTEM SET pg_stat_statements.track = 'all'"
        );
        assert_eq!(
            set_sql("log_line_prefix", "%m [%p] "),
            "ALTER SYSTEM SET log_line_prefix = '%m [%p] '"
        );
        assert_eq!(reset_sql("work_mem"), "ALTER SYSTEM RESET work_mem");
    }
}
