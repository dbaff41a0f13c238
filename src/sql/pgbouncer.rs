//! Statements for PgBouncer's `auth_query` lookup: a schema and a
//! SECURITY DEFINER function in each pooled database, so that the auth
//! user reads one role's verifier without any access to `pg_authid`.

use super::quote::ident;
use crate::plan::{Phase, Statement, Target};

/// The schema the lookup function lives in (what `AUTH_QUERY` names).
pub const SCHEMA: &str = "pgbouncer";
/// The function's name and signature, as `ALTER`/`GRANT` name it.
pub const FUNCTION: &str = "pgbouncer.get_auth(text)";
/// The function's body, compared with `pg_proc.prosrc` as it is: only
/// login roles that are not superusers, never an expired password.
pub const BODY: &str = "\n  SELECT rolname, CASE WHEN rolvaliduntil < now() THEN NULL ELSE rolpassword END\n  FROM pg_catalog.pg_authid\n  WHERE rolname = p_usename AND rolcanlogin AND NOT rolsuper\n";
/// The function's own `search_path` (`pg_proc.proconfig`).
pub const SEARCH_PATH: &str = "search_path=pg_catalog, pg_temp";

/// Creates (or puts back) the schema and function owned by `owner`, with
/// EXECUTE for `auth_user` only.
pub fn install(database: &str, owner: &str, auth_user: &str) -> Vec<Statement> {
    let owner = ident(owner);
    let user = ident(auth_user);
    let at = |phase: Phase, sql: String| {
        Statement::new(phase, Target::Database(database.to_owned()), sql)
    };
    vec![
        at(
            Phase::CreateSchemas,
            format!("CREATE SCHEMA IF NOT EXISTS {SCHEMA} AUTHORIZATION {owner}"),
        ),
        at(
            Phase::AlterSchemas,
            format!("ALTER SCHEMA {SCHEMA} OWNER TO {owner}"),
        ),
        at(
            Phase::AlterSchemas,
            format!(
                "CREATE OR REPLACE FUNCTION {SCHEMA}.get_auth(p_usename text) \
                 RETURNS TABLE(usename name, passwd text) LANGUAGE sql SECURITY DEFINER \
                 SET search_path = pg_catalog, pg_temp AS $pgfort${BODY}$pgfort$"
            ),
        ),
        at(
            Phase::AlterSchemas,
            format!("ALTER FUNCTION {FUNCTION} OWNER TO {owner}"),
        ),
        at(
            Phase::GrantPrivileges,
            format!("REVOKE ALL ON SCHEMA {SCHEMA} FROM PUBLIC"),
        ),
        at(
            Phase::GrantPrivileges,
            format!("REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC"),
        ),
        at(
            Phase::GrantPrivileges,
            format!("GRANT USAGE ON SCHEMA {SCHEMA} TO {user}"),
        ),
        at(
            Phase::GrantPrivileges,
            format!("GRANT EXECUTE ON FUNCTION {FUNCTION} TO {user}"),
        ),
    ]
}

/// Reads, in one query, the schema and the function as the lookup needs
/// them: owners, body, SECURITY DEFINER, settings, and who may use them
/// (`-` stands for PUBLIC).
pub const INSPECT: &str = "\
SELECT pg_catalog.pg_get_userbyid(n.nspowner) AS schema_owner,
       ARRAY(SELECT CASE WHEN a.grantee = 0 THEN '-' ELSE pg_catalog.pg_get_userbyid(a.grantee) END
             FROM pg_catalog.aclexplode(coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a
             WHERE a.privilege_type = 'USAGE' ORDER BY 1) AS usage,
       pg_catalog.pg_get_userbyid(p.proowner) AS function_owner,
       p.prosrc, p.prosecdef, p.proconfig,
       ARRAY(SELECT CASE WHEN a.grantee = 0 THEN '-' ELSE pg_catalog.pg_get_userbyid(a.grantee) END
             FROM pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) a
             WHERE a.privilege_type = 'EXECUTE' ORDER BY 1) AS execute
FROM pg_catalog.pg_namespace n
LEFT JOIN pg_catalog.pg_proc p
  ON p.pronamespace = n.oid AND p.proname = 'get_auth'
 AND p.proargtypes = '25'::pg_catalog.oidvector
WHERE n.nspname = 'pgbouncer'";
