//! Benchmark: `cargo run --release --example bench -- roles --count 10000`.
//!
//! Starts a throwaway server, generates a configuration of N login roles
//! (each a member of one of a few groups, with one setting; passwords on
//! 100 of them), applies it from empty, then plans again (no-op), printing
//! wall time and SQL round trips for each phase.

use std::time::Instant;

use pgfort::config::{self, NoPrompt, VariableInputs};
use pgfort::connect::{self, ConnectionSettings};
use pgfort::diff::DiffOptions;
use pgfort::inspect::Db;
use pgfort::sandbox::{Sandbox, SandboxOptions};

const GROUPS: usize = 5;
const WITH_PASSWORD: usize = 100;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count = match args.as_slice() {
        [kind, flag, n] if kind == "roles" && flag == "--count" => n.parse()?,
        [kind] if kind == "roles" => 10_000,
        _ => return Err("usage: bench roles [--count N]".into()),
    };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(bench_roles(count))
}

fn generate(count: usize) -> String {
    let mut hcl = String::with_capacity(count * 160);
    for g in 1..=GROUPS {
        hcl.push_str(&format!("role \"bench_group_{g}\" {{}}\n"));
    }
    for i in 1..=count {
        let group = i % GROUPS + 1;
        hcl.push_str(&format!(
            "role \"u{i:05}\" {{\n  login = true\n  member_of = [\"bench_group_{group}\"]\n  settings = {{ statement_timeout = \"{}s\" }}\n",
            30 + i % 7
        ));
        if i <= WITH_PASSWORD {
            hcl.push_str(&format!("  password = \"bench-password-{i}\"\n"));
        }
        hcl.push_str("}\n");
    }
    hcl
}

async fn bench_roles(count: usize) -> Result<(), Box<dyn std::error::Error>> {
    let work = tempfile::tempdir()?;
    let started = Instant::now();
    let sandbox = Sandbox::create(&work.path().join("sandbox"), &SandboxOptions::default())?;
    sandbox.start()?;
    println!(
        "server: PostgreSQL {} started in {:.2?}",
        sandbox.major(),
        started.elapsed()
    );

    let config_dir = work.path().join("config");
    std::fs::create_dir_all(&config_dir)?;
    std::fs::write(config_dir.join("roles.hcl"), generate(count))?;
    let t = Instant::now();
    let config = config::load(&config_dir, &VariableInputs::default(), &NoPrompt)?;
    println!(
        "config: {} roles loaded in {:.2?}",
        config.desired.roles.len(),
        t.elapsed()
    );

    let vars = sandbox.env_vars();
    let lookup = |name: &str| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    };
    let settings = ConnectionSettings::resolve(None, &lookup, &Default::default())?;
    let db = Db::new(connect::connect(&settings).await?);

    let t = Instant::now();
    let before = db.round_trips();
    let plan =
        pgfort::pipeline::compute_plan(&db, &settings, &config, DiffOptions::default()).await?;
    println!(
        "plan from empty: {} changes, {} statements, {:.2?}, {} round trips",
        plan.changes.len(),
        plan.statements().len(),
        t.elapsed(),
        db.round_trips() - before
    );

    let t = Instant::now();
    let before = db.round_trips();
    let report = pgfort::apply::apply(&db, &settings, &plan, &|_, _| {}).await?;
    println!(
        "apply: {} statements in {} transaction(s), {:.2?}, {} round trips",
        report.statements,
        report.transactions,
        t.elapsed(),
        db.round_trips() - before
    );

    for attempt in 1..=3 {
        let t = Instant::now();
        let before = db.round_trips();
        let plan =
            pgfort::pipeline::compute_plan(&db, &settings, &config, DiffOptions::default()).await?;
        println!(
            "no-op plan #{attempt}: {} changes, {:.2?}, {} round trips",
            plan.changes.len(),
            t.elapsed(),
            db.round_trips() - before
        );
    }
    drop(db);
    sandbox.destroy()?;
    Ok(())
}
