//! `table` and `policy` blocks.

use std::collections::BTreeSet;

use super::{error_of, load_text, refused};
use crate::model::{Expression, PolicyCommand, RowLevelSecurity, TableName};

const FULL: &str = r#"
role "app_owner" {}
role "app_user" {}

table "documents" {
  database           = "app"
  schema             = "public"
  owner              = "app_owner"
  row_level_security = "force"
  comment            = "documents"
}

table "events" {
  database           = "app"
  schema             = "audit"
  row_level_security = false
}

table "plain" {
  database = "app"
}

policy "own_documents" {
  database   = "app"
  table      = "public.documents"
  command    = "update"
  as         = "Restrictive"
  to         = ["app_user", "app_owner"]
  using      = "owner_id = current_setting('app.user_id')::integer"
  with_check = "owner_id = current_setting('app.user_id')::integer"
  comment    = "users see their own"
}

policy "read_all" {
  database = "app"
  table    = "plain"
}
"#;

fn table(schema: &str, name: &str) -> TableName {
    TableName {
        schema: schema.into(),
        name: name.into(),
    }
}

#[test]
fn decodes_tables_and_policies() {
    let config = load_text(FULL).unwrap();
    let catalog = &config.desired.catalogs["app"];
    let documents = &catalog.tables[&table("public", "documents")];
    assert_eq!(documents.row_level_security, Some(RowLevelSecurity::Forced));
    assert_eq!(documents.owner.as_deref(), Some("app_owner"));
    assert_eq!(documents.comment.as_deref(), Some("documents"));
    assert!(
        documents
            .origin
            .as_deref()
            .unwrap()
            .ends_with("main.hcl:5:7")
    );
    assert_eq!(
        catalog.tables[&table("audit", "events")].row_level_security,
        Some(RowLevelSecurity::Disabled)
    );
    // Not written: left as it is, and schema public.
    assert_eq!(
        catalog.tables[&table("public", "plain")].row_level_security,
        None
    );

    let own = &catalog.policies[&(table("public", "documents"), "own_documents".to_owned())];
    assert_eq!(own.command, PolicyCommand::Update);
    assert!(!own.permissive);
    assert_eq!(
        own.roles,
        BTreeSet::from(["app_owner".to_owned(), "app_user".to_owned()])
    );
    assert_eq!(
        own.using,
        Some(Expression::written(
            "owner_id = current_setting('app.user_id')::integer"
        ))
    );
    assert!(own.origin.as_deref().unwrap().ends_with("main.hcl:23:8"));

    // Defaults: FOR ALL, permissive, TO PUBLIC, no expressions.
    let read_all = &catalog.policies[&(table("public", "plain"), "read_all".to_owned())];
    assert_eq!(read_all.command, PolicyCommand::All);
    assert!(read_all.permissive);
    assert_eq!(read_all.roles, BTreeSet::from(["PUBLIC".to_owned()]));
    assert_eq!((&read_all.using, &read_all.with_check), (&None, &None));
}

const TABLE: &str = r#"
role "app_user" {}
table "documents" {
  database           = "app"
  row_level_security = true
}
"#;

fn with_policy(body: &str) -> String {
    format!("{TABLE}policy \"p\" {{\n  database = \"app\"\n{body}\n}}\n")
}

#[test]
fn policies_need_a_declared_table() {
    refused(
        &with_policy("  table = \"public.other\""),
        "9:11: policy \"p\" is on table \"public.other\" of database \"app\", which is not declared",
        Some(
            "declare it in a block table \"other\" { } with database = \"app\", schema = \"public\" and row_level_security = true",
        ),
    );
    refused(
        &with_policy("  table = \"a.b.c\""),
        "9:11: table \"a.b.c\" is not SCHEMA.TABLE",
        Some("write table = \"SCHEMA.TABLE\", e.g. \"public.documents\""),
    );
}

#[test]
fn bad_policy_attributes_are_refused_where_written() {
    let table = "  table = \"documents\"\n";
    refused(
        &with_policy(&format!("{table}  command = \"SELEKT\"")),
        "10:13: unknown command \"SELEKT\", expected one of: ALL, SELECT, INSERT, UPDATE, DELETE",
        Some("did you mean \"SELECT\"?"),
    );
    refused(
        &with_policy(&format!("{table}  as = \"maybe\"")),
        "10:8: as must be \"permissive\" or \"restrictive\", got \"maybe\"",
        Some("permissive policies are OR-ed together; restrictive ones must all pass as well"),
    );
    refused(
        &with_policy(&format!("{table}  to = [\"app_user\", \"public\"]")),
        "10:21: PUBLIC already includes every role",
        Some("write to = [\"PUBLIC\"] alone, or list the roles without PUBLIC"),
    );
    refused(
        &with_policy(&format!("{table}  to = [\"nobody\"]")),
        "10:9: role \"nobody\" is not declared",
        Some("declare it: role \"nobody\" {}"),
    );
    refused(
        &with_policy(&format!(
            "{table}  command = \"INSERT\"\n  using = \"true\""
        )),
        "11:11: using is not allowed on INSERT policies",
        Some("INSERT policies check new rows only: write with_check"),
    );
    refused(
        &with_policy(&format!(
            "{table}  command = \"SELECT\"\n  with_check = \"true\""
        )),
        "11:16: with_check is not allowed on SELECT policies",
        Some("SELECT and DELETE policies filter existing rows only: write using"),
    );
    refused(
        &with_policy(&format!("{table}  using = \"true) WITH CHECK (false\"")),
        "10:11: using: unbalanced \")\" (at character 5)",
        Some(
            "write one SQL boolean expression, e.g. owner_id = current_setting('app.user_id')::integer",
        ),
    );
}

#[test]
fn bad_table_attributes_are_refused_where_written() {
    refused(
        "table \"t\" {\n  database = \"app\"\n  row_level_security = \"on\"\n}\n",
        "3:24: row_level_security must be true, false or \"force\"",
        Some("\"force\" applies the policies to the table's owner too"),
    );
    refused(
        "table \"t\" {\n  schema = \"app\"\n}\n",
        "1:1: missing attribute \"database\" in table \"t\"",
        Some("write database = \"DATABASE\""),
    );
    let (error, _) = error_of(
        "table \"t\" {\n  database = \"app\"\n}\ntable \"t\" {\n  database = \"app\"\n  schema = \"public\"\n}\n",
    );
    assert!(
        error.starts_with("4:7: table \"public.t\" of database \"app\" is already declared at ")
            && error.ends_with("main.hcl:1:7"),
        "{error}"
    );
}
