//! SQL fragments shared by the catalog queries, as macros so that each
//! query is still one `&'static str` built with `concat!`.

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

pub(super) use {not_in_extension, user_schema};
