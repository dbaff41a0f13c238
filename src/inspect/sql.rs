//! SQL fragments shared by the catalog queries, as macros so that each
//! query is still one `&'static str` built with `concat!`.
//!
//! Every query that reads privileges binds the same two parameters:
//! `$1` the managed role names (`text[]`) and `$2` whether PUBLIC counts.

/// `grantees (oid, name)`: the managed roles that exist, plus PUBLIC (oid 0)
/// when `$2`. Privileges are joined to it, so unmanaged grantees never leave
/// the server.
macro_rules! with_grantees {
    () => {
        "WITH grantees (oid, name) AS (
    SELECT oid, rolname::text FROM pg_catalog.pg_roles WHERE rolname = ANY($1)
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

/// A `LEFT JOIN LATERAL` adding `grantee`, `privilege` and `grantable`
/// columns: one row per privilege a managed grantee holds in `$acl`
/// (never the owner `$owner`'s own), or NULLs when there is none, so that
/// every object still appears once.
macro_rules! privileges_in {
    ($acl:literal, $owner:literal) => {
        concat!(
            "
LEFT JOIN LATERAL (
    SELECT g.name AS grantee, x.privilege_type AS privilege, x.is_grantable AS grantable
    FROM pg_catalog.aclexplode(",
            $acl,
            ") x
    JOIN grantees g ON g.oid = x.grantee
    WHERE x.grantee <> ",
            $owner,
            "
) acl ON true
"
        )
    };
}

pub(super) use {not_in_extension, privileges_in, user_schema, with_grantees};
