//! Live convergence property test: for a few fixed seeds, a random but
//! bounded configuration (roles, memberships, databases, schemas, grants,
//! a table with row-level security and policies, server settings) goes
//! through apply → plan empty → random drift by hand → the plan names
//! exactly the drifted addresses → apply → plan empty.
//!
//! Each seed gets a cluster of its own: roles and settings are
//! cluster-wide. On failure the seed and the generated configuration are
//! printed.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{PgfortOutput, TestCluster, workdir, write_files};

/// splitmix64: small, deterministic, good enough to pick test shapes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A non-empty random subset of `items`, in their order.
    fn subset<T: Clone>(&mut self, items: &[T]) -> Vec<T> {
        loop {
            let chosen: Vec<T> = items.iter().filter(|_| self.chance(50)).cloned().collect();
            if !chosen.is_empty() {
                return chosen;
            }
        }
    }
}

const OWNER: &str = "cv_owner";
const TABLE_PRIVILEGES: [&str; 4] = ["SELECT", "INSERT", "UPDATE", "DELETE"];

#[derive(Clone, Debug)]
struct Role {
    name: String,
    login: bool,
    connection_limit: Option<i32>,
    valid_until: Option<&'static str>,
    comment: Option<String>,
    statement_timeout: Option<&'static str>,
    password: Option<String>,
    member_of: Vec<String>,
}

#[derive(Clone, Debug)]
enum Target {
    Database {
        db: String,
    },
    Schema {
        db: String,
    },
    Tables {
        db: String,
        tables: Vec<&'static str>,
    },
    AllTables {
        db: String,
    },
}

#[derive(Clone, Debug)]
struct Grant {
    to: String,
    privileges: Vec<&'static str>,
    target: Target,
}

#[derive(Clone, Debug)]
struct Policy {
    name: String,
    command: &'static str,
    to: Vec<String>,
    threshold: u32,
}

#[derive(Clone, Debug)]
struct Model {
    roles: Vec<Role>,
    databases: Vec<String>,
    grants: Vec<Grant>,
    /// The database holding the table with row-level security.
    rls_db: String,
    policies: Vec<Policy>,
    settings: Vec<(&'static str, &'static str)>,
}

fn generate(seed: u64) -> Model {
    let mut rng = Rng(seed);
    let mut roles: Vec<Role> = Vec::new();
    for i in 0..3 + rng.below(4) {
        let name = format!("cv_r{i}");
        let earlier: Vec<String> = roles.iter().map(|r| r.name.clone()).collect();
        let member_of = if earlier.is_empty() || !rng.chance(50) {
            Vec::new()
        } else {
            rng.subset(&earlier)
        };
        let login = rng.chance(60);
        roles.push(Role {
            login,
            connection_limit: rng.chance(50).then(|| 1 + rng.below(100) as i32),
            valid_until: rng
                .chance(30)
                .then(|| *rng.pick(&["2031-06-30", "2040-01-01"])),
            comment: rng.chance(40).then(|| format!("role {i} of the test")),
            statement_timeout: rng.chance(40).then(|| *rng.pick(&["30s", "5min"])),
            password: (login && rng.chance(60)).then(|| format!("Pw-{seed}-{i}-secret")),
            member_of,
            name,
        });
    }
    let databases: Vec<String> = (0..1 + rng.below(2)).map(|i| format!("cv_db{i}")).collect();

    let mut grants = Vec::new();
    for role in &roles {
        for db in &databases {
            if !rng.chance(70) {
                continue;
            }
            let db_privileges = if rng.chance(50) {
                vec!["CONNECT", "TEMP"]
            } else {
                vec!["CONNECT"]
            };
            grants.push(Grant {
                to: role.name.clone(),
                privileges: db_privileges,
                target: Target::Database { db: db.clone() },
            });
            if !rng.chance(70) {
                continue;
            }
            let schema_privileges = if rng.chance(30) {
                vec!["USAGE", "CREATE"]
            } else {
                vec!["USAGE"]
            };
            grants.push(Grant {
                to: role.name.clone(),
                privileges: schema_privileges,
                target: Target::Schema { db: db.clone() },
            });
            match rng.below(3) {
                0 => grants.push(Grant {
                    to: role.name.clone(),
                    privileges: rng.subset(&TABLE_PRIVILEGES),
                    target: Target::Tables {
                        db: db.clone(),
                        tables: rng.subset(&["t0", "t1"]),
                    },
                }),
                1 => grants.push(Grant {
                    to: role.name.clone(),
                    privileges: rng.subset(&TABLE_PRIVILEGES),
                    target: Target::AllTables { db: db.clone() },
                }),
                _ => {}
            }
        }
    }

    let names: Vec<String> = roles.iter().map(|r| r.name.clone()).collect();
    let policies = (0..1 + rng.below(2))
        .map(|i| Policy {
            name: format!("p{i}"),
            command: ["ALL", "SELECT", "UPDATE", "DELETE"][rng.below(4)],
            to: rng.subset(&names),
            threshold: rng.below(10) as u32,
        })
        .collect();

    let mut settings = Vec::new();
    for (name, values) in [
        ("work_mem", &["4MB", "8MB", "32MB"][..]),
        ("log_statement", &["none", "ddl", "mod"][..]),
        ("statement_timeout", &["1min", "2h"][..]),
    ] {
        if rng.chance(70) {
            settings.push((name, *rng.pick(values)));
        }
    }

    Model {
        rls_db: rng.pick(&databases).clone(),
        roles,
        databases,
        grants,
        policies,
        settings,
    }
}

fn quoted(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
    format!("[{}]", items.join(", "))
}

fn quoted_str(items: &[&str]) -> String {
    quoted(&items.iter().map(|s| s.to_string()).collect::<Vec<_>>())
}

/// The roles, databases and schemas: what must exist before the tables
/// can be created by hand (pgfort does not create tables).
fn render_base(model: &Model) -> String {
    let mut out = format!("role {OWNER:?} {{}}\n");
    for role in &model.roles {
        out.push_str(&format!("\nrole {:?} {{\n", role.name));
        out.push_str(&format!("  login = {}\n", role.login));
        if let Some(limit) = role.connection_limit {
            out.push_str(&format!("  connection_limit = {limit}\n"));
        }
        if let Some(until) = role.valid_until {
            out.push_str(&format!("  valid_until = {until:?}\n"));
        }
        if let Some(comment) = &role.comment {
            out.push_str(&format!("  comment = {comment:?}\n"));
        }
        if let Some(timeout) = role.statement_timeout {
            out.push_str(&format!(
                "  settings = {{ statement_timeout = {timeout:?} }}\n"
            ));
        }
        if let Some(password) = &role.password {
            out.push_str(&format!("  password = {password:?}\n"));
        }
        if !role.member_of.is_empty() {
            out.push_str(&format!("  member_of = {}\n", quoted(&role.member_of)));
        }
        out.push_str("}\n");
    }
    for db in &model.databases {
        out.push_str(&format!(
            "\ndatabase {db:?} {{\n  owner = {OWNER:?}\n}}\n\nschema \"app\" {{\n  database = {db:?}\n  owner    = {OWNER:?}\n}}\n"
        ));
    }
    out
}

fn render(model: &Model) -> String {
    let mut out = render_base(model);
    for grant in &model.grants {
        let on = match &grant.target {
            Target::Database { db } => format!("{{ database = {db:?} }}"),
            Target::Schema { db } => format!("{{ database = {db:?}, schema = \"app\" }}"),
            Target::Tables { db, tables } => format!(
                "{{ database = {db:?}, schema = \"app\", tables = {} }}",
                quoted_str(tables)
            ),
            Target::AllTables { db } => {
                format!("{{ database = {db:?}, schema = \"app\", all = \"tables\" }}")
            }
        };
        out.push_str(&format!(
            "\ngrant {{\n  to         = [{:?}]\n  privileges = {}\n  on         = {on}\n}}\n",
            grant.to,
            quoted_str(&grant.privileges)
        ));
    }
    let db = &model.rls_db;
    out.push_str(&format!(
        "\ntable \"t0\" {{\n  database           = {db:?}\n  schema             = \"app\"\n  owner              = {OWNER:?}\n  row_level_security = true\n}}\n"
    ));
    for policy in &model.policies {
        out.push_str(&format!(
            "\npolicy {:?} {{\n  database = {db:?}\n  table    = \"app.t0\"\n  command  = {:?}\n  to       = {}\n  using    = \"id > {}\"\n",
            policy.name,
            policy.command,
            quoted(&policy.to),
            policy.threshold
        ));
        if matches!(policy.command, "ALL" | "UPDATE") {
            out.push_str(&format!("  with_check = \"id > {}\"\n", policy.threshold));
        }
        out.push_str("}\n");
    }
    if !model.settings.is_empty() {
        out.push_str("\nsettings {\n");
        for (name, value) in &model.settings {
            out.push_str(&format!("  {name} = {value:?}\n"));
        }
        out.push_str("}\n");
    }
    out
}

/// One change made behind pgfort's back: where to run it, the SQL, and the
/// plan address it must show up at.
struct Drift {
    db: String,
    sql: String,
    address: String,
}

fn grant_address(grant: &Grant) -> String {
    match &grant.target {
        Target::Database { db } => format!("grant.{}.{db}", grant.to),
        Target::Schema { db } => format!("grant.{}.{db}.app", grant.to),
        Target::Tables { db, .. } | Target::AllTables { db } => {
            format!("grant.{}.{db}.app.tables", grant.to)
        }
    }
}

/// A random change to the live state, or `None` when the model has nothing
/// of the picked kind.
fn random_drift(rng: &mut Rng, model: &Model) -> Option<Drift> {
    let role = rng.pick(&model.roles).clone();
    let on_role = |sql: String| {
        Some(Drift {
            db: "postgres".into(),
            sql,
            address: format!("role.{}", role.name),
        })
    };
    match rng.below(18) {
        0 => {
            let limit = role.connection_limit.map_or(3, |l| l + 1000);
            on_role(format!("ALTER ROLE {} CONNECTION LIMIT {limit}", role.name))
        }
        1 => on_role(format!(
            "ALTER ROLE {} {}",
            role.name,
            if role.login { "NOLOGIN" } else { "LOGIN" }
        )),
        2 => {
            let group = role.member_of.first()?;
            on_role(format!("REVOKE {group} FROM {}", role.name))
        }
        3 => {
            // An undeclared membership in a role created earlier (no cycle).
            let index: usize = role.name.trim_start_matches("cv_r").parse().ok()?;
            let group = model.roles[..index]
                .iter()
                .find(|r| !role.member_of.contains(&r.name))?;
            on_role(format!("GRANT {} TO {}", group.name, role.name))
        }
        4 => on_role(format!(
            "ALTER ROLE {} SET statement_timeout = '7s'",
            role.name
        )),
        5 => on_role(format!(
            "COMMENT ON ROLE {} IS 'changed by hand'",
            role.name
        )),
        6 => on_role(format!("ALTER ROLE {} VALID UNTIL '2035-05-05'", role.name)),
        7 => {
            role.password.as_ref()?;
            on_role(format!("ALTER ROLE {} PASSWORD 'by-hand'", role.name))
        }
        8 => {
            // Revoke one declared privilege.
            if model.grants.is_empty() {
                return None;
            }
            let grant = rng.pick(&model.grants).clone();
            let privilege = *rng.pick(&grant.privileges);
            let (db, sql) = match &grant.target {
                Target::Database { db } => (
                    "postgres".to_string(),
                    format!("REVOKE {privilege} ON DATABASE {db} FROM {}", grant.to),
                ),
                Target::Schema { db } => (
                    db.clone(),
                    format!("REVOKE {privilege} ON SCHEMA app FROM {}", grant.to),
                ),
                Target::Tables { db, tables } => (
                    db.clone(),
                    format!(
                        "REVOKE {privilege} ON app.{} FROM {}",
                        rng.pick(tables),
                        grant.to
                    ),
                ),
                Target::AllTables { db } => (
                    db.clone(),
                    format!(
                        "ALTER DEFAULT PRIVILEGES FOR ROLE {OWNER} IN SCHEMA app REVOKE {privilege} ON TABLES FROM {}",
                        grant.to
                    ),
                ),
            };
            Some(Drift {
                db,
                sql,
                address: grant_address(&grant),
            })
        }
        9 => {
            // Grant one undeclared privilege to a role pgfort manages.
            let db = rng.pick(&model.databases).clone();
            if rng.chance(50) {
                Some(Drift {
                    db: "postgres".into(),
                    sql: format!("GRANT CREATE ON DATABASE {db} TO {}", role.name),
                    address: format!("grant.{}.{db}", role.name),
                })
            } else {
                Some(Drift {
                    sql: format!("GRANT TRUNCATE ON app.t1 TO {}", role.name),
                    address: format!("grant.{}.{db}.app.tables", role.name),
                    db,
                })
            }
        }
        10 => {
            let policy = rng.pick(&model.policies);
            Some(Drift {
                db: model.rls_db.clone(),
                sql: format!(
                    "ALTER POLICY {} ON app.t0 USING (id > {})",
                    policy.name,
                    policy.threshold + 100
                ),
                address: format!("policy.{}.app.t0.{}", model.rls_db, policy.name),
            })
        }
        13 => on_role(format!("ALTER ROLE {} CREATEDB", role.name)),
        14 => {
            role.statement_timeout?;
            on_role(format!("ALTER ROLE {} RESET statement_timeout", role.name))
        }
        15 => {
            let db = rng.pick(&model.databases).clone();
            let declared = model.grants.iter().any(|g| {
                g.to == role.name
                    && matches!(&g.target, Target::Schema { db: d } if *d == db)
                    && g.privileges.contains(&"CREATE")
            });
            if declared {
                // A revoke in the same round could cancel it out.
                return None;
            }
            Some(Drift {
                sql: format!("GRANT CREATE ON SCHEMA app TO {}", role.name),
                address: format!("grant.{}.{db}.app", role.name),
                db,
            })
        }
        16 => {
            let policy = rng.pick(&model.policies);
            Some(Drift {
                db: model.rls_db.clone(),
                sql: format!("ALTER POLICY {} ON app.t0 TO {OWNER}", policy.name),
                address: format!("policy.{}.app.t0.{}", model.rls_db, policy.name),
            })
        }
        17 => {
            // A declared value the server would use anyway (the built-in
            // default) is no change once reset: by design.
            let (name, _) = model
                .settings
                .iter()
                .find(|(_, value)| !["4MB", "none"].contains(value))?;
            Some(Drift {
                db: "postgres".into(),
                sql: format!("ALTER SYSTEM RESET {name}; SELECT pg_reload_conf()"),
                address: format!("setting.{name}"),
            })
        }
        11 => Some(Drift {
            db: model.rls_db.clone(),
            sql: "ALTER TABLE app.t0 DISABLE ROW LEVEL SECURITY".into(),
            address: format!("table.{}.app.t0", model.rls_db),
        }),
        _ => {
            if model.settings.is_empty() {
                return None;
            }
            let (name, value) = rng.pick(&model.settings);
            let other = match *name {
                "work_mem" => "77MB",
                "log_statement" => "all",
                _ => "13s",
            };
            debug_assert_ne!(*value, other);
            Some(Drift {
                db: "postgres".into(),
                sql: format!("ALTER SYSTEM SET {name} = '{other}'; SELECT pg_reload_conf()"),
                address: format!("setting.{name}"),
            })
        }
    }
}

/// A pgfort run that must have exited with `code`, else the test fails
/// with the seed, the configuration and the output.
fn expect(out: PgfortOutput, code: i32, what: &str, seed: u64, config: &str) -> PgfortOutput {
    assert_eq!(
        out.code,
        Some(code),
        "seed {seed}: {what}\n--- stdout:\n{}\n--- stderr:\n{}\n--- configuration:\n{config}",
        out.stdout,
        out.stderr
    );
    out
}

fn plan_json(cluster: &TestCluster, dir: &Path) -> PgfortOutput {
    cluster.pgfort_in(dir, &["plan", "--detailed-exitcode", "--json", "."])
}

fn addresses(out: &PgfortOutput) -> BTreeSet<String> {
    let doc: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("plan --json is not JSON ({e}):\n{}", out.stdout));
    doc["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["address"].as_str().expect("address").to_string())
        .collect()
}

fn converges(seed: u64) {
    let model = generate(seed);
    let config = render(&model);
    let cluster = TestCluster::start();
    let dir = workdir();

    // Roles, databases and schemas first; then the tables, by hand.
    write_files(dir.path(), &[("main.hcl", &render_base(&model))]);
    expect(
        cluster.apply_in(dir.path()),
        0,
        "bootstrap apply",
        seed,
        &config,
    );
    for db in &model.databases {
        cluster.exec_in(
            db,
            &format!(
                "SET ROLE {OWNER};
                 CREATE TABLE app.t0 (id int PRIMARY KEY, body text);
                 CREATE TABLE app.t1 (id int);
                 RESET ROLE;"
            ),
        );
    }

    write_files(dir.path(), &[("main.hcl", &config)]);
    expect(cluster.apply_in(dir.path()), 0, "apply", seed, &config);
    expect(
        cluster.plan_in(dir.path()),
        0,
        "plan after apply",
        seed,
        &config,
    );

    let mut rng = Rng(seed ^ 0xd1f7);
    for round in 1..=ROUNDS {
        drift_round(&cluster, dir.path(), &model, &mut rng, seed, round, &config);
    }
}

/// Drift rounds per seed: each makes 1–4 changes by hand, checks the plan
/// names exactly them, applies and checks the plan is empty again.
const ROUNDS: usize = 2;

fn drift_round(
    cluster: &TestCluster,
    dir: &Path,
    model: &Model,
    rng: &mut Rng,
    seed: u64,
    round: usize,
    config: &str,
) {
    let mut drifts = Vec::new();
    let wanted = 1 + rng.below(4);
    while drifts.len() < wanted {
        if let Some(drift) = random_drift(rng, model) {
            drifts.push(drift);
        }
    }
    let mut expected = BTreeSet::new();
    let mut made = String::new();
    for drift in &drifts {
        // One statement per message: ALTER SYSTEM refuses a transaction block.
        made.push_str(&format!("{}: {}\n", drift.db, drift.sql));
        for statement in drift.sql.split("; ") {
            if let Err(e) = cluster.try_psql_in(&drift.db, statement) {
                panic!(
                    "seed {seed}: drift SQL failed: {e}\n--- configuration:\n{config}\n--- drift (round {round}):\n{made}"
                );
            }
        }
        expected.insert(drift.address.clone());
    }
    let context = format!("{config}\n--- drift (round {round}):\n{made}");
    let drifted = expect(
        plan_json(cluster, dir),
        2,
        "plan after drift",
        seed,
        &context,
    );
    let seen = addresses(&drifted);
    assert_eq!(
        seen, expected,
        "seed {seed}: the plan's addresses are not the drift's\n--- plan:\n{}\n--- configuration:\n{context}",
        drifted.stdout
    );

    expect(
        cluster.apply_in(dir),
        0,
        "apply after drift",
        seed,
        &context,
    );
    expect(
        cluster.plan_in(dir),
        0,
        "plan after the second apply",
        seed,
        &context,
    );
}

/// More seeds by hand, when looking for trouble:
/// `PGFORT_CONVERGENCE_SEEDS=100..140 cargo test --test convergence -- --ignored`.
#[test]
#[ignore = "exploration: set PGFORT_CONVERGENCE_SEEDS=FIRST..END"]
fn seeds_from_the_environment() {
    let range = std::env::var("PGFORT_CONVERGENCE_SEEDS").unwrap_or_else(|_| "100..110".into());
    let (first, end) = range
        .split_once("..")
        .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)))
        .expect("PGFORT_CONVERGENCE_SEEDS is FIRST..END");
    for seed in first..end {
        converges(seed);
    }
}

#[test]
fn seed_1() {
    converges(1);
}

#[test]
fn seed_2() {
    converges(2);
}

#[test]
fn seed_3() {
    converges(3);
}

#[test]
fn seed_4() {
    converges(4);
}
