//! Statements for managed tables (row-level security, owner, comment) and
//! their policies. Each runs in its database's transaction, so a policy
//! that is dropped and created again is never missing for other sessions.
//!
//! Expressions are sent as the server printed them when the plan was
//! computed (see `inspect::canonicalize_policies`): text the server parsed
//! as exactly one expression, so it cannot end the statement early.

use super::quote::{ident, literal};
use crate::model::{Expression, PUBLIC, Policy, RowLevelSecurity, TableName};
use crate::plan::{Phase, Statement, Target};

/// `schema.table`, quoted.
pub fn qualified(table: &TableName) -> String {
    format!("{}.{}", ident(&table.schema), ident(&table.name))
}

fn statement(phase: Phase, database: &str, sql: String) -> Statement {
    Statement::new(phase, Target::Database(database.to_owned()), sql)
}

/// The `ALTER TABLE` clauses that move row-level security from `from` to
/// `to` (`None`: unknown, set both flags).
pub fn row_level_security(
    database: &str,
    table: &TableName,
    from: Option<RowLevelSecurity>,
    to: RowLevelSecurity,
) -> Vec<Statement> {
    let enabled = |rls: RowLevelSecurity| rls != RowLevelSecurity::Disabled;
    let forced = |rls: RowLevelSecurity| rls == RowLevelSecurity::Forced;
    let mut clauses = Vec::new();
    if from.is_none_or(|from| enabled(from) != enabled(to)) {
        clauses.push(if enabled(to) {
            "ENABLE ROW LEVEL SECURITY"
        } else {
            "DISABLE ROW LEVEL SECURITY"
        });
    }
    if from.is_none_or(|from| forced(from) != forced(to)) {
        clauses.push(if forced(to) {
            "FORCE ROW LEVEL SECURITY"
        } else {
            "NO FORCE ROW LEVEL SECURITY"
        });
    }
    clauses
        .into_iter()
        .map(|clause| {
            statement(
                Phase::AlterTables,
                database,
                format!("ALTER TABLE {} {clause}", qualified(table)),
            )
        })
        .collect()
}

pub fn table_owner(database: &str, table: &TableName, owner: &str) -> Statement {
    statement(
        Phase::AlterTables,
        database,
        format!("ALTER TABLE {} OWNER TO {}", qualified(table), ident(owner)),
    )
}

pub fn table_comment(database: &str, table: &TableName, comment: Option<&str>) -> Statement {
    let text = comment.map(literal).unwrap_or_else(|| "NULL".to_owned());
    statement(
        Phase::AlterTables,
        database,
        format!("COMMENT ON TABLE {} IS {text}", qualified(table)),
    )
}

/// `TO` list: PUBLIC as the keyword, roles quoted.
fn roles(policy: &Policy) -> String {
    let names: Vec<String> = policy
        .roles
        .iter()
        .map(|role| {
            if role == PUBLIC {
                PUBLIC.to_owned()
            } else {
                ident(role)
            }
        })
        .collect();
    if names.is_empty() {
        PUBLIC.to_owned()
    } else {
        names.join(", ")
    }
}

/// The text sent for an expression: the canonical form when known.
fn expression(expression: &Expression) -> &str {
    expression.comparable()
}

fn on(policy: &Policy) -> String {
    format!("{} ON {}", ident(&policy.name), qualified(&policy.table))
}

pub fn create_policy(policy: &Policy) -> Statement {
    let mut sql = format!(
        "CREATE POLICY {} AS {} FOR {} TO {}",
        on(policy),
        if policy.permissive {
            "PERMISSIVE"
        } else {
            "RESTRICTIVE"
        },
        policy.command.sql_keyword(),
        roles(policy)
    );
    if let Some(using) = &policy.using {
        sql.push_str(&format!(" USING ({})", expression(using)));
    }
    if let Some(check) = &policy.with_check {
        sql.push_str(&format!(" WITH CHECK ({})", expression(check)));
    }
    statement(Phase::CreatePolicies, &policy.database, sql)
}

/// What `ALTER POLICY` changes; `None` leaves a part as it is.
#[derive(Debug, Default)]
pub struct PolicyAlteration<'a> {
    pub roles: bool,
    pub using: Option<&'a Expression>,
    pub with_check: Option<&'a Expression>,
}

/// One `ALTER POLICY` for roles, USING and WITH CHECK together.
pub fn alter_policy(policy: &Policy, alteration: &PolicyAlteration<'_>) -> Statement {
    let mut sql = format!("ALTER POLICY {}", on(policy));
    if alteration.roles {
        sql.push_str(&format!(" TO {}", roles(policy)));
    }
    if let Some(using) = alteration.using {
        sql.push_str(&format!(" USING ({})", expression(using)));
    }
    if let Some(check) = alteration.with_check {
        sql.push_str(&format!(" WITH CHECK ({})", expression(check)));
    }
    statement(Phase::AlterPolicies, &policy.database, sql)
}

pub fn drop_policy(policy: &Policy) -> Statement {
    statement(
        Phase::DropPolicies,
        &policy.database,
        format!("DROP POLICY {}", on(policy)),
    )
}

pub fn policy_comment(policy: &Policy) -> Statement {
    let text = policy
        .comment
        .as_deref()
        .map(literal)
        .unwrap_or_else(|| "NULL".to_owned());
    statement(
        Phase::AlterPolicies,
        &policy.database,
        format!("COMMENT ON POLICY {} IS {text}", on(policy)),
    )
}
