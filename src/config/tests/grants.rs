//! `grant` blocks: every target shape decoded, privileges per kind and
//! their spellings, and PUBLIC. Refusals are in `grant_errors`.

use super::{load_text, refused};
use crate::model::{DefaultKind, Grant, GrantTarget, ObjectKind, PUBLIC};

const FULL: &str = r#"
role "app" {}
role "reader" {}
role "owner" {}

grant {
  to         = ["app", "Public"]
  privileges = ["connect", "temp"]
  on         = { database = "app" }
}

grant {
  to                = ["reader"]
  privileges        = ["usage", " create "]
  on                = { database = "app", schemas = ["app", "reports"] }
  with_grant_option = true
}

grant {
  to         = ["reader"]
  privileges = ["select", "Maintain"]
  on = {
    database = "undeclared"
    schema   = "app"
    tables   = ["orders", "Items"]
  }
}

grant {
  to         = ["pg_read_all_data"]
  privileges = ["SELECT"]
  on         = { database = "app", schema = "app", views = ["order_totals"] }
}

grant {
  to         = ["app"]
  privileges = ["usage", "SELECT", "update"]
  on         = { database = "app", schemas = ["app"], sequences = ["orders_id_seq"] }
}

grant {
  to         = ["app", "reader"]
  privileges = ["execute"]
  on = {
    database  = "app"
    schema    = "app"
    functions = ["total(int, varchar(20))", "now_utc( )", "tags(text[], timestamptz)"]
  }
}

grant {
  to         = ["app"]
  privileges = ["ALL PRIVILEGES"]
  on         = { database = "app", schema = "app", procedures = ["archive(INT8)"] }
}

grant {
  to         = ["public"]
  privileges = ["usage"]
  on         = { database = "app", schema = "app", types = ["mood"] }
}

grant {
  to         = ["reader"]
  privileges = ["select", "references"]
  on         = { database = "app", schema = "app", table = "orders", columns = ["id", "Total"] }
}

grant {
  to         = ["reader"]
  privileges = ["SELECT"]
  on         = { database = "app", schemas = ["app", "reports"], all = "tables" }
  owners     = ["owner", "pg_database_owner"]
}

grant {
  to         = ["reader"]
  privileges = ["all"]
  on         = { database = "app", schema = "app", all = "sequences" }
}

grant {
  to         = ["app"]
  privileges = ["EXECUTE"]
  on         = { database = "app", schema = "app", all = "functions" }
  owners     = []
}

grant {
  to         = ["PUBLIC"]
  privileges = ["USAGE"]
  on         = { database = "app", schema = "app", all = "types" }
}
"#;

pub(super) fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn grant(to: &[&str], privileges: &[&str], on: GrantTarget, with_grant_option: bool) -> Grant {
    Grant {
        to: strings(to),
        privileges: strings(privileges),
        on,
        with_grant_option,
    }
}

fn objects(kind: ObjectKind, names: &[&str]) -> GrantTarget {
    GrantTarget::Objects {
        database: "app".to_string(),
        schema: "app".to_string(),
        kind,
        names: strings(names),
    }
}

fn all(schemas: &[&str], kind: DefaultKind, owners: &[&str]) -> GrantTarget {
    GrantTarget::All {
        database: "app".to_string(),
        schemas: strings(schemas),
        kind,
        owners: strings(owners),
    }
}

#[test]
fn every_shape_in_file_order() {
    let config = load_text(FULL).unwrap();
    let expected = vec![
        grant(
            &["app", PUBLIC],
            &["CONNECT", "TEMPORARY"],
            GrantTarget::Database {
                database: "app".to_string(),
            },
            false,
        ),
        grant(
            &["reader"],
            &["USAGE", "CREATE"],
            GrantTarget::Schemas {
                database: "app".to_string(),
                schemas: strings(&["app", "reports"]),
            },
            true,
        ),
        grant(
            &["reader"],
            &["SELECT", "MAINTAIN"],
            GrantTarget::Objects {
                database: "undeclared".to_string(),
                schema: "app".to_string(),
                kind: ObjectKind::Table,
                names: strings(&["orders", "Items"]),
            },
            false,
        ),
        grant(
            &["pg_read_all_data"],
            &["SELECT"],
            objects(ObjectKind::Table, &["order_totals"]),
            false,
        ),
        grant(
            &["app"],
            &["USAGE", "SELECT", "UPDATE"],
            objects(ObjectKind::Sequence, &["orders_id_seq"]),
            false,
        ),
        grant(
            &["app", "reader"],
            &["EXECUTE"],
            objects(
                ObjectKind::Function,
                &[
                    "total(integer, character varying)",
                    "now_utc()",
                    "tags(text[], timestamp with time zone)",
                ],
            ),
            false,
        ),
        grant(
            &["app"],
            &["ALL"],
            objects(ObjectKind::Function, &["archive(bigint)"]),
            false,
        ),
        grant(
            &[PUBLIC],
            &["USAGE"],
            objects(ObjectKind::Type, &["mood"]),
            false,
        ),
        grant(
            &["reader"],
            &["SELECT", "REFERENCES"],
            GrantTarget::Columns {
                database: "app".to_string(),
                schema: "app".to_string(),
                table: "orders".to_string(),
                columns: strings(&["id", "Total"]),
            },
            false,
        ),
        grant(
            &["reader"],
            &["SELECT"],
            all(
                &["app", "reports"],
                DefaultKind::Tables,
                &["owner", "pg_database_owner"],
            ),
            false,
        ),
        grant(
            &["reader"],
            &["ALL"],
            all(&["app"], DefaultKind::Sequences, &[]),
            false,
        ),
        grant(
            &["app"],
            &["EXECUTE"],
            all(&["app"], DefaultKind::Functions, &[]),
            false,
        ),
        grant(
            &[PUBLIC],
            &["USAGE"],
            all(&["app"], DefaultKind::Types, &[]),
            false,
        ),
    ];
    assert_eq!(config.desired.grants.len(), expected.len());
    for (i, (actual, expected)) in config.desired.grants.iter().zip(&expected).enumerate() {
        assert_eq!(actual, expected, "grant {i}");
    }
    // Grants name databases and schemas without declaring them.
    assert!(config.desired.databases.is_empty());
    assert!(config.desired.catalogs.is_empty());
}

#[test]
fn grants_in_several_files_keep_file_order() {
    let dir = super::dir_with(&[
        (
            "b.hcl",
            "grant {\n  to = [\"public\"]\n  privileges = [\"connect\"]\n  on = { database = \"b\" }\n}\n",
        ),
        (
            "a.hcl",
            "grant {\n  to = [\"public\"]\n  privileges = [\"connect\"]\n  on = { database = \"a\" }\n}\n",
        ),
    ]);
    let config = super::load_in(
        dir.path(),
        &crate::config::VariableInputs::default(),
        super::env(&[]),
    )
    .unwrap();
    let databases: Vec<&str> = config
        .desired
        .grants
        .iter()
        .map(|grant| grant.on.database())
        .collect();
    assert_eq!(databases, ["a", "b"]);
}

/// A file with role "r" and one grant; `to` is on line 3, `privileges` on
/// line 4 and `on` on line 5, their values from column 16.
pub(super) fn one_grant(privileges: &str, on: &str, extra: &str) -> String {
    format!(
        "role \"r\" {{}}\ngrant {{\n  to         = [\"r\"]\n  privileges = {privileges}\n  on         = {on}\n{extra}}}\n"
    )
}

const ON_SCHEMA: &str = "{ database = \"d\", schema = \"s\" }";

/// For each kind of target: every valid privilege and ALL are accepted,
/// and one invalid privilege is refused with the valid list.
#[test]
fn privileges_per_kind() {
    let table: [(&str, &[&str], &str, &str); 10] = [
        (
            "{ database = \"d\" }",
            &["CREATE", "CONNECT", "TEMPORARY"],
            "SELECT",
            "databases; expected one of CREATE, CONNECT, TEMPORARY, ALL",
        ),
        (
            ON_SCHEMA,
            &["USAGE", "CREATE"],
            "DELETE",
            "schemas; expected one of USAGE, CREATE, ALL",
        ),
        (
            "{ database = \"d\", schema = \"s\", tables = [\"t\"] }",
            &[
                "SELECT",
                "INSERT",
                "UPDATE",
                "DELETE",
                "TRUNCATE",
                "REFERENCES",
                "TRIGGER",
                "MAINTAIN",
            ],
            "EXECUTE",
            "tables; expected one of SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, MAINTAIN, ALL",
        ),
        (
            "{ database = \"d\", schema = \"s\", views = [\"v\"] }",
            &["SELECT", "TRIGGER"],
            "USAGE",
            "tables; expected one of SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, MAINTAIN, ALL",
        ),
        (
            "{ database = \"d\", schema = \"s\", sequences = [\"q\"] }",
            &["USAGE", "SELECT", "UPDATE"],
            "INSERT",
            "sequences; expected one of USAGE, SELECT, UPDATE, ALL",
        ),
        (
            "{ database = \"d\", schema = \"s\", functions = [\"f()\"] }",
            &["EXECUTE"],
            "USAGE",
            "functions; expected one of EXECUTE, ALL",
        ),
        (
            "{ database = \"d\", schema = \"s\", procedures = [\"p()\"] }",
            &["EXECUTE"],
            "SELECT",
            "functions; expected one of EXECUTE, ALL",
        ),
        (
            "{ database = \"d\", schema = \"s\", types = [\"t\"] }",
            &["USAGE"],
            "SELECT",
            "types; expected one of USAGE, ALL",
        ),
        (
            "{ database = \"d\", schema = \"s\", table = \"t\", columns = [\"c\"] }",
            &["SELECT", "INSERT", "UPDATE", "REFERENCES"],
            "DELETE",
            "columns; expected one of SELECT, INSERT, UPDATE, REFERENCES, ALL",
        ),
        (
            "{ database = \"d\", schemas = [\"s\"], all = \"sequences\" }",
            &["USAGE", "SELECT", "UPDATE"],
            "EXECUTE",
            "sequences; expected one of USAGE, SELECT, UPDATE, ALL",
        ),
    ];
    for (on, valid, invalid, expected) in table {
        let quoted: Vec<String> = valid.iter().map(|p| format!("\"{p}\"")).collect();
        let list = format!("[{}]", quoted.join(", "));
        let config = load_text(&one_grant(&list, on, "")).unwrap();
        assert_eq!(config.desired.grants[0].privileges, *valid, "{on}");
        let config = load_text(&one_grant("[\"all\"]", on, "")).unwrap();
        assert_eq!(config.desired.grants[0].privileges, ["ALL"], "{on}");
        refused(
            &one_grant(&format!("[\"{}\"]", invalid.to_lowercase()), on, ""),
            &format!("4:17: privilege \"{invalid}\" is not valid on {expected}"),
            None,
        );
    }
}

#[test]
fn privilege_spellings() {
    let cases: [(&str, &[&str]); 4] = [
        ("[\"all privileges\"]", &["ALL"]),
        ("[\"  All   Privileges \"]", &["ALL"]),
        ("[\"temp\", \"Connect\"]", &["TEMPORARY", "CONNECT"]),
        ("[\"TEMPORARY\"]", &["TEMPORARY"]),
    ];
    for (list, expected) in cases {
        let config = load_text(&one_grant(list, "{ database = \"d\" }", "")).unwrap();
        assert_eq!(config.desired.grants[0].privileges, expected, "{list}");
    }
    refused(
        &one_grant("[\"temp\", \"TEMPORARY\"]", "{ database = \"d\" }", ""),
        "4:25: \"TEMPORARY\" appears twice in privileges",
        None,
    );
    refused(
        &one_grant("[\"connect\", \"all\"]", "{ database = \"d\" }", ""),
        "4:28: ALL already includes every other privilege",
        Some("write privileges = [\"ALL\"] alone, or list the privileges without ALL"),
    );
    refused(
        &one_grant("[]", "{ database = \"d\" }", ""),
        "4:16: privileges cannot be empty",
        None,
    );
    refused(
        &one_grant("\"SELECT\"", "{ database = \"d\" }", ""),
        "4:16: privileges must be a list of privileges, got a string",
        None,
    );
}

#[test]
fn public_grantee() {
    for spelling in ["public", "PUBLIC", "Public", "pUbLiC"] {
        let text = format!(
            "grant {{\n  to = [\"{spelling}\"]\n  privileges = [\"CONNECT\"]\n  on = {{ database = \"d\" }}\n}}\n"
        );
        let config = load_text(&text).unwrap();
        assert_eq!(config.desired.grants[0].to, [PUBLIC], "{spelling}");
    }
    refused(
        "grant {\n  to         = [\"public\", \"PUBLIC\"]\n  privileges = [\"CONNECT\"]\n  on         = { database = \"d\" }\n}\n",
        "2:27: \"PUBLIC\" appears twice in to",
        None,
    );
    refused(
        &one_grant(
            "[\"CONNECT\"]",
            "{ database = \"d\" }",
            "  with_grant_option = true\n",
        )
        .replace("[\"r\"]", "[\"r\", \"public\"]"),
        "6:23: with_grant_option cannot be given to PUBLIC",
        Some("grant to PUBLIC in a separate grant block without with_grant_option"),
    );
}
