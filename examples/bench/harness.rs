//! A throwaway server, a configuration directory, and pgfort runs against
//! them as whole processes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use pgfort::connect::{self, ConnectionSettings};
use pgfort::sandbox::{Sandbox, SandboxOptions};

use crate::process::{self, Measured};

pub type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

pub struct Server {
    pub sandbox: Sandbox,
    pub settings: ConnectionSettings,
    /// A superuser session on `postgres`, for setting up and drifting.
    pub admin: tokio_postgres::Client,
    pub work: tempfile::TempDir,
    runs: usize,
}

impl Server {
    pub async fn start() -> BenchResult<Server> {
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
        let admin = connect::connect(&settings).await?;
        Ok(Server {
            sandbox,
            settings,
            admin,
            work,
            runs: 0,
        })
    }

    /// A superuser session on `dbname`.
    pub async fn session(&self, dbname: &str) -> BenchResult<tokio_postgres::Client> {
        Ok(connect::connect(&self.settings.with_dbname(dbname)).await?)
    }

    /// The libpq environment that points a client at this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        self.sandbox.env_vars()
    }

    /// Writes `hcl` as the configuration directory's only file.
    pub fn write_config(&self, hcl: &str) -> BenchResult<PathBuf> {
        let dir = self.work.path().join("config");
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("main.hcl"), hcl)?;
        Ok(dir)
    }

    /// Runs `program args…` against this server, measured.
    pub fn run(&mut self, mut command: Command) -> BenchResult<Measured> {
        for (name, value) in self.env() {
            command.env(name, value);
        }
        command.env("NO_COLOR", "1");
        self.runs += 1;
        let scratch = self.work.path().join(format!("run-{}", self.runs));
        std::fs::create_dir_all(&scratch)?;
        process::measure(command, &scratch)
    }

    /// `pgfort <args> --stats`, measured.
    pub fn pgfort(&mut self, binary: &Path, args: &[&str]) -> BenchResult<Measured> {
        let mut command = Command::new(binary);
        command.args(args).arg("--stats");
        self.run(command)
    }

    /// Leaves the server running and its files in place, and prints how to
    /// point pgfort at them.
    pub fn keep(self, config: &Path) {
        println!("server kept; to reach it:");
        for (name, value) in self.env() {
            println!("  export {name}={value}");
        }
        println!("  configuration: {}", config.display());
        println!(
            "  stop it with: pg_ctl stop -D {}",
            self.sandbox.data_dir().display()
        );
        let _ = self.work.keep();
    }

    pub fn finish(self) -> BenchResult<()> {
        drop(self.admin);
        self.sandbox.destroy()?;
        Ok(())
    }
}
