//! Refusals of `grant` blocks, each with its exact location: attributes,
//! grantees and owners, target shapes and function signatures.

use super::grants::{one_grant, strings};
use super::{load_text, refused};
use crate::model::{GrantTarget, ObjectKind};

#[test]
fn grantees_and_owners_must_be_declared() {
    refused(
        "role \"reader\" {}\ngrant {\n  to         = [\"reader\", \"raeder\"]\n  privileges = [\"CONNECT\"]\n  on         = { database = \"d\" }\n}\n",
        "3:27: role \"raeder\" is not declared",
        Some("did you mean \"reader\"?"),
    );
    refused(
        &one_grant(
            "[\"SELECT\"]",
            "{ database = \"d\", schema = \"s\", all = \"tables\" }",
            "  owners     = [\"pg_database_owner\", \"ghost\"]\n",
        ),
        "6:38: role \"ghost\" is not declared",
        Some("declare it: role \"ghost\" {}"),
    );
    refused(
        &one_grant(
            "[\"SELECT\"]",
            "{ database = \"d\", schema = \"s\", all = \"tables\" }",
            "  owners     = [\"r\", \"r\"]\n",
        ),
        "6:22: \"r\" appears twice in owners",
        None,
    );
    refused(
        &one_grant(
            "[\"SELECT\"]",
            "{ database = \"d\", schema = \"s\", tables = [\"t\"] }",
            "  owners     = [\"r\"]\n",
        ),
        "6:16: owners applies only to grants on all objects of a kind (on.all)",
        Some(
            "owners lists the roles whose future objects the grant covers; write on = { ..., all = \"tables\" }",
        ),
    );
    refused(
        "grant {\n  to         = []\n  privileges = [\"CONNECT\"]\n  on         = { database = \"d\" }\n}\n",
        "2:16: to cannot be empty",
        None,
    );
    refused(
        "grant {\n  to         = \"r\"\n  privileges = [\"CONNECT\"]\n  on         = { database = \"d\" }\n}\n",
        "2:16: to must be a list of role names, got a string",
        None,
    );
    refused(
        "grant {\n  to         = [\"\"]\n  privileges = [\"CONNECT\"]\n  on         = { database = \"d\" }\n}\n",
        "2:17: a role name cannot be empty",
        None,
    );
}

#[test]
fn required_and_unknown_attributes() {
    refused(
        "grant {\n  privileges = [\"CONNECT\"]\n  on = { database = \"d\" }\n}\n",
        "1:1: missing attribute \"to\" in grant block",
        Some("write to = [\"ROLE\"]"),
    );
    refused(
        "grant {\n  to = [\"public\"]\n  on = { database = \"d\" }\n}\n",
        "1:1: missing attribute \"privileges\" in grant block",
        Some("write privileges = [\"SELECT\"]"),
    );
    refused(
        "grant {\n  to = [\"public\"]\n  privileges = [\"CONNECT\"]\n}\n",
        "1:1: missing attribute \"on\" in grant block",
        Some("write on = { database = \"DATABASE\" }"),
    );
    refused(
        "grant {\n  to = [\"public\"]\n  privilegs = [\"CONNECT\"]\n  on = { database = \"d\" }\n}\n",
        "3:3: unknown attribute \"privilegs\" in grant block, expected one of: to, privileges, on, \
         with_grant_option, owners",
        Some("did you mean \"privileges\"?"),
    );
    refused(
        &one_grant(
            "[\"CONNECT\"]",
            "{ database = \"d\" }",
            "  grant_option = true\n",
        ),
        "6:3: unknown attribute \"grant_option\" in grant block, expected one of: to, privileges, on, \
         with_grant_option, owners",
        None,
    );
    refused(
        &one_grant(
            "[\"CONNECT\"]",
            "{ database = \"d\" }",
            "  with_grant_option = \"yes\"\n",
        ),
        "6:23: with_grant_option must be a bool (true or false), got a string",
        None,
    );
    refused(
        "grant \"x\" {}\n",
        "1:7: a grant block takes no labels",
        Some("write: grant { ... }"),
    );
}

const SHAPES: &str = "on is one of: { database }, { database, schema or schemas }, \
{ database, schema, tables|views|sequences|functions|procedures|types = [...] }, \
{ database, schema, table, columns = [...] }, \
{ database, schema or schemas, all = \"tables|sequences|functions|types\" }";

/// Refusals of `on`; `on` is `{` at 5:16 and its first key at 5:18.
#[test]
fn target_shapes() {
    let on = |on: &str| one_grant("[\"SELECT\"]", on, "");
    refused(
        &on("\"d\""),
        "5:16: on must be a map, got a string",
        Some(SHAPES),
    );
    refused(
        &on("{ schema = \"s\" }"),
        "5:16: on needs a database key",
        Some(SHAPES),
    );
    refused(
        &on("{ database = \"d\", schema = \"s\", tabels = [\"t\"] }"),
        "5:48: unknown key \"tabels\" in on, expected one of: database, schema, schemas, tables, views, \
         sequences, functions, procedures, types, table, columns, all",
        Some("did you mean \"tables\"?"),
    );
    refused(
        &on("{ database = \"d\", object = \"x\" }"),
        "5:34: unknown key \"object\" in on, expected one of: database, schema, schemas, tables, views, \
         sequences, functions, procedures, types, table, columns, all",
        Some(SHAPES),
    );
    refused(
        &on("{ database = \"d\", schema = \"s\", schemas = [\"t\"] }"),
        "5:48: on takes schema or schemas, not both",
        None,
    );
    let selectors = "tables, views, sequences, functions, procedures, types, table, all";
    refused(
        &on("{ database = \"d\", schema = \"s\", tables = [\"t\"], sequences = [\"q\"] }"),
        &format!("5:64: on takes one of {selectors}, not both \"tables\" and \"sequences\""),
        Some("write one grant block per kind of object"),
    );
    refused(
        &on("{ database = \"d\", schema = \"s\", tables = [\"t\"], views = [\"v\"] }"),
        &format!("5:64: on takes one of {selectors}, not both \"tables\" and \"views\""),
        Some("write one grant block per kind of object"),
    );
    refused(
        &on("{ database = \"d\", schema = \"s\", all = \"tables\", table = \"t\" }"),
        &format!("5:64: on takes one of {selectors}, not both \"all\" and \"table\""),
        Some("write one grant block per kind of object"),
    );
    refused(
        &on("{ database = \"d\", schema = \"s\", columns = [\"c\"] }"),
        "5:48: columns needs a table key naming their table",
        Some("write on = { database = \"db\", schema = \"s\", table = \"t\", columns = [\"c\"] }"),
    );
    refused(
        &on("{ database = \"d\", schema = \"s\", table = \"t\" }"),
        "5:48: table needs a columns key (privileges on columns of the table)",
        Some("for privileges on the whole table, write tables = [\"t\"]"),
    );
    refused(
        &on("{ database = \"d\", tables = [\"t\"] }"),
        "5:34: tables needs a schema key",
        Some(SHAPES),
    );
    refused(
        &on("{ database = \"d\", schemas = [\"a\", \"b\"], tables = [\"t\"] }"),
        "5:44: tables needs exactly one schema, got 2",
        Some("write schema = \"NAME\", and one grant block per schema"),
    );
    refused(
        &on("{ database = \"d\", schemas = [\"a\", \"a\"] }"),
        "5:50: \"a\" appears twice in on.schemas",
        None,
    );
    refused(
        &on("{ database = \"d\", schemas = [] }"),
        "5:44: on.schemas cannot be empty",
        None,
    );
    refused(
        &on("{ database = \"d\", schema = \"s\", tables = [] }"),
        "5:57: on.tables cannot be empty",
        None,
    );
    refused(
        &on("{ database = \"d\", schema = \"s\", all = \"views\" }"),
        "5:54: invalid all \"views\", expected one of: tables, sequences, functions, types",
        None,
    );
    refused(
        &on("{ database = \"d\", schema = \"s\", all = \"table\" }"),
        "5:54: invalid all \"table\", expected one of: tables, sequences, functions, types",
        Some("did you mean \"tables\"?"),
    );
    refused(
        &on("{ database = \"\" }"),
        "5:29: a database name cannot be empty",
        None,
    );
    // A one-element `schemas` names one schema; null keys are not written.
    let config = load_text(&on(
        "{ database = \"d\", schemas = [\"s\"], tables = [\"t\"], views = null }",
    ))
    .unwrap();
    assert_eq!(
        config.desired.grants[0].on,
        GrantTarget::Objects {
            database: "d".to_string(),
            schema: "s".to_string(),
            kind: ObjectKind::Table,
            names: strings(&["t"]),
        }
    );
}

#[test]
fn function_signatures() {
    let on = |names: &str| {
        one_grant(
            "[\"EXECUTE\"]",
            &format!("{{ database = \"d\", schema = \"s\", functions = {names} }}"),
            "",
        )
    };
    refused(
        &on("[\"f(int)\", \"total\"]"),
        "5:71: function \"total\" needs its argument types, which identify it",
        Some("write the argument types: \"total(integer)\", or \"total()\" for none"),
    );
    refused(
        &on("[\"f(int\"]"),
        "5:61: invalid function signature \"f(int\": expected \")\" at the end",
        None,
    );
    refused(
        &on("[\"f(int4)\", \"f( integer )\"]"),
        "5:72: \"f(integer)\" appears twice in on.functions",
        None,
    );
    refused(
        &one_grant(
            "[\"EXECUTE\"]",
            "{ database = \"d\", schema = \"s\", procedures = [\"p\"] }",
            "",
        ),
        "5:62: procedure \"p\" needs its argument types, which identify it",
        Some("write the argument types: \"p(integer)\", or \"p()\" for none"),
    );
    let long = "x".repeat(64);
    refused(
        &on(&format!("[\"{long}(int)\"]")),
        &format!("5:61: function name \"{long}\" is 64 bytes long, the limit is 63"),
        None,
    );
    // The limit is on the name: signatures are longer.
    let signature = format!("{}(timestamptz, timestamptz, varchar)", "x".repeat(63));
    let config = load_text(&on(&format!("[\"{signature}\"]"))).unwrap();
    let GrantTarget::Objects { names, .. } = &config.desired.grants[0].on else {
        panic!("objects")
    };
    assert_eq!(
        names[0],
        format!(
            "{}(timestamp with time zone, timestamp with time zone, character varying)",
            "x".repeat(63)
        )
    );
    refused(
        &on("[\" \"]"),
        "5:61: a function name cannot be empty",
        None,
    );
    let config = load_text(&on(
        "[\"f(int, varchar)\", \"g(bool, float8, float4, int2, decimal(10,2), char(3))\", \"h(timetz, time, timestamp)\"]",
    ))
    .unwrap();
    let GrantTarget::Objects { names, .. } = &config.desired.grants[0].on else {
        panic!("objects")
    };
    assert_eq!(
        *names,
        [
            "f(integer, character varying)",
            "g(boolean, double precision, real, smallint, numeric, character)",
            "h(time with time zone, time without time zone, timestamp without time zone)",
        ]
    );
}

#[test]
fn empty_owners_is_the_default() {
    let config = load_text(&one_grant(
        "[\"SELECT\"]",
        "{ database = \"d\", schema = \"s\", tables = [\"t\"] }",
        "  owners     = []\n",
    ))
    .unwrap();
    assert_eq!(config.desired.grants[0].on.object_kind(), ObjectKind::Table);
}
