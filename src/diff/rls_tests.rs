//! Tables' row-level security and policies, without a server.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::model::{
    Database, DatabaseCatalog, Expression, Membership, Policy, PolicyCommand, Role,
    RowLevelSecurity, Table, TableName,
};
use crate::plan::{Action, Phase, Plan, Target};

fn facts() -> ServerFacts {
    ServerFacts {
        version_num: 150000,
        session_user: "postgres".into(),
        bootstrap_superuser: "postgres".into(),
        can_read_passwords: true,
        databases: vec!["postgres".into(), "app".into()],
        role_dependencies: BTreeMap::new(),
        is_superuser: true,
        current_database: "postgres".into(),
        in_recovery: false,
        session_roles: vec!["postgres".into()],
    }
}

fn documents() -> TableName {
    TableName {
        schema: "public".into(),
        name: "documents".into(),
    }
}

fn table(rls: Option<RowLevelSecurity>) -> Table {
    Table {
        database: "app".into(),
        table: documents(),
        row_level_security: rls,
        owner: Some("app_owner".into()),
        comment: None,
        origin: Some("main.hcl:3:7".into()),
    }
}

fn policy(name: &str, using: Option<Expression>) -> Policy {
    Policy {
        database: "app".into(),
        table: documents(),
        name: name.into(),
        command: PolicyCommand::All,
        permissive: true,
        roles: BTreeSet::from(["app_user".to_owned()]),
        using,
        with_check: None,
        comment: None,
        origin: Some("main.hcl:9:8".into()),
    }
}

/// The canonical text both sides hold for the seed's expression.
const CANONICAL: &str = "(owner_id = (current_setting('app.user_id'::text))::integer)";

/// Desired as written (and canonicalised by the server).
fn desired_expression() -> Expression {
    Expression {
        sql: "owner_id = current_setting('app.user_id')::int".into(),
        canonical: Some(CANONICAL.into()),
    }
}

fn roles() -> BTreeMap<String, Role> {
    let mut postgres = Role::new("postgres");
    postgres.attributes.superuser = true;
    postgres.attributes.login = true;
    let mut etl = Role::new("etl");
    etl.attributes.bypassrls = true;
    let mut deployer = Role::new("deployer");
    deployer
        .member_of
        .insert("app_owner".into(), Membership::default());
    [
        postgres,
        etl,
        deployer,
        Role::new("app_owner"),
        Role::new("app_user"),
    ]
    .into_iter()
    .map(|r| (r.name.clone(), r))
    .collect()
}

fn state(tables: Vec<Table>, policies: Vec<Policy>) -> ServerState {
    let catalog = DatabaseCatalog {
        tables: tables.into_iter().map(|t| (t.table.clone(), t)).collect(),
        policies: policies
            .into_iter()
            .map(|p| ((p.table.clone(), p.name.clone()), p))
            .collect(),
        ..Default::default()
    };
    ServerState {
        roles: roles(),
        databases: BTreeMap::from([("app".to_owned(), Database::new("app"))]),
        catalogs: BTreeMap::from([("app".to_owned(), catalog)]),
        ..Default::default()
    }
}

fn run(desired: &ServerState, live: &ServerState) -> Result<Diff, DiffError> {
    diff(DiffInput {
        desired,
        live,
        facts: &facts(),
        manage: &ManagePolicy::default(),
        options: DiffOptions::default(),
    })
}

fn sql(d: &Diff) -> Vec<String> {
    let plan = Plan::new(d.clone(), String::new());
    plan.statements().iter().map(|s| s.redacted()).collect()
}

fn live_policy(name: &str, using: &str) -> Policy {
    let mut p = policy(name, Some(Expression::live(using)));
    p.origin = None;
    p
}

fn live_table(rls: RowLevelSecurity) -> Table {
    let mut t = table(Some(rls));
    t.origin = None;
    t.comment = Some("from a migration".into());
    t
}

#[test]
fn the_same_expression_in_another_spelling_is_no_change() {
    let desired = state(
        vec![table(Some(RowLevelSecurity::Enabled))],
        vec![policy("own", Some(desired_expression()))],
    );
    let live = state(
        vec![live_table(RowLevelSecurity::Enabled)],
        vec![live_policy("own", CANONICAL)],
    );
    let d = run(&desired, &live).unwrap();
    assert!(d.changes.is_empty(), "{:?}", d.changes);
    assert!(d.warnings.is_empty());
    // The comment is not declared: the migration's stays.
    assert_eq!(
        d.notes,
        [
            "table app.public.documents: row level security policies do not apply to superusers (postgres), \
          roles with BYPASSRLS (etl) and its owner app_owner and the roles that inherit its privileges (deployer), \
          as row_level_security is not \"force\""
        ]
    );
}

#[test]
fn drifted_expression_and_roles_are_altered_in_place() {
    let mut wanted = policy("own", Some(desired_expression()));
    wanted.roles.insert("PUBLIC".into());
    let desired = state(vec![table(None)], vec![wanted]);
    let live = state(
        vec![live_table(RowLevelSecurity::Enabled)],
        vec![live_policy("own", "true")],
    );
    let d = run(&desired, &live).unwrap();
    assert_eq!(d.changes.len(), 1);
    let change = &d.changes[0];
    assert_eq!(change.address, "policy.app.public.documents.own");
    assert_eq!(change.action, Action::Update);
    assert!(!change.destructive);
    let names: Vec<&str> = change.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["to", "using"]);
    assert_eq!(
        sql(&d),
        [format!(
            "ALTER POLICY own ON public.documents TO PUBLIC, app_user USING ({CANONICAL})"
        )]
    );
    assert_eq!(change.statements[0].target, Target::Database("app".into()));
    assert_eq!(change.statements[0].phase, Phase::AlterPolicies);
}

#[test]
fn command_permissiveness_and_removed_expressions_replace_in_one_transaction() {
    for (name, edit) in [
        (
            "command",
            (|p: &mut Policy| p.command = PolicyCommand::Select) as fn(&mut Policy),
        ),
        ("as", |p: &mut Policy| p.permissive = false),
        ("using", |p: &mut Policy| p.using = None),
    ] {
        let mut wanted = policy("own", Some(desired_expression()));
        edit(&mut wanted);
        let desired = state(vec![table(None)], vec![wanted]);
        let live = state(
            vec![live_table(RowLevelSecurity::Enabled)],
            vec![live_policy("own", CANONICAL)],
        );
        let d = run(&desired, &live).unwrap();
        let change = &d.changes[0];
        assert_eq!(change.action, Action::Replace, "{name}");
        assert!(!change.destructive, "{name}");
        assert_eq!(change.reasons.len(), 1, "{name}");
        let statements = sql(&d);
        assert_eq!(statements.len(), 2, "{name}: {statements:?}");
        assert_eq!(statements[0], "DROP POLICY own ON public.documents");
        assert!(statements[1].starts_with("CREATE POLICY own ON public.documents AS "));
        let phases: Vec<Phase> = change.statements.iter().map(|s| s.phase).collect();
        assert_eq!(phases, [Phase::DropPolicies, Phase::CreatePolicies]);
    }
}

#[test]
fn undeclared_policies_on_declared_tables_are_dropped_and_destructive() {
    let desired = state(
        vec![table(None)],
        vec![policy("own", Some(desired_expression()))],
    );
    let mut stray_elsewhere = live_policy("other_table", "true");
    stray_elsewhere.table.name = "not_declared".into();
    let live = state(
        vec![live_table(RowLevelSecurity::Enabled)],
        vec![
            live_policy("own", CANONICAL),
            live_policy("sneaky", "true"),
            stray_elsewhere,
        ],
    );
    let d = run(&desired, &live).unwrap();
    assert_eq!(d.changes.len(), 1, "{:?}", d.changes);
    assert_eq!(d.changes[0].address, "policy.app.public.documents.sneaky");
    assert_eq!(d.changes[0].action, Action::Delete);
    assert!(d.changes[0].destructive);
    assert_eq!(sql(&d), ["DROP POLICY sneaky ON public.documents"]);
}

#[test]
fn new_policies_are_created_with_comments() {
    let mut wanted = policy("own", Some(desired_expression()));
    wanted.with_check = Some(desired_expression());
    wanted.comment = Some("users' own".into());
    wanted.permissive = false;
    let desired = state(vec![table(None)], vec![wanted]);
    let live = state(vec![live_table(RowLevelSecurity::Enabled)], vec![]);
    let d = run(&desired, &live).unwrap();
    assert_eq!(d.changes[0].action, Action::Create);
    assert_eq!(
        sql(&d),
        [
            format!(
                "CREATE POLICY own ON public.documents AS RESTRICTIVE FOR ALL TO app_user USING ({CANONICAL}) WITH CHECK ({CANONICAL})"
            ),
            "COMMENT ON POLICY own ON public.documents IS 'users'' own'".to_owned(),
        ]
    );
}

#[test]
fn row_level_security_owner_and_comment_of_tables() {
    let mut wanted = table(Some(RowLevelSecurity::Forced));
    wanted.owner = Some("etl".into());
    wanted.comment = Some("documents".into());
    let desired = state(vec![wanted], vec![]);
    let live = state(vec![live_table(RowLevelSecurity::Disabled)], vec![]);
    let d = run(&desired, &live).unwrap();
    assert_eq!(d.changes[0].address, "table.app.public.documents");
    assert_eq!(
        sql(&d),
        [
            "ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY",
            "ALTER TABLE public.documents FORCE ROW LEVEL SECURITY",
            "ALTER TABLE public.documents OWNER TO etl",
            "COMMENT ON TABLE public.documents IS 'documents'",
        ]
    );
    // Forced: the owner is not among those the policies skip.
    assert!(!d.notes[0].contains("owner"), "{}", d.notes[0]);

    let desired = state(vec![table(Some(RowLevelSecurity::Enabled))], vec![]);
    let live = state(vec![live_table(RowLevelSecurity::Forced)], vec![]);
    let d = run(&desired, &live).unwrap();
    assert_eq!(
        sql(&d),
        ["ALTER TABLE public.documents NO FORCE ROW LEVEL SECURITY"]
    );
}

#[test]
fn policies_on_a_table_without_row_level_security_are_a_warning() {
    let desired = state(
        vec![table(None)],
        vec![policy("own", Some(desired_expression()))],
    );
    let live = state(
        vec![live_table(RowLevelSecurity::Disabled)],
        vec![live_policy("own", CANONICAL)],
    );
    let d = run(&desired, &live).unwrap();
    assert!(d.changes.is_empty());
    assert_eq!(
        d.warnings,
        [
            "the policies on table app.public.documents have no effect: row level security is disabled on it (set row_level_security = true)"
        ]
    );
    assert!(d.notes.is_empty());
}

#[test]
fn a_declared_table_that_does_not_exist_is_an_error_with_its_origin() {
    let desired = state(vec![table(Some(RowLevelSecurity::Enabled))], vec![]);
    let live = state(vec![], vec![]);
    let err = run(&desired, &live).unwrap_err();
    assert_eq!(
        err.message,
        "table app.public.documents (declared at main.hcl:3:7) does not exist"
    );
    assert!(err.hint.unwrap().contains("does not create them"));

    let mut live = state(vec![], vec![]);
    live.catalogs.clear();
    let err = run(&desired, &live).unwrap_err();
    assert!(
        err.message
            .ends_with("does not exist: its database does not exist yet"),
        "{}",
        err.message
    );
}
