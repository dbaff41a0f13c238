//! pg_hba.conf as the server sees it: the rules from `pg_hba_file_rules`
//! (the file on disk, loaded or not), the raw text through `pg_read_file`,
//! and how pgfort's own session is connected. Reading the text needs
//! superuser or pg_read_server_files, the rules SELECT on the view (granted
//! to superusers only by default); without them the file is reported
//! unreadable and left unmanaged.

use std::net::IpAddr;

use super::{Db, InspectError};
use crate::connect::{ConnectionSettings, SslMode};
use crate::model::{ConnType, Hba, HbaAddress, HbaProbe, HbaRule, HbaSession};

/// `hba_file` itself needs pg_read_all_settings: read only when readable.
const SESSION: &str = "\
SELECT CASE WHEN a.readable THEN current_setting('hba_file') END AS file,
       host(inet_client_addr()) AS client,
       host(inet_server_addr()) AS server,
       COALESCE((SELECT ssl FROM pg_catalog.pg_stat_ssl WHERE pid = pg_backend_pid()), false) AS ssl,
       session_user::text AS session_user,
       current_database()::text AS database,
       a.readable,
       current_setting('server_version_num')::int AS version,
       ARRAY(SELECT rolname::text FROM pg_catalog.pg_roles
             WHERE pg_has_role(session_user, oid, 'MEMBER') ORDER BY 1) AS member_of
FROM (SELECT COALESCE(((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
                       OR pg_has_role(current_user, 'pg_read_server_files', 'MEMBER'))
                      AND has_table_privilege('pg_catalog.pg_hba_file_rules', 'SELECT')
                      AND has_function_privilege('pg_catalog.pg_hba_file_rules()', 'EXECUTE'),
                      false) AS readable) a";

/// One query text for every major: `rule_number` (16+) and `line_number`
/// are read by name through jsonb, so a missing column is just NULL.
pub(crate) const RULES: &str = "\
SELECT (to_jsonb(r) ->> 'line_number')::int AS line,
       to_jsonb(r) ->> 'type' AS type,
       to_jsonb(r) ->> 'database' AS database,
       to_jsonb(r) ->> 'user_name' AS users,
       to_jsonb(r) ->> 'address' AS address,
       to_jsonb(r) ->> 'netmask' AS netmask,
       to_jsonb(r) ->> 'auth_method' AS method,
       to_jsonb(r) ->> 'options' AS options,
       to_jsonb(r) ->> 'error' AS error
FROM pg_catalog.pg_hba_file_rules r
ORDER BY COALESCE((to_jsonb(r) ->> 'rule_number')::int, 0), (to_jsonb(r) ->> 'line_number')::int";

/// `auth_method:identity`, PostgreSQL 16+ (a syntax error before).
const SYSTEM_USER: &str = "SELECT system_user";

const TEXT: &str = "SELECT pg_catalog.pg_read_file(current_setting('hba_file'))";

/// pg_hba.conf's rules and text, and how pgfort is connected (`settings`:
/// whether it would use TLS once the server offers it).
pub(super) async fn read(db: &Db, settings: &ConnectionSettings) -> Result<Hba, InspectError> {
    let row = db.query_one("pg_hba session", SESSION).await?;
    let mut session = HbaSession {
        probe: probe_of(&row),
        server_address: address(&row, "server"),
        member_of: row.get("member_of"),
        auth_method: None,
        tls_allowed: settings.sslmode != SslMode::Disable,
    };
    let version: i32 = row.get("version");
    if version >= 160000 {
        let row = db.query_one("system_user", SYSTEM_USER).await?;
        session.auth_method = row
            .get::<_, Option<String>>(0)
            .and_then(|text| text.split_once(':').map(|(method, _)| method.to_owned()));
    }
    let mut hba = Hba {
        file: row.get::<_, Option<String>>("file").unwrap_or_default(),
        readable: row.get::<_, Option<bool>>("readable").unwrap_or(false),
        session: Some(session),
        ..Hba::default()
    };
    if !hba.readable {
        return Ok(hba);
    }
    let (rules, text) = futures_util::try_join!(
        db.query("pg_hba_file_rules", RULES, &[]),
        db.query_one("pg_hba.conf (pg_read_file)", TEXT),
    )?;
    hba.text = text.get(0);
    let rows = parse_rows(&rules);
    hba.rules = rows.rules;
    hba.errors = rows.errors;
    hba.unreadable = rows.unreadable;
    Ok(hba)
}

/// How the session on `db` meets pg_hba.conf: user, database, address,
/// TLS.
pub async fn session_probe(db: &Db) -> Result<HbaProbe, InspectError> {
    let row = db.query_one("pg_hba session", SESSION).await?;
    Ok(probe_of(&row))
}

fn probe_of(row: &tokio_postgres::Row) -> HbaProbe {
    HbaProbe {
        user: row.get("session_user"),
        database: row.get("database"),
        address: address(row, "client"),
        ssl: row.get("ssl"),
    }
}

fn address(row: &tokio_postgres::Row, name: &str) -> Option<IpAddr> {
    row.get::<_, Option<String>>(name)
        .and_then(|text| text.parse().ok())
}

/// Rules and errors from rows of [`RULES`].
pub(crate) fn parse_rows(rows: &[tokio_postgres::Row]) -> Rows {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    let mut unreadable = Vec::new();
    for row in rows {
        let line = row
            .get::<_, Option<i32>>("line")
            .and_then(|l| u32::try_from(l).ok())
            .unwrap_or(0);
        if let Some(error) = row.get::<_, Option<String>>("error") {
            errors.push((line, error));
            continue;
        }
        // Some methods (radius on some versions) come back without any
        // column filled in and no error: the server accepts the line, but
        // pgfort cannot compare it.
        match rule(row) {
            Some(rule) => rules.push(rule),
            None => unreadable.push(line),
        }
    }
    Rows {
        rules,
        errors,
        unreadable,
    }
}

/// What the rows of [`RULES`] say.
pub(crate) struct Rows {
    pub rules: Vec<HbaRule>,
    /// (line, the server's message) for lines the server refuses.
    pub errors: Vec<(u32, String)>,
    /// Lines the server accepts but describes with empty columns.
    pub unreadable: Vec<u32>,
}

fn rule(row: &tokio_postgres::Row) -> Option<HbaRule> {
    let conn_type = ConnType::parse(&row.get::<_, Option<String>>("type")?)?;
    let strings = |name: &str| -> Vec<String> {
        row.get::<_, Option<String>>(name)
            .and_then(|text| serde_json::from_str::<Vec<String>>(&text).ok())
            .unwrap_or_default()
    };
    let address = match row.get::<_, Option<String>>("address") {
        None => HbaAddress::None,
        Some(text) => {
            let netmask: Option<String> = row.get("netmask");
            HbaAddress::parse(&text, netmask.as_deref()).ok()?
        }
    };
    let options = strings("options")
        .into_iter()
        .map(|option| match option.split_once('=') {
            Some((name, value)) => (name.to_owned(), value.to_owned()),
            None => (option, String::new()),
        })
        .collect();
    Some(HbaRule {
        conn_type,
        databases: strings("database"),
        users: strings("users"),
        address,
        method: row.get::<_, Option<String>>("method")?,
        options,
        comment: None,
    })
}
