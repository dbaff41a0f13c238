//! Row-level security of the declared tables and every policy on them: two
//! queries per database, pipelined with the others, whatever the number of
//! tables and policies. Other tables are not read, unless the scope asks
//! for every table under row-level security (`pgfort export`).

use tokio_postgres::Row;
use tokio_postgres::types::{ToSql, Type};

use super::sql::user_schema;
use super::{Db, InspectError, InspectScope};
use crate::model::{
    DatabaseCatalog, Expression, Policy, PolicyCommand, RowLevelSecurity, Table, TableName,
};

/// The declared tables, `$1` schemas and `$2` names (parallel arrays).
macro_rules! declared_tables {
    () => {
        "JOIN unnest($1::text[], $2::text[]) AS declared (schema, name)
  ON declared.name = c.relname::text AND declared.schema = n.nspname::text
"
    };
}

/// Tables' row-level security switches, owners and comments.
macro_rules! tables_select {
    () => {
        "SELECT n.nspname::text AS schema, c.relname::text AS name,
       c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
       pg_catalog.pg_get_userbyid(c.relowner)::text AS owner,
       pg_catalog.obj_description(c.oid, 'pg_class') AS comment
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
"
    };
}

/// Expressions as `pg_get_expr` prints them; roles sorted, 0 is PUBLIC.
/// `pg_get_expr` takes an ACCESS SHARE lock on the table, which waits
/// behind an ACCESS EXCLUSIVE one (a migration's ALTER TABLE): the first
/// condition, evaluated once before any row is read, sets a lock timeout
/// for this statement's transaction only.
macro_rules! policies_select {
    () => {
        "SELECT n.nspname::text AS schema, c.relname::text AS table_name,
       p.polname::text AS name, p.polcmd::text AS command, p.polpermissive AS permissive,
       ARRAY(SELECT CASE WHEN r.oid = 0 THEN 'PUBLIC'
                         ELSE pg_catalog.pg_get_userbyid(r.oid)::text END
             FROM unnest(p.polroles) AS r (oid) ORDER BY 1) AS roles,
       pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS using_expr,
       pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS with_check_expr,
       pg_catalog.obj_description(p.oid, 'pg_policy') AS comment
FROM pg_catalog.pg_policy p
JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
"
    };
}

/// The lock timeout of [`policies_select`], and the table kinds.
macro_rules! policies_where {
    () => {
        "WHERE (SELECT pg_catalog.set_config('lock_timeout', '3s', true)) IS NOT NULL
  AND c.relkind IN ('r', 'p')"
    };
}

/// Ordinary and partitioned tables (the kinds row-level security exists
/// for) that are declared.
const TABLES: &str = concat!(
    tables_select!(),
    declared_tables!(),
    "WHERE c.relkind IN ('r', 'p')"
);

/// Every policy on a declared table.
const POLICIES: &str = concat!(policies_select!(), declared_tables!(), policies_where!());

/// Every table of a user schema whose row-level security is on or that has
/// a policy.
const RLS_TABLES: &str = concat!(
    tables_select!(),
    "WHERE c.relkind IN ('r', 'p') AND ",
    user_schema!("n"),
    "
  AND (c.relrowsecurity OR c.relforcerowsecurity
       OR EXISTS (SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid))"
);

/// Every policy on a table of a user schema.
const RLS_POLICIES: &str = concat!(
    policies_select!(),
    policies_where!(),
    " AND ",
    user_schema!("n")
);

/// Reads the declared tables of `database` and their policies (or every
/// table under row-level security when the scope asks); no query at all
/// when the database has no declared table.
pub(super) async fn read(
    db: &Db,
    database: &str,
    scope: &InspectScope,
) -> Result<Option<(Vec<Row>, Vec<Row>)>, InspectError> {
    if scope.rls_tables {
        let (tables, policies) = futures_util::try_join!(
            db.query("tables' row level security (pg_class)", RLS_TABLES, &[]),
            db.query("policies (pg_policy)", RLS_POLICIES, &[]),
        )?;
        return Ok(Some((tables, policies)));
    }
    let Some(tables) = scope.tables.get(database).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let schemas: Vec<&str> = tables.iter().map(|t| t.schema.as_str()).collect();
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let params: [(&(dyn ToSql + Sync), Type); 2] =
        [(&schemas, Type::TEXT_ARRAY), (&names, Type::TEXT_ARRAY)];
    let (tables, policies) = futures_util::try_join!(
        db.query("tables' row level security (pg_class)", TABLES, &params),
        db.query("policies (pg_policy)", POLICIES, &params),
    )?;
    Ok(Some((tables, policies)))
}

pub(super) fn add(
    catalog: &mut DatabaseCatalog,
    database: &str,
    rows: Option<(Vec<Row>, Vec<Row>)>,
) {
    let Some((tables, policies)) = rows else {
        return;
    };
    for row in &tables {
        let table = TableName {
            schema: row.get("schema"),
            name: row.get("name"),
        };
        catalog.tables.insert(
            table.clone(),
            Table {
                database: database.to_owned(),
                table,
                row_level_security: Some(RowLevelSecurity::from_flags(
                    row.get("enabled"),
                    row.get("forced"),
                )),
                owner: row.get("owner"),
                comment: row.get("comment"),
                origin: None,
            },
        );
    }
    for row in &policies {
        let table = TableName {
            schema: row.get("schema"),
            name: row.get("table_name"),
        };
        let command: String = row.get("command");
        let name: String = row.get("name");
        let policy = Policy {
            database: database.to_owned(),
            table: table.clone(),
            name: name.clone(),
            // Unknown codes cannot occur on supported versions; ALL is the
            // catch-all, and any difference shows in the plan.
            command: PolicyCommand::from_polcmd(&command).unwrap_or(PolicyCommand::All),
            permissive: row.get("permissive"),
            roles: row.get::<_, Vec<String>>("roles").into_iter().collect(),
            using: row
                .get::<_, Option<String>>("using_expr")
                .map(Expression::live),
            with_check: row
                .get::<_, Option<String>>("with_check_expr")
                .map(Expression::live),
            comment: row.get("comment"),
            origin: None,
        };
        catalog.policies.insert((table, name), policy);
    }
}
