//! The peer workload (as ldap2pg, pgbedrock and Ansible are measured on):
//! database appdb, schema app owned by app_owner with T tables; groups
//! readers and writers; N login roles u00001… (odd → readers, even →
//! writers). Readers: CONNECT, USAGE, SELECT on all tables and sequences
//! (future ones too); writers: that plus INSERT, UPDATE, DELETE on tables
//! and USAGE, UPDATE on sequences.

use crate::harness::{Bench, BenchResult};

fn generate(users: usize) -> String {
    let mut hcl = String::from(
        r#"role "app_owner" {}
role "readers" {}
role "writers" {}
database "appdb" {
  owner = "app_owner"
}
schema "app" {
  database = "appdb"
  owner    = "app_owner"
}
grant {
  to         = ["readers", "writers"]
  privileges = ["CONNECT"]
  on         = { database = "appdb" }
}
grant {
  to         = ["readers", "writers"]
  privileges = ["USAGE"]
  on         = { database = "appdb", schema = "app" }
}
grant {
  to         = ["readers"]
  privileges = ["SELECT"]
  on         = { database = "appdb", schema = "app", all = "tables" }
}
grant {
  to         = ["readers"]
  privileges = ["SELECT"]
  on         = { database = "appdb", schema = "app", all = "sequences" }
}
grant {
  to         = ["writers"]
  privileges = ["SELECT", "INSERT", "UPDATE", "DELETE"]
  on         = { database = "appdb", schema = "app", all = "tables" }
}
grant {
  to         = ["writers"]
  privileges = ["SELECT", "USAGE", "UPDATE"]
  on         = { database = "appdb", schema = "app", all = "sequences" }
}
"#,
    );
    for i in 1..=users {
        let group = if i % 2 == 1 { "readers" } else { "writers" };
        hcl.push_str(&format!(
            "role \"u{i:05}\" {{\n  login     = true\n  member_of = [\"{group}\"]\n}}\n"
        ));
    }
    hcl
}

pub async fn run(users: usize, tables: usize) -> BenchResult<()> {
    let bench = Bench::start().await?;
    // The database, schema and tables exist before pgfort runs, as in the
    // peers' set-up.
    bench
        .db
        .client
        .batch_execute("CREATE ROLE app_owner")
        .await?;
    bench
        .db
        .client
        .batch_execute("CREATE DATABASE appdb OWNER app_owner")
        .await?;
    let appdb = pgfort::connect::connect(&bench.settings.with_dbname("appdb")).await?;
    let mut ddl = String::from("SET ROLE app_owner; CREATE SCHEMA app;\n");
    for t in 1..=tables {
        ddl.push_str(&format!(
            "CREATE TABLE app.t{t:04} (id bigserial PRIMARY KEY, v text, at timestamptz DEFAULT now());\n"
        ));
    }
    appdb.batch_execute(&ddl).await?;
    println!("workload: {users} users, {tables} tables");

    let config = bench.load(&generate(users))?;
    let plan = bench.plan("plan from empty", &config).await?;
    bench.apply(&plan).await?;
    for attempt in 1..=3 {
        bench
            .plan(&format!("no-op plan #{attempt}"), &config)
            .await?;
    }
    appdb
        .batch_execute("REVOKE UPDATE ON app.t0001 FROM writers")
        .await?;
    let drift = bench.plan("plan after one revoke by hand", &config).await?;
    for change in &drift.changes {
        println!(
            "  {} {:?}",
            change.address,
            change
                .attributes
                .iter()
                .map(|a| &a.name)
                .collect::<Vec<_>>()
        );
    }
    drop(appdb);
    bench.finish()
}
