//! Reads the audit facts in a READ ONLY transaction with a constant number
//! of bulk queries: one to learn what we may read, then the rest joined so
//! they are pipelined. Queries needing privileges we lack are not sent
//! (an error would abort the transaction); their facts stay `None`.

use std::collections::BTreeMap;

use tokio_postgres::{Row, Transaction};

use super::facts::*;
use crate::inspect::{InspectCause, InspectError};
use crate::model::Secret;

/// What the session may read, decided before anything else is sent.
const ACCESS: &str = "\
SELECT session_user::text AS session_user,
       current_database()::text AS current_database,
       current_setting('server_version_num')::int AS version_num,
       current_date::text AS today,
       pg_is_in_recovery() AS in_recovery,
       has_table_privilege('pg_catalog.pg_authid', 'SELECT') AS read_passwords,
       has_function_privilege('pg_catalog.pg_hba_file_rules()', 'EXECUTE') AS read_hba,
       pg_has_role(session_user, 'pg_read_all_stats', 'USAGE') AS read_stats,
       COALESCE((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = session_user), false)
         AS superuser,
       ARRAY(SELECT datname::text FROM pg_catalog.pg_database
             WHERE datallowconn AND NOT datistemplate AND datname <> current_database()
             ORDER BY 1) AS other_databases";

const SETTINGS: &str = "SELECT name::text, setting::text, unit::text FROM pg_catalog.pg_settings";

const ROLES: &str = "\
SELECT r.rolname::text, r.rolsuper, r.rolcanlogin, r.rolcreaterole, r.rolcreatedb,
       r.rolreplication, r.rolbypassrls, r.rolconnlimit, NULL::text AS kind,
       ARRAY(SELECT g.rolname::text FROM pg_catalog.pg_auth_members m
             JOIN pg_catalog.pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid),
       COALESCE(r.rolvaliduntil < now(), false)
FROM pg_catalog.pg_roles r ORDER BY 1";

/// The kind of each role's verifier (the verifiers themselves are read
/// apart, for login roles only: [`LOGIN_VERIFIERS`]).
const ROLES_WITH_PASSWORDS: &str = "\
SELECT r.rolname::text, r.rolsuper, r.rolcanlogin, r.rolcreaterole, r.rolcreatedb,
       r.rolreplication, r.rolbypassrls, r.rolconnlimit,
       CASE WHEN r.rolpassword IS NULL THEN 'none'
            WHEN r.rolpassword LIKE 'SCRAM-SHA-256$%' THEN 'scram'
            WHEN r.rolpassword ~ '^md5[0-9a-f]{32}$' THEN 'md5'
            ELSE 'plain' END AS kind,
       ARRAY(SELECT g.rolname::text FROM pg_catalog.pg_auth_members m
             JOIN pg_catalog.pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid),
       COALESCE(r.rolvaliduntil < now(), false)
FROM pg_catalog.pg_authid r ORDER BY 1";

/// LOGIN roles' verifiers, for the offline weak-password control (see
/// [`LoginVerifier`]): held as secrets, never shown.
const LOGIN_VERIFIERS: &str = "\
SELECT rolname::text, rolpassword FROM pg_catalog.pg_authid
WHERE rolcanlogin AND rolpassword IS NOT NULL ORDER BY 1";

const HBA: &str = "\
SELECT line_number, type, database, user_name, address, netmask, auth_method
FROM pg_catalog.pg_hba_file_rules WHERE error IS NULL ORDER BY line_number";

const PUBLIC_SCHEMA: &str = "\
SELECT COALESCE(nspacl, acldefault('n', nspowner))::text[]
FROM pg_catalog.pg_namespace WHERE nspname = 'public'";

const SYSTEM_SCHEMAS: &str =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'";

/// Table privileges granted to PUBLIC (grantee 0), and grant options held
/// by anyone but the owner, outside system schemas. Objects an extension
/// created keep the privileges its script gives them (pg_stat_statements'
/// views are readable by PUBLIC by design), so they are left out.
fn table_privileges_sql() -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END,
                a.privilege_type::text, a.is_grantable, a.grantee = c.relowner
         FROM pg_catalog.pg_class c
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         CROSS JOIN LATERAL aclexplode(c.relacl) a
         WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p', 'S') AND {SYSTEM_SCHEMAS}
           AND (a.grantee = 0 OR (a.is_grantable AND a.grantee <> c.relowner))
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                           WHERE d.classid = 'pg_catalog.pg_class'::regclass
                             AND d.objid = c.oid AND d.deptype = 'e')
         ORDER BY 1, 2, 3"
    )
}

fn definer_sql() -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '('
                  || pg_get_function_identity_arguments(p.oid) || ')',
                pg_get_userbyid(p.proowner)::text,
                COALESCE(EXISTS (SELECT 1 FROM unnest(p.proconfig) c
                                 WHERE c LIKE 'search\\_path=%'), false),
                EXISTS (SELECT 1 FROM aclexplode(COALESCE(p.proacl, acldefault('f', p.proowner))) a
                        WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')
         FROM pg_catalog.pg_proc p
         JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
         WHERE p.prosecdef AND {SYSTEM_SCHEMAS}
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                           WHERE d.classid = 'pg_catalog.pg_proc'::regclass
                             AND d.objid = p.oid AND d.deptype = 'e')
         ORDER BY 1"
    )
}

/// What PUBLIC is given beyond PostgreSQL's defaults in the connected
/// database: CREATE on a schema, and default privileges that hand new
/// tables, sequences or schemas to PUBLIC (functions' EXECUTE and types'
/// USAGE are PUBLIC's by default, so only a per-schema entry adding them
/// counts). The extensions nothing uses ride along in the same row.
fn public_grants_sql() -> String {
    format!(
        "SELECT ARRAY(SELECT quote_ident(n.nspname)
                      FROM pg_catalog.pg_namespace n
                      CROSS JOIN LATERAL aclexplode(COALESCE(n.nspacl, acldefault('n', n.nspowner))) a
                      WHERE a.grantee = 0 AND a.privilege_type = 'CREATE' AND {SYSTEM_SCHEMAS}
                      ORDER BY 1),
                ARRAY(SELECT DISTINCT 'FOR ROLE ' || quote_ident(pg_get_userbyid(d.defaclrole))
                             || COALESCE(' IN SCHEMA ' || quote_ident(n.nspname), '')
                             || ': ' || a.privilege_type || ' ON '
                             || CASE d.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES'
                                  WHEN 'f' THEN 'FUNCTIONS' WHEN 'T' THEN 'TYPES'
                                  ELSE 'SCHEMAS' END
                      FROM pg_catalog.pg_default_acl d
                      LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
                      CROSS JOIN LATERAL aclexplode(d.defaclacl) a
                      WHERE a.grantee = 0
                        AND (d.defaclobjtype IN ('r', 'S', 'n') OR d.defaclnamespace <> 0)
                      ORDER BY 1),
                {UNREFERENCED_EXTENSIONS}"
    )
}

/// Extensions no object outside them depends on. An extension's own
/// objects are its members (`deptype 'e'`) and what hangs off a member
/// internally or automatically (a type's array type, a domain's
/// constraint). It is in use when anything else has a normal dependency
/// on it or on one of its objects: a column of its type, an index with its
/// operator class, a view or default calling its functions, another
/// extension requiring it. Calls made only at run time leave no trace, so
/// the control weighs this list against the extensions used that way.
const UNREFERENCED_EXTENSIONS: &str = "\
ARRAY(WITH members AS (
        SELECT m.refobjid AS ext, m.classid, m.objid
        FROM pg_catalog.pg_depend m
        WHERE m.deptype = 'e' AND m.refclassid = 'pg_catalog.pg_extension'::regclass
        UNION
        SELECT m.refobjid, i.classid, i.objid
        FROM pg_catalog.pg_depend m
        JOIN pg_catalog.pg_depend i
          ON i.deptype IN ('i', 'a') AND i.refclassid = m.classid AND i.refobjid = m.objid
        WHERE m.deptype = 'e' AND m.refclassid = 'pg_catalog.pg_extension'::regclass)
      SELECT e.extname::text FROM pg_catalog.pg_extension e
      WHERE NOT EXISTS (
        SELECT 1 FROM pg_catalog.pg_depend d
        WHERE d.deptype = 'n'
          AND ((d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.refobjid = e.oid)
               OR EXISTS (SELECT 1 FROM members r WHERE r.ext = e.oid
                          AND r.classid = d.refclassid AND r.objid = d.refobjid))
          AND NOT EXISTS (SELECT 1 FROM members s WHERE s.ext = e.oid
                          AND s.classid = d.classid AND s.objid = d.objid))
      ORDER BY 1)";

const LANGUAGES: &str = "\
SELECT lanname::text FROM pg_catalog.pg_language
WHERE NOT lanpltrusted AND lanname NOT IN ('internal', 'c') ORDER BY 1";

const EXTENSIONS: &str = "\
SELECT ARRAY(SELECT extname::text FROM pg_catalog.pg_extension ORDER BY 1),
       ARRAY(SELECT name::text FROM pg_catalog.pg_available_extensions
             WHERE name IN ('pgaudit', 'pg_stat_statements') ORDER BY 1)";

const ACTIVITY: &str = "\
SELECT count(*) FILTER (WHERE backend_type = 'client backend')::bigint,
       COALESCE(array_agg(pid) FILTER (WHERE long), '{}'),
       COALESCE(array_agg(usename::text) FILTER (WHERE long), '{}'),
       COALESCE(array_agg(seconds) FILTER (WHERE long), '{}')
FROM (SELECT pid, usename, backend_type,
             extract(epoch FROM now() - query_start)::bigint AS seconds,
             state = 'active' AND query_start < now() - interval '5 minutes'
               AND backend_type = 'client backend' AS long
      FROM pg_catalog.pg_stat_activity) s";

const CACHE: &str = "\
SELECT COALESCE(sum(heap_blks_hit), 0)::bigint, COALESCE(sum(heap_blks_read), 0)::bigint
FROM pg_catalog.pg_statio_user_tables";

const REPLICATION: &str = "\
SELECT COALESCE(application_name, client_addr::text, pid::text)::text,
       extract(epoch FROM replay_lag)::float8,
       COALESCE(usename::text, '')
FROM pg_catalog.pg_stat_replication ORDER BY 1";

/// What [`gather`] read, and what is left to read elsewhere.
pub struct Gathered {
    pub facts: AuditFacts,
    /// Queries sent.
    pub queries: u64,
    /// The other connectable databases, whose [`DatabaseFacts`] are read
    /// over connections of their own ([`database`]).
    pub other_databases: Vec<String>,
}

/// Reads every fact of the cluster and of the connected database.
pub async fn gather(tx: &Transaction<'_>) -> Result<Gathered, InspectError> {
    let access = query_one(tx, "audit access", ACCESS).await?;
    let read_passwords: bool = access.get("read_passwords");
    let read_hba: bool = access.get("read_hba");
    let sees_all = access.get::<_, bool>("read_stats") || access.get::<_, bool>("superuser");
    let current_database: String = access.get("current_database");
    let roles_sql = if read_passwords {
        ROLES_WITH_PASSWORDS
    } else {
        ROLES
    };
    let verifiers = async {
        if read_passwords {
            query(tx, "login verifiers", LOGIN_VERIFIERS)
                .await
                .map(Some)
        } else {
            Ok(None)
        }
    };
    let hba = async {
        if read_hba {
            query(tx, "pg_hba_file_rules", HBA).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (settings, roles, hba, extensions, activity, cache, replication, verifiers, local) = futures_util::try_join!(
        query(tx, "pg_settings", SETTINGS),
        query(tx, "roles", roles_sql),
        hba,
        query_one(tx, "extensions", EXTENSIONS),
        query_one(tx, "pg_stat_activity", ACTIVITY),
        query_one(tx, "pg_statio_user_tables", CACHE),
        query(tx, "pg_stat_replication", REPLICATION),
        verifiers,
        database(tx, &current_database),
    )?;
    let (local, local_queries) = local;
    let queries = 1 + 6 + local_queries + u64::from(read_hba) + u64::from(read_passwords);
    let facts = AuditFacts {
        version_num: u32::try_from(access.get::<_, i32>("version_num")).unwrap_or(0),
        today: access.get("today"),
        session_user: access.get("session_user"),
        current_database,
        in_recovery: access.get("in_recovery"),
        settings: settings
            .iter()
            .map(|r| {
                (
                    r.get::<_, String>(0),
                    SettingFact {
                        value: r.get::<_, Option<String>>(1).unwrap_or_default(),
                        unit: r.get(2),
                    },
                )
            })
            .collect::<BTreeMap<_, _>>(),
        roles: roles.iter().map(role).collect(),
        read_passwords,
        hba_rules: hba.map(|rows| rows.iter().map(hba_rule).collect()),
        databases: vec![local],
        unreadable_databases: Vec::new(),
        extensions: extensions.get(0),
        available_extensions: extensions.get(1),
        activity: Some(activity_fact(&activity, sees_all)),
        cache_blocks: Some((cache.get(0), cache.get(1))),
        replicas: sees_all.then(|| {
            replication
                .iter()
                .map(|r| ReplicaFact {
                    name: r.get(0),
                    replay_lag_seconds: r.get(1),
                    user: r.get(2),
                })
                .collect()
        }),
        hba_file_mode: None,
        tls_probe: None,
        login_verifiers: verifiers.map(|rows| {
            rows.iter()
                .map(|r| LoginVerifier {
                    role: r.get(0),
                    verifier: Secret::new(r.get::<_, String>(1)),
                })
                .collect()
        }),
        pgbouncers: Vec::new(),
    };
    Ok(Gathered {
        facts,
        queries,
        other_databases: access.get("other_databases"),
    })
}

/// Reads what lives in the database `tx` is connected to (named `name`):
/// a fixed number of queries, pipelined. Returns them with that number.
pub async fn database(
    tx: &Transaction<'_>,
    name: &str,
) -> Result<(DatabaseFacts, u64), InspectError> {
    let table_sql = table_privileges_sql();
    let definer = definer_sql();
    let public_sql = public_grants_sql();
    let (public, tables, definers, languages, public_grants) = futures_util::try_join!(
        query(tx, "schema public", PUBLIC_SCHEMA),
        query(tx, "table privileges", &table_sql),
        query(tx, "SECURITY DEFINER functions", &definer),
        query(tx, "languages", LANGUAGES),
        query_one(tx, "PUBLIC's grants and unused extensions", &public_sql),
    )?;
    let (public_table_privileges, grant_options) = privileges(&tables);
    let facts = DatabaseFacts {
        name: name.to_owned(),
        public_schema_acl: public.first().map(|r| r.get(0)),
        public_table_privileges,
        grant_options,
        definer_functions: definers
            .iter()
            .map(|r| DefinerFunction {
                signature: r.get(0),
                owner: r.get(1),
                pins_search_path: r.get(2),
                public_execute: r.get(3),
            })
            .collect(),
        untrusted_languages: languages.iter().map(|r| r.get(0)).collect(),
        public_create_schemas: public_grants.get(0),
        public_default_privileges: public_grants.get(1),
        unreferenced_extensions: public_grants.get(2),
    };
    Ok((facts, 5))
}

fn role(row: &Row) -> RoleFact {
    let password = row
        .get::<_, Option<String>>(8)
        .map(|kind| match kind.as_str() {
            "scram" => PasswordKind::Scram,
            "md5" => PasswordKind::Md5,
            "plain" => PasswordKind::Plain,
            _ => PasswordKind::None,
        });
    RoleFact {
        name: row.get(0),
        superuser: row.get(1),
        login: row.get(2),
        createrole: row.get(3),
        createdb: row.get(4),
        replication: row.get(5),
        bypassrls: row.get(6),
        connlimit: row.get(7),
        password,
        member_of: row.get(9),
        expired: row.get(10),
    }
}

fn hba_rule(row: &Row) -> HbaRuleFact {
    HbaRuleFact {
        line: row.get(0),
        kind: row.get::<_, Option<String>>(1).unwrap_or_default(),
        databases: row.get::<_, Option<Vec<String>>>(2).unwrap_or_default(),
        users: row.get::<_, Option<Vec<String>>>(3).unwrap_or_default(),
        address: row.get(4),
        netmask: row.get(5),
        method: row.get::<_, Option<String>>(6).unwrap_or_default(),
    }
}

/// Splits table privilege rows into PUBLIC grants and foreign grant options.
fn privileges(rows: &[Row]) -> (Vec<PrivilegeFact>, Vec<PrivilegeFact>) {
    let mut public = Vec::new();
    let mut options = Vec::new();
    for row in rows {
        let fact = PrivilegeFact {
            object: row.get(0),
            grantee: row.get(1),
            privilege: row.get(2),
        };
        let grantable: bool = row.get(3);
        let owner: bool = row.get(4);
        if fact.grantee == "PUBLIC" {
            public.push(fact.clone());
        }
        if grantable && !owner {
            options.push(fact);
        }
    }
    (public, options)
}

fn activity_fact(row: &Row, sees_all: bool) -> ActivityFact {
    let pids: Vec<i32> = row.get(1);
    let users: Vec<String> = row.get(2);
    let seconds: Vec<i64> = row.get(3);
    ActivityFact {
        connections: row.get(0),
        sees_all,
        long_running: pids
            .into_iter()
            .zip(users)
            .zip(seconds)
            .map(|((pid, user), seconds)| LongQuery { pid, user, seconds })
            .collect(),
    }
}

async fn query(
    tx: &Transaction<'_>,
    what: &'static str,
    sql: &str,
) -> Result<Vec<Row>, InspectError> {
    tx.query(sql, &[])
        .await
        .map_err(|source| failed(what, source))
}

async fn query_one(
    tx: &Transaction<'_>,
    what: &'static str,
    sql: &str,
) -> Result<Row, InspectError> {
    tx.query_one(sql, &[])
        .await
        .map_err(|source| failed(what, source))
}

pub(crate) fn failed(what: &'static str, source: tokio_postgres::Error) -> InspectError {
    InspectError {
        what,
        database: None,
        source: InspectCause::Query(source),
    }
}

/// The declared PgBouncer instances as their files are on this host: the
/// `[pgbouncer]` section of pgbouncer.ini and the auth file's mode (the
/// path `auth_file` names, else userlist.txt next to it).
pub fn pgbouncers(declared: &BTreeMap<String, crate::model::PgBouncer>) -> Vec<PgBouncerFact> {
    declared
        .values()
        .map(|pgbouncer| {
            let ini = pgbouncer.config_dir.join(crate::pgbouncer::INI_FILE_NAME);
            let settings = std::fs::read_to_string(ini)
                .ok()
                .map(|text| ini_section(&text));
            let auth_file = settings
                .as_ref()
                .and_then(|s| s.get("auth_file"))
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| pgbouncer.config_dir.join(crate::pgbouncer::AUTH_FILE_NAME));
            PgBouncerFact {
                name: pgbouncer.name.clone(),
                settings,
                auth_file_mode: local_file_mode(&auth_file),
            }
        })
        .collect()
}

/// `key = value` lines of the `[pgbouncer]` section (comments skipped).
fn ini_section(text: &str) -> BTreeMap<String, String> {
    let mut in_section = false;
    let mut out = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_section = line.eq_ignore_ascii_case("[pgbouncer]");
        } else if in_section
            && !line.starts_with(';')
            && !line.starts_with('#')
            && let Some((key, value)) = line.split_once('=')
        {
            out.insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    out
}

/// The mode bits of a file on this machine, when it can be read.
pub fn local_file_mode(path: &std::path::Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::File::open(path).ok()?;
    std::fs::metadata(path).ok().map(|m| m.permissions().mode())
}
