//! Inspection of databases, schemas, objects and privileges against a real
//! cluster: exact sets for managed grantees (and PUBLIC when asked),
//! extension objects left out, and a number of queries that does not grow
//! with the number of objects.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::TestCluster;
use pgfort::connect::{self, ConnectionSettings};
use pgfort::inspect::{self, Db, InspectCause, InspectScope, Live};
use pgfort::model::{
    DefaultKind, DefaultPrivilege, ObjectKind, ObjectRef, PUBLIC, Privilege, Secret,
};

const SETUP_CLUSTER: &str = "
CREATE ROLE app_owner;
CREATE ROLE reader;
CREATE ROLE writer;
CREATE ROLE outsider;
";

const SETUP_DATABASE: &str = "
GRANT CONNECT, TEMPORARY ON DATABASE app TO reader;
GRANT CONNECT ON DATABASE app TO writer WITH GRANT OPTION;
GRANT CREATE ON DATABASE app TO outsider;
ALTER DATABASE app SET work_mem = '8MB';
COMMENT ON DATABASE app IS 'application';

CREATE SCHEMA sales AUTHORIZATION app_owner;
CREATE SCHEMA hr AUTHORIZATION app_owner;
COMMENT ON SCHEMA sales IS 'sales data';
CREATE EXTENSION pg_stat_statements;
GRANT CREATE ON SCHEMA public TO PUBLIC;

SET ROLE app_owner;
CREATE TABLE sales.orders (id int, amount numeric, note text);
CREATE VIEW sales.big_orders AS SELECT * FROM sales.orders WHERE amount > 100;
CREATE SEQUENCE sales.order_seq;
CREATE FUNCTION sales.total(integer, text) RETURNS numeric LANGUAGE sql AS 'SELECT 0::numeric';
CREATE DOMAIN sales.positive AS integer CHECK (VALUE > 0);
CREATE TYPE sales.status AS ENUM ('new', 'paid');
CREATE TABLE hr.people (id int, name text);
CREATE PROCEDURE hr.noop() LANGUAGE sql AS 'SELECT 1';

GRANT USAGE ON SCHEMA sales TO reader;
GRANT USAGE, CREATE ON SCHEMA sales TO outsider;
GRANT SELECT ON sales.orders TO reader;
GRANT SELECT, INSERT ON sales.orders TO writer WITH GRANT OPTION;
GRANT SELECT ON sales.orders TO outsider;
GRANT SELECT ON sales.big_orders TO reader;
GRANT USAGE ON SEQUENCE sales.order_seq TO writer;
GRANT EXECUTE ON FUNCTION sales.total(integer, text) TO reader;
GRANT USAGE ON TYPE sales.status TO writer;
GRANT UPDATE (note) ON sales.orders TO writer;
GRANT SELECT (name) ON hr.people TO outsider;

ALTER DEFAULT PRIVILEGES IN SCHEMA sales GRANT SELECT ON TABLES TO reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA sales GRANT SELECT ON TABLES TO outsider;
ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO writer;
ALTER DEFAULT PRIVILEGES GRANT USAGE ON SEQUENCES TO writer WITH GRANT OPTION;
RESET ROLE;
";

fn settings(cluster: &TestCluster) -> ConnectionSettings {
    cluster.connection_settings()
}

async fn inspect_with(cluster: &TestCluster, scope: &InspectScope) -> Live {
    let settings = settings(cluster);
    let client = connect::connect(&settings)
        .await
        .unwrap_or_else(|e| panic!("connect: {e}"));
    let db = Db::new(client);
    inspect::inspect(&db, &settings, scope)
        .await
        .unwrap_or_else(|e| panic!("inspect: {e}"))
}

fn scope(databases: &[&str], include_public: bool) -> InspectScope {
    InspectScope {
        managed_roles: ["app_owner", "reader", "writer"]
            .map(str::to_owned)
            .to_vec(),
        include_public,
        databases: databases.iter().map(|d| d.to_string()).collect(),
        tables: Default::default(),
        hba: false,
        ssl: false,
        extensions: false,
        rls_tables: false,
    }
}

fn object(kind: ObjectKind, schema: Option<&str>, name: &str) -> ObjectRef {
    ObjectRef {
        kind,
        database: "app".to_owned(),
        schema: schema.map(str::to_owned),
        name: name.to_owned(),
        column: None,
    }
}

fn column(schema: &str, table: &str, column: &str) -> ObjectRef {
    ObjectRef {
        column: Some(column.to_owned()),
        ..object(ObjectKind::Column, Some(schema), table)
    }
}

fn privilege(object: &ObjectRef, grantee: &str, privilege: &str, grantable: bool) -> Privilege {
    Privilege {
        object: object.clone(),
        grantee: grantee.to_owned(),
        privilege: privilege.to_owned(),
        grantable,
    }
}

fn default(
    schema: Option<&str>,
    kind: DefaultKind,
    grantee: &str,
    privilege: &str,
    grantable: bool,
) -> DefaultPrivilege {
    DefaultPrivilege {
        database: "app".to_owned(),
        owner: "app_owner".to_owned(),
        schema: schema.map(str::to_owned),
        kind,
        grantee: grantee.to_owned(),
        privilege: privilege.to_owned(),
        grantable,
    }
}

fn setup() -> TestCluster {
    let cluster = TestCluster::start();
    cluster.exec(SETUP_CLUSTER);
    // Alone: CREATE DATABASE may not run in the implicit transaction of a
    // multi-statement query.
    cluster.exec("CREATE DATABASE app OWNER app_owner CONNECTION LIMIT 20");
    cluster.exec_in("app", SETUP_DATABASE);
    cluster
}

#[tokio::test]
async fn reads_databases_with_their_attributes() {
    let cluster = setup();
    let live = inspect_with(&cluster, &scope(&[], false)).await;

    let names: BTreeSet<&str> = live.state.databases.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from(["app", "postgres", "template0", "template1"])
    );

    let app = &live.state.databases["app"];
    // The provider's locale: LC_COLLATE (libc, and every database before
    // 15), daticulocale (ICU, 15 and 16) or datlocale (ICU and builtin,
    // 17+). Read through jsonb, as columns missing on a major are NULL.
    let expected_locale = cluster.query_value(
        "SELECT CASE WHEN j ->> 'datlocprovider' IN ('i', 'b') \
                     THEN COALESCE(j ->> 'datlocale', j ->> 'daticulocale') \
                     ELSE j ->> 'datcollate' END \
         FROM (SELECT to_jsonb(d) AS j FROM pg_database d WHERE datname = 'app') s",
    );
    assert_eq!(app.owner.as_deref(), Some("app_owner"));
    assert_eq!(
        app.encoding,
        cluster.query_value(
            "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'app'"
        )
    );
    assert_eq!(app.locale, expected_locale);
    assert_eq!(app.template, None);
    assert_eq!(app.connection_limit, 20);
    assert!(app.allow_connections);
    assert!(!app.is_template);
    assert_eq!(
        app.settings,
        BTreeMap::from([("work_mem".to_owned(), "8MB".to_owned())])
    );
    assert_eq!(app.comment.as_deref(), Some("application"));

    let template0 = &live.state.databases["template0"];
    assert!(template0.is_template);
    assert!(!template0.allow_connections);
    assert_eq!(template0.connection_limit, -1);
    assert!(live.state.catalogs.is_empty());
}

#[tokio::test]
async fn database_privileges_of_managed_grantees_and_public() {
    let cluster = setup();
    let app = object(ObjectKind::Database, None, "app");
    let managed = BTreeSet::from([
        privilege(&app, "reader", "CONNECT", false),
        privilege(&app, "reader", "TEMPORARY", false),
        privilege(&app, "writer", "CONNECT", true),
    ]);

    let live = inspect_with(&cluster, &scope(&[], false)).await;
    // Only "app" has grants to managed roles; outsider and the owner are left out.
    assert_eq!(live.state.database_privileges, managed);

    let live = inspect_with(&cluster, &scope(&[], true)).await;
    let in_app: BTreeSet<Privilege> = live
        .state
        .database_privileges
        .iter()
        .filter(|p| p.object.name == "app")
        .cloned()
        .collect();
    let mut expected = managed.clone();
    expected.insert(privilege(&app, PUBLIC, "CONNECT", false));
    expected.insert(privilege(&app, PUBLIC, "TEMPORARY", false));
    assert_eq!(in_app, expected);
    // "postgres" has the built-in default (NULL datacl): PUBLIC's part of it.
    let postgres = ObjectRef {
        database: "postgres".to_owned(),
        name: "postgres".to_owned(),
        ..app.clone()
    };
    assert!(
        live.state
            .database_privileges
            .contains(&privilege(&postgres, PUBLIC, "CONNECT", false))
    );
}

#[tokio::test]
async fn reads_schemas_objects_and_privileges_of_managed_grantees() {
    let cluster = setup();
    let live = inspect_with(&cluster, &scope(&["app"], false)).await;
    let catalog = &live.state.catalogs["app"];

    let schemas: BTreeSet<&str> = catalog.schemas.keys().map(String::as_str).collect();
    assert_eq!(schemas, BTreeSet::from(["hr", "public", "sales"]));
    let sales = &catalog.schemas["sales"];
    assert_eq!(sales.database, "app");
    assert_eq!(sales.owner.as_deref(), Some("app_owner"));
    assert_eq!(sales.comment.as_deref(), Some("sales data"));
    assert_eq!(catalog.schemas["hr"].comment, None);

    let orders = object(ObjectKind::Table, Some("sales"), "orders");
    let big_orders = object(ObjectKind::Table, Some("sales"), "big_orders");
    let order_seq = object(ObjectKind::Sequence, Some("sales"), "order_seq");
    let total = object(ObjectKind::Function, Some("sales"), "total(integer, text)");
    let positive = object(ObjectKind::Type, Some("sales"), "positive");
    let status = object(ObjectKind::Type, Some("sales"), "status");
    let people = object(ObjectKind::Table, Some("hr"), "people");
    let noop = object(ObjectKind::Function, Some("hr"), "noop()");
    // pg_stat_statements' views and functions in public belong to the
    // extension and are not there.
    assert_eq!(
        cluster.psql_in(
            "app",
            "SELECT count(*) FROM pg_class WHERE relname = 'pg_stat_statements' \
             AND relnamespace = 'public'::regnamespace"
        ),
        [[Some("1".to_owned())]]
    );
    let expected_objects: BTreeMap<ObjectRef, String> = [
        &orders,
        &big_orders,
        &order_seq,
        &total,
        &positive,
        &status,
        &people,
        &noop,
    ]
    .into_iter()
    .map(|o| (o.clone(), "app_owner".to_owned()))
    .collect();
    assert_eq!(catalog.objects, expected_objects);

    let sales_schema = object(ObjectKind::Schema, None, "sales");
    let expected = BTreeSet::from([
        privilege(&sales_schema, "reader", "USAGE", false),
        privilege(&orders, "reader", "SELECT", false),
        privilege(&orders, "writer", "SELECT", true),
        privilege(&orders, "writer", "INSERT", true),
        privilege(&big_orders, "reader", "SELECT", false),
        privilege(&order_seq, "writer", "USAGE", false),
        privilege(&total, "reader", "EXECUTE", false),
        privilege(&status, "writer", "USAGE", false),
        privilege(
            &column("sales", "orders", "note"),
            "writer",
            "UPDATE",
            false,
        ),
    ]);
    assert_eq!(catalog.privileges, expected);

    let expected_defaults = BTreeSet::from([
        default(
            Some("sales"),
            DefaultKind::Tables,
            "reader",
            "SELECT",
            false,
        ),
        default(None, DefaultKind::Functions, "writer", "EXECUTE", false),
        default(None, DefaultKind::Sequences, "writer", "USAGE", true),
    ]);
    assert_eq!(catalog.default_privileges, expected_defaults);
}

#[tokio::test]
async fn public_privileges_are_read_only_when_included() {
    let cluster = setup();
    let without = inspect_with(&cluster, &scope(&["app"], false)).await;
    let with = inspect_with(&cluster, &scope(&["app"], true)).await;
    let (without, with) = (&without.state.catalogs["app"], &with.state.catalogs["app"]);

    let added: BTreeSet<Privilege> = with
        .privileges
        .difference(&without.privileges)
        .cloned()
        .collect();
    let public_schema = object(ObjectKind::Schema, None, "public");
    assert_eq!(
        added,
        BTreeSet::from([
            privilege(&public_schema, PUBLIC, "USAGE", false),
            privilege(&public_schema, PUBLIC, "CREATE", false),
            // Functions and types get EXECUTE / USAGE for PUBLIC by default,
            // whether their ACL is still NULL or was granted on since.
            privilege(
                &object(ObjectKind::Function, Some("sales"), "total(integer, text)"),
                PUBLIC,
                "EXECUTE",
                false
            ),
            privilege(
                &object(ObjectKind::Function, Some("hr"), "noop()"),
                PUBLIC,
                "EXECUTE",
                false
            ),
            privilege(
                &object(ObjectKind::Type, Some("sales"), "positive"),
                PUBLIC,
                "USAGE",
                false
            ),
            privilege(
                &object(ObjectKind::Type, Some("sales"), "status"),
                PUBLIC,
                "USAGE",
                false
            ),
        ])
    );
    assert!(with.privileges.is_superset(&without.privileges));

    // The global function default keeps PUBLIC's EXECUTE from the built-in one.
    let added: BTreeSet<DefaultPrivilege> = with
        .default_privileges
        .difference(&without.default_privileges)
        .cloned()
        .collect();
    assert_eq!(
        added,
        BTreeSet::from([default(
            None,
            DefaultKind::Functions,
            PUBLIC,
            "EXECUTE",
            false
        )])
    );
    assert_eq!(with.objects, without.objects);
}

#[tokio::test]
async fn missing_and_unconnectable_databases_are_skipped() {
    let cluster = setup();
    let live = inspect_with(
        &cluster,
        &scope(&["app", "postgres", "not_created_yet", "template0"], false),
    )
    .await;
    let read: BTreeSet<&str> = live.state.catalogs.keys().map(String::as_str).collect();
    // "postgres" is read on the main connection, "app" on its own.
    assert_eq!(read, BTreeSet::from(["app", "postgres"]));
    let postgres = &live.state.catalogs["postgres"];
    assert!(postgres.objects.is_empty());
    assert!(postgres.schemas.contains_key("public"));
}

/// Creates `database` with `tables` tables, each granted to a managed role.
fn database_with_tables(cluster: &TestCluster, database: &str, tables: usize) {
    cluster.exec(&format!("CREATE DATABASE {database}"));
    cluster.exec_in(
        database,
        &format!(
            "DO $$ BEGIN
               FOR i IN 1..{tables} LOOP
                 EXECUTE format('CREATE TABLE t%s (id int, v text)', i);
                 EXECUTE format('GRANT SELECT, UPDATE (v) ON t%s TO reader', i);
               END LOOP;
             END $$;"
        ),
    );
}

#[tokio::test]
async fn round_trips_do_not_depend_on_the_number_of_objects() {
    let cluster = TestCluster::start();
    cluster.exec(SETUP_CLUSTER);
    database_with_tables(&cluster, "small", 5);
    database_with_tables(&cluster, "large", 500);

    let none = inspect_with(&cluster, &scope(&[], true)).await;
    let small = inspect_with(&cluster, &scope(&["small"], true)).await;
    let large = inspect_with(&cluster, &scope(&["large"], true)).await;
    let both = inspect_with(&cluster, &scope(&["small", "large"], true)).await;

    assert_eq!(small.state.catalogs["small"].objects.len(), 5);
    assert_eq!(large.state.catalogs["large"].objects.len(), 500);
    // SELECT on each table and UPDATE on each column v (PUBLIC's USAGE on
    // schema public aside).
    let readers = large.state.catalogs["large"]
        .privileges
        .iter()
        .filter(|p| p.grantee == "reader")
        .count();
    assert_eq!(readers, 1000);
    assert!(none.round_trips > 0);
    assert_eq!(small.round_trips, large.round_trips);
    let per_database = small.round_trips - none.round_trips;
    assert!(per_database > 0);
    assert_eq!(both.round_trips, none.round_trips + 2 * per_database);
}

#[tokio::test]
async fn a_database_that_refuses_the_connection_is_an_error_naming_it() {
    let cluster = setup();
    cluster.exec(
        "CREATE ROLE auditor LOGIN PASSWORD 'Audit-Pass-1';
         REVOKE CONNECT ON DATABASE app FROM PUBLIC;",
    );
    let settings = ConnectionSettings {
        user: "auditor".to_owned(),
        password: Some(Secret::new("Audit-Pass-1")),
        ..settings(&cluster)
    };
    let db = Db::new(
        connect::connect(&settings)
            .await
            .unwrap_or_else(|e| panic!("connect: {e}")),
    );
    let error = match inspect::inspect(&db, &settings, &scope(&["app"], false)).await {
        Ok(_) => panic!("inspecting a database auditor may not connect to succeeded"),
        Err(error) => error,
    };
    assert_eq!(error.database.as_deref(), Some("app"));
    assert!(
        matches!(error.source, InspectCause::Connect(_)),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("in database \"app\""), "{message}");
    assert!(message.contains("permission denied"), "{message}");
}

/// Role names the server quotes in its access control lists (and quotes
/// again inside the array), as owner, grantee and grantor, with every
/// privilege a table can carry, and a second grantor: read exactly,
/// nothing lost or invented.
#[tokio::test]
async fn privileges_of_roles_with_awkward_names_are_read_exactly() {
    let cluster = TestCluster::start();
    let awkward = [
        "we\"ird, {name}",
        "back\\slash",
        "eq=uals/slash",
        "Ünïcode space",
        "plain_name",
    ];
    let owner = "own\"er, x";
    let quote = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
    let mut sql = format!("CREATE ROLE {};\n", quote(owner));
    for name in awkward {
        sql.push_str(&format!("CREATE ROLE {};\n", quote(name)));
    }
    cluster.exec(&sql);
    cluster.exec(&format!("CREATE DATABASE app OWNER {}", quote(owner)));
    let all = if cluster.sandbox().major() >= 17 {
        "SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, MAINTAIN"
    } else {
        "SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER"
    };
    let [weird, backslash, equals, unicode, plain] = awkward.map(quote);
    cluster.exec_in(
        "app",
        &format!(
            "SET ROLE {owner};
             CREATE SCHEMA s;
             CREATE TABLE s.t (c int);
             GRANT USAGE ON SCHEMA s TO {weird} WITH GRANT OPTION;
             GRANT USAGE ON SCHEMA s TO {backslash};
             GRANT {all} ON s.t TO {weird};
             GRANT SELECT ON s.t TO {backslash} WITH GRANT OPTION;
             GRANT UPDATE (c) ON s.t TO {equals};
             GRANT TRUNCATE ON s.t TO {unicode};
             GRANT SELECT ON s.t TO {plain};
             SET ROLE {backslash};
             GRANT SELECT ON s.t TO {plain};",
            owner = quote(owner)
        ),
    );
    let mut scope = scope(&["app"], false);
    scope.managed_roles = awkward.map(str::to_owned).to_vec();
    scope.managed_roles.push(owner.to_owned());
    let live = inspect_with(&cluster, &scope).await;
    let catalog = &live.state.catalogs["app"];

    let table = object(ObjectKind::Table, Some("s"), "t");
    assert_eq!(catalog.objects.get(&table).map(String::as_str), Some(owner));
    let mut expected: BTreeSet<Privilege> = all
        .split(", ")
        .map(|p| privilege(&table, awkward[0], p, false))
        .collect();
    expected.extend([
        privilege(
            &object(ObjectKind::Schema, None, "s"),
            awkward[0],
            "USAGE",
            true,
        ),
        privilege(
            &object(ObjectKind::Schema, None, "s"),
            awkward[1],
            "USAGE",
            false,
        ),
        privilege(&table, awkward[1], "SELECT", true),
        privilege(&column("s", "t", "c"), awkward[2], "UPDATE", false),
        privilege(&table, awkward[3], "TRUNCATE", false),
        privilege(&table, awkward[4], "SELECT", false),
    ]);
    assert_eq!(catalog.privileges, expected);
}
