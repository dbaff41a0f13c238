//! Who blocked a statement that gave up waiting for a lock (55P03).
//!
//! By the time apply sees the error its transaction has rolled back and
//! `pg_blocking_pids` has nothing left to say about it, so this reads the
//! locks other sessions hold now on the tables the failing statement names.

use crate::inspect::Db;
use crate::render::display_safe;

const SQL: &str = "SELECT l.pid, n.nspname::pg_catalog.text, c.relname::pg_catalog.text, \
     l.mode, coalesce(a.application_name, ''), coalesce(a.state, '') \
     FROM pg_catalog.pg_locks l \
     JOIN pg_catalog.pg_class c ON c.oid = l.relation \
     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
     LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid \
     WHERE l.locktype = 'relation' AND l.granted \
     AND l.pid <> pg_catalog.pg_backend_pid() \
     AND l.database = (SELECT oid FROM pg_catalog.pg_database \
                       WHERE datname = pg_catalog.current_database()) \
     AND n.nspname <> 'pg_catalog' AND n.nspname <> 'information_schema' \
     AND n.nspname NOT LIKE 'pg\\_toast%' \
     ORDER BY 2, 3, 1";

/// A line naming the tables of `statement` other sessions hold locks on,
/// and those sessions.
pub(super) async fn describe(db: &Db, statement: Option<&str>) -> String {
    let mut lines = Vec::new();
    if let Some(statement) = statement {
        db.count();
        let rows = db.client.query(SQL, &[]).await.unwrap_or_else(|err| {
            tracing::warn!("reading who holds locks: {err}");
            Vec::new()
        });
        for row in rows {
            let relname: String = row.get(2);
            if !names(statement, &relname) {
                continue;
            }
            let pid: i32 = row.get(0);
            let schema: String = row.get(1);
            let mode: String = row.get(3);
            let application: String = row.get(4);
            let state: String = row.get(5);
            lines.push(format!(
                "table {}.{} is locked by backend pid {pid} ({mode}, application \"{}\", {})",
                display_safe(&schema),
                display_safe(&relname),
                display_safe(&application),
                if state.is_empty() {
                    "state unknown"
                } else {
                    &state
                }
            ));
        }
    }
    let waited = "the statement gave up waiting for a lock after --statement-lock-timeout";
    if lines.is_empty() {
        format!(
            "{waited}; no other session holds a lock on a table it names any more (the blocker \
             finished, or its lock is on another kind of object): apply again"
        )
    } else {
        format!(
            "{waited}: {}; apply again once that transaction ends, or raise --statement-lock-timeout",
            lines.join("; ")
        )
    }
}

/// Whether `statement` names `relname` as an identifier (quoted or not).
fn names(statement: &str, relname: &str) -> bool {
    if relname.is_empty() {
        return false;
    }
    let is_ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    statement.match_indices(relname).any(|(at, _)| {
        let before = statement[..at].chars().next_back();
        let after = statement[at + relname.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

#[cfg(test)]
mod tests {
    use super::names;

    #[test]
    fn finds_table_names_as_whole_identifiers() {
        assert!(names(
            r#"ALTER TABLE "public"."t" ENABLE ROW LEVEL SECURITY"#,
            "t"
        ));
        assert!(names(
            "ALTER TABLE public.orders FORCE ROW LEVEL SECURITY",
            "orders"
        ));
        assert!(!names(
            "ALTER TABLE public.orders_old ENABLE ROW LEVEL SECURITY",
            "orders"
        ));
        assert!(!names("GRANT SELECT ON x TO app", "t"));
        assert!(!names("anything", ""));
    }
}
