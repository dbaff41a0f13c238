//! A throwaway server, a generated configuration, and timed pgfort steps.

use std::time::Instant;

use pgfort::config::{self, Config, NoPrompt, VariableInputs};
use pgfort::connect::{self, ConnectionSettings};
use pgfort::diff::DiffOptions;
use pgfort::inspect::Db;
use pgfort::plan::Plan;
use pgfort::sandbox::{Sandbox, SandboxOptions};

pub type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

pub struct Bench {
    pub sandbox: Sandbox,
    pub settings: ConnectionSettings,
    pub db: Db,
    pub work: tempfile::TempDir,
}

impl Bench {
    pub async fn start() -> BenchResult<Bench> {
        let work = tempfile::tempdir()?;
        let started = Instant::now();
        let sandbox = Sandbox::create(&work.path().join("sandbox"), &SandboxOptions::default())?;
        sandbox.start()?;
        println!(
            "server: PostgreSQL {} started in {:.2?}",
            sandbox.major(),
            started.elapsed()
        );
        let vars = sandbox.env_vars();
        let lookup = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        };
        let settings = ConnectionSettings::resolve(None, &lookup, &Default::default())?;
        let db = Db::new(connect::connect(&settings).await?);
        Ok(Bench {
            sandbox,
            settings,
            db,
            work,
        })
    }

    /// Writes `hcl` and loads it, timed.
    pub fn load(&self, hcl: &str) -> BenchResult<Config> {
        let dir = self.work.path().join("config");
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("main.hcl"), hcl)?;
        let t = Instant::now();
        let config = config::load(&dir, &VariableInputs::default(), &NoPrompt)?;
        println!(
            "config: {} roles, {} grants loaded in {:.2?}",
            config.desired.roles.len(),
            config.desired.grants.len(),
            t.elapsed()
        );
        Ok(config)
    }

    /// Inspects and diffs, timed, and prints the round trips it took.
    pub async fn plan(&self, label: &str, config: &Config) -> BenchResult<Plan> {
        let t = Instant::now();
        let (plan, round_trips) = pgfort::pipeline::compute_plan_counted(
            &self.db,
            &self.settings,
            config,
            DiffOptions::default(),
        )
        .await?;
        println!(
            "{label}: {} changes, {} statements, {:.2?}, {} round trips",
            plan.changes.len(),
            plan.statements().len(),
            t.elapsed(),
            round_trips
        );
        Ok(plan)
    }

    pub async fn apply(&self, plan: &Plan) -> BenchResult<()> {
        let t = Instant::now();
        let before = self.db.round_trips();
        let report = pgfort::apply::apply(&self.db, &self.settings, plan, &|_, _| {}).await?;
        println!(
            "apply: {} statements in {} transaction(s), {:.2?}, {} round trips",
            report.statements,
            report.transactions,
            t.elapsed(),
            report.round_trips - before
        );
        Ok(())
    }

    pub fn finish(self) -> BenchResult<()> {
        drop(self.db);
        self.sandbox.destroy()?;
        Ok(())
    }
}
