//! GRANT / REVOKE and ALTER DEFAULT PRIVILEGES statements.

use super::quote::ident;
use crate::model::{DefaultKind, ObjectKind, ObjectRef, PUBLIC};
use crate::plan::{Phase, Statement, Target};

/// Objects per GRANT statement at most (keeps statements readable and
/// batches evenly sized).
pub const OBJECTS_PER_STATEMENT: usize = 500;

pub fn grantee(name: &str) -> String {
    if name == PUBLIC {
        PUBLIC.to_owned()
    } else {
        ident(name)
    }
}

/// The object as SQL: `db`, `schema`, `schema.table`, `schema.f(integer)`.
pub fn object(object: &ObjectRef) -> String {
    let qualified = |name: &str| match &object.schema {
        Some(schema) => format!("{}.{}", ident(schema), ident(name)),
        None => ident(name),
    };
    match object.kind {
        ObjectKind::Function => match object.name.split_once('(') {
            Some((name, args)) => format!("{}({args}", qualified(name)),
            None => qualified(&object.name),
        },
        _ => qualified(&object.name),
    }
}

/// Where and when privileges on `kind` are changed: database privileges on
/// the main connection, everything else in its database's transaction.
fn placement(kind: ObjectKind, database: &str, grant: bool) -> (Phase, Target) {
    match (kind, grant) {
        (ObjectKind::Database, _) => (Phase::DatabasePrivileges, Target::Cluster),
        (_, true) => (
            Phase::GrantPrivileges,
            Target::Database(database.to_owned()),
        ),
        (_, false) => (
            Phase::RevokePrivileges,
            Target::Database(database.to_owned()),
        ),
    }
}

/// `GRANT p, q ON KIND a, b TO g [WITH GRANT OPTION]`. Columns use
/// [`grant_columns`].
pub fn grant(
    objects: &[&ObjectRef],
    privileges: &[String],
    to: &str,
    grantable: bool,
) -> Option<Statement> {
    let first = objects.first()?;
    let (phase, target) = placement(first.kind, &first.database, true);
    let list: Vec<String> = objects.iter().map(|o| object(o)).collect();
    let option = if grantable { " WITH GRANT OPTION" } else { "" };
    Some(Statement::new(
        phase,
        target,
        format!(
            "GRANT {} ON {} {} TO {}{option}",
            privileges.join(", "),
            first.kind.sql_keyword(),
            list.join(", "),
            grantee(to)
        ),
    ))
}

/// `REVOKE [GRANT OPTION FOR] p ON KIND a, b FROM g [CASCADE]`.
pub fn revoke(
    objects: &[&ObjectRef],
    privileges: &[String],
    from: &str,
    grant_option_only: bool,
    cascade: bool,
) -> Option<Statement> {
    let first = objects.first()?;
    let (phase, target) = placement(first.kind, &first.database, false);
    let list: Vec<String> = objects.iter().map(|o| object(o)).collect();
    let prefix = if grant_option_only {
        "GRANT OPTION FOR "
    } else {
        ""
    };
    let cascade = if cascade { " CASCADE" } else { "" };
    Some(Statement::new(
        phase,
        target,
        format!(
            "REVOKE {prefix}{} ON {} {} FROM {}{cascade}",
            privileges.join(", "),
            first.kind.sql_keyword(),
            list.join(", "),
            grantee(from)
        ),
    ))
}

/// Column privileges of one table: `GRANT SELECT (a, b), UPDATE (a) ON t TO g`.
/// `privileges` pairs each privilege with its columns.
pub fn columns(
    table: &ObjectRef,
    privileges: &[(String, Vec<String>)],
    grantee_name: &str,
    grant: bool,
    grant_option_only: bool,
    grantable: bool,
) -> Statement {
    let (phase, target) = placement(ObjectKind::Column, &table.database, grant);
    let list: Vec<String> = privileges
        .iter()
        .map(|(privilege, cols)| {
            let cols: Vec<String> = cols.iter().map(|c| ident(c)).collect();
            format!("{privilege} ({})", cols.join(", "))
        })
        .collect();
    let sql = if grant {
        let option = if grantable { " WITH GRANT OPTION" } else { "" };
        format!(
            "GRANT {} ON TABLE {} TO {}{option}",
            list.join(", "),
            object(table),
            grantee(grantee_name)
        )
    } else {
        let prefix = if grant_option_only {
            "GRANT OPTION FOR "
        } else {
            ""
        };
        format!(
            "REVOKE {prefix}{} ON TABLE {} FROM {}",
            list.join(", "),
            object(table),
            grantee(grantee_name)
        )
    };
    Statement::new(phase, target, sql)
}

/// The identity of one set of default privileges.
pub struct DefaultScope<'a> {
    pub database: &'a str,
    pub owner: &'a str,
    pub schema: Option<&'a str>,
    pub kind: DefaultKind,
    pub grantee: &'a str,
}

/// `ALTER DEFAULT PRIVILEGES FOR ROLE o [IN SCHEMA s] GRANT|REVOKE …`.
pub fn default_privileges(
    scope: &DefaultScope<'_>,
    privileges: &[String],
    grant: bool,
    grant_option: bool,
) -> Statement {
    let in_schema = scope
        .schema
        .map(|s| format!(" IN SCHEMA {}", ident(s)))
        .unwrap_or_default();
    let head = format!(
        "ALTER DEFAULT PRIVILEGES FOR ROLE {}{in_schema}",
        ident(scope.owner)
    );
    let kind = scope.kind.sql_keyword();
    let privileges = privileges.join(", ");
    let grantee = grantee(scope.grantee);
    let sql = match (grant, grant_option) {
        (true, false) => format!("{head} GRANT {privileges} ON {kind} TO {grantee}"),
        (true, true) => {
            format!("{head} GRANT {privileges} ON {kind} TO {grantee} WITH GRANT OPTION")
        }
        (false, false) => format!("{head} REVOKE {privileges} ON {kind} FROM {grantee}"),
        (false, true) => {
            format!("{head} REVOKE GRANT OPTION FOR {privileges} ON {kind} FROM {grantee}")
        }
    };
    Statement::new(
        Phase::DefaultPrivileges,
        Target::Database(scope.database.to_owned()),
        sql,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(kind: ObjectKind, schema: Option<&str>, name: &str) -> ObjectRef {
        ObjectRef {
            kind,
            database: "app".into(),
            schema: schema.map(Into::into),
            name: name.into(),
            column: None,
        }
    }

    #[test]
    fn statements() {
        let t1 = obj(ObjectKind::Table, Some("app"), "t1");
        let t2 = obj(ObjectKind::Table, Some("App"), "t2");
        let s = grant(
            &[&t1, &t2],
            &["SELECT".into(), "INSERT".into()],
            "readers",
            false,
        )
        .unwrap();
        assert_eq!(
            s.redacted(),
            "GRANT SELECT, INSERT ON TABLE app.t1, \"App\".t2 TO readers"
        );
        assert_eq!(s.target, Target::Database("app".into()));
        let f = obj(ObjectKind::Function, Some("app"), "Calc(integer, text)");
        let s = revoke(&[&f], &["EXECUTE".into()], PUBLIC, false, false).unwrap();
        assert_eq!(
            s.redacted(),
            "REVOKE EXECUTE ON ROUTINE app.\"Calc\"(integer, text) FROM PUBLIC"
        );
        let db = obj(ObjectKind::Database, None, "app");
        let s = grant(&[&db], &["CONNECT".into()], "u", true).unwrap();
        assert_eq!(
            s.redacted(),
            "GRANT CONNECT ON DATABASE app TO u WITH GRANT OPTION"
        );
        assert_eq!(
            (s.phase, s.target),
            (Phase::DatabasePrivileges, Target::Cluster)
        );
        let scope = DefaultScope {
            database: "app",
            owner: "own",
            schema: Some("app"),
            kind: DefaultKind::Tables,
            grantee: "r",
        };
        assert_eq!(
            default_privileges(&scope, &["SELECT".into()], true, false).redacted(),
            "ALTER DEFAULT PRIVILEGES FOR ROLE own IN SCHEMA app GRANT SELECT ON TABLES TO r"
        );
        let s = columns(
            &t1,
            &[("SELECT".into(), vec!["a".into(), "B".into()])],
            "r",
            true,
            false,
            false,
        );
        assert_eq!(s.redacted(), "GRANT SELECT (a, \"B\") ON TABLE app.t1 TO r");
    }
}
