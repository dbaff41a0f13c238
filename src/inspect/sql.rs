//! SQL fragments shared by the catalog queries, as macros so that each
//! query is still one `&'static str` built with `concat!`.
//!
//! The queries that explode privileges on the server (databases, default
//! privileges) bind the same two parameters:
//! `$1` the managed role names (`text[]`) and `$2` whether PUBLIC counts.

/// `grantees (oid, name)`: the managed roles that exist, plus PUBLIC (oid 0)
/// when `$2`. Privileges are joined to it, so unmanaged grantees never leave
/// the server. Joining `unnest($1)` (a hash join) rather than `= ANY($1)`
/// keeps thousands of managed roles linear, and MATERIALIZED computes the
/// set once rather than once per object.
macro_rules! with_grantees {
    () => {
        "WITH grantees (oid, name) AS MATERIALIZED (
    SELECT r.oid, r.rolname::text FROM pg_catalog.pg_roles r
    JOIN unnest($1::text[]) AS managed (name) ON managed.name = r.rolname::text
    UNION ALL
    SELECT 0::oid, 'PUBLIC' WHERE $2
)
"
    };
}

/// Schemas users create: not `pg_catalog`, `pg_toast`, the temporary ones
/// (the `pg_` prefix is reserved) nor `information_schema`. `$n` is the
/// `pg_namespace` alias.
macro_rules! user_schema {
    ($n:literal) => {
        concat!(
            "(",
            $n,
            ".nspname !~ '^pg_' AND ",
            $n,
            ".nspname <> 'information_schema')"
        )
    };
}

/// The object `$oid` of catalog `$catalog` is not part of an extension
/// (extensions manage their own objects and privileges).
macro_rules! not_in_extension {
    ($catalog:literal, $oid:literal) => {
        concat!(
            "NOT EXISTS (SELECT FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.",
            $catalog,
            "'::regclass AND e.objid = ",
            $oid,
            " AND e.deptype = 'e')"
        )
    };
}

pub(super) use {not_in_extension, user_schema, with_grantees};
