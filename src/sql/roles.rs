//! Statements for roles, memberships and per-role settings.

use super::quote::{ident, literal};
use super::settings::value_sql;
use crate::model::{Membership, Password, RoleAttributes};
use crate::plan::{Phase, Statement, Target};

/// The attribute clause of `CREATE ROLE` / `ALTER ROLE`, for the given
/// attributes only (all of them on create, the changed ones on alter).
pub fn attribute_clause(attrs: &RoleAttributes, changed: impl Fn(&str) -> bool) -> String {
    let flags: [(&str, bool, &str, &str); 7] = [
        ("superuser", attrs.superuser, "SUPERUSER", "NOSUPERUSER"),
        ("createdb", attrs.createdb, "CREATEDB", "NOCREATEDB"),
        ("createrole", attrs.createrole, "CREATEROLE", "NOCREATEROLE"),
        ("inherit", attrs.inherit, "INHERIT", "NOINHERIT"),
        ("login", attrs.login, "LOGIN", "NOLOGIN"),
        (
            "replication",
            attrs.replication,
            "REPLICATION",
            "NOREPLICATION",
        ),
        ("bypassrls", attrs.bypassrls, "BYPASSRLS", "NOBYPASSRLS"),
    ];
    let mut clause: Vec<String> = flags
        .iter()
        .filter(|(name, ..)| changed(name))
        .map(|(_, on, yes, no)| if *on { yes } else { no }.to_string())
        .collect();
    if changed("connection_limit") {
        clause.push(format!("CONNECTION LIMIT {}", attrs.connection_limit));
    }
    if changed("valid_until") {
        clause.push(match &attrs.valid_until {
            Some(when) => format!("VALID UNTIL {}", literal(when)),
            // NULL cannot be written back; 'infinity' means the same.
            None => "VALID UNTIL 'infinity'".to_owned(),
        });
    }
    clause.join(" ")
}

pub fn create_role(name: &str, attrs: &RoleAttributes, password: &Password) -> Statement {
    let mut sql = format!(
        "CREATE ROLE {} WITH {}",
        ident(name),
        attribute_clause(attrs, |_| true)
    );
    if attrs.valid_until.is_none() {
        // `CREATE ROLE` without VALID UNTIL stores NULL, which is what we want.
        sql = sql.replace(" VALID UNTIL 'infinity'", "");
    }
    let stmt = Statement::new(Phase::CreateRoles, Target::Cluster, sql);
    match password {
        Password::Clear(secret) => stmt.push(" PASSWORD ").push_password(secret),
        _ => stmt,
    }
}

pub fn alter_attributes(name: &str, clause: &str) -> Statement {
    Statement::new(
        Phase::AlterRoles,
        Target::Cluster,
        format!("ALTER ROLE {} WITH {clause}", ident(name)),
    )
}

pub fn set_password(name: &str, password: &Password) -> Statement {
    let stmt = Statement::new(
        Phase::AlterRoles,
        Target::Cluster,
        format!("ALTER ROLE {} WITH PASSWORD ", ident(name)),
    );
    match password {
        Password::Clear(secret) => stmt.push_password(secret),
        _ => stmt.push("NULL"),
    }
}

/// `ALTER ROLE … [IN DATABASE …] SET|RESET`.
pub fn role_setting(
    role: &str,
    database: Option<&str>,
    name: &str,
    value: Option<&str>,
) -> Statement {
    let scope = database
        .map(|db| format!(" IN DATABASE {}", ident(db)))
        .unwrap_or_default();
    let action = match value {
        Some(value) => format!("SET {} = {}", ident(name), value_sql(name, value)),
        None => format!("RESET {}", ident(name)),
    };
    Statement::new(
        Phase::AlterRoles,
        Target::Cluster,
        format!("ALTER ROLE {}{scope} {action}", ident(role)),
    )
}

pub fn comment(role: &str, comment: Option<&str>) -> Statement {
    let text = comment.map(literal).unwrap_or_else(|| "NULL".to_owned());
    Statement::new(
        Phase::AlterRoles,
        Target::Cluster,
        format!("COMMENT ON ROLE {} IS {text}", ident(role)),
    )
}

/// `GRANT group TO member` with its options. Before PostgreSQL 16 only the
/// admin option exists.
pub fn grant_membership(
    group: &str,
    member: &str,
    options: &Membership,
    with_options: bool,
) -> Statement {
    let head = format!("GRANT {} TO ", ident(group));
    let mut sql = String::new();
    if with_options {
        let bool_word = |b: bool| if b { "TRUE" } else { "FALSE" };
        sql.push_str(&format!(" WITH ADMIN {}", bool_word(options.admin)));
        if let Some(inherit) = options.inherit {
            sql.push_str(&format!(", INHERIT {}", bool_word(inherit)));
        }
        if let Some(set) = options.set {
            sql.push_str(&format!(", SET {}", bool_word(set)));
        }
    } else if options.admin {
        sql.push_str(" WITH ADMIN OPTION");
    }
    Statement::listing(
        Phase::GrantMemberships,
        Target::Cluster,
        &head,
        &ident(member),
        &sql,
    )
}

/// `REVOKE ADMIN OPTION FOR group FROM member` (keeps the membership).
pub fn revoke_admin_option(group: &str, member: &str) -> Statement {
    Statement::new(
        Phase::RevokeMemberships,
        Target::Cluster,
        format!(
            "REVOKE ADMIN OPTION FOR {} FROM {}",
            ident(group),
            ident(member)
        ),
    )
}

pub fn revoke_membership(group: &str, member: &str) -> Statement {
    Statement::new(
        Phase::RevokeMemberships,
        Target::Cluster,
        format!("REVOKE {} FROM {} CASCADE", ident(group), ident(member)),
    )
}

/// Statements that remove a role safely: end its sessions, hand its objects
/// to `heir` in each database that holds some, then drop it.
pub fn drop_role(name: &str, heir: &str, databases: &[String]) -> Vec<Statement> {
    let mut statements = vec![Statement::new(
        Phase::TerminateSessions,
        Target::Cluster,
        format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = {} AND pid <> pg_backend_pid()",
            literal(name)
        ),
    )];
    for db in databases {
        let target = Target::Database(db.clone());
        statements.push(Statement::new(
            Phase::ReleaseOwnership,
            target.clone(),
            format!("REASSIGN OWNED BY {} TO {}", ident(name), ident(heir)),
        ));
        statements.push(Statement::new(
            Phase::ReleaseOwnership,
            target,
            format!("DROP OWNED BY {}", ident(name)),
        ));
    }
    statements.push(Statement::new(
        Phase::DropRoles,
        Target::Cluster,
        format!("DROP ROLE {}", ident(name)),
    ));
    statements
}
