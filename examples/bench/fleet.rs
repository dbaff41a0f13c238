//! `--env` on many small servers: a fleet plan should take about as long
//! as the slowest single server, not the sum. For each fleet size: N
//! servers copied from one initialised template, a configuration of
//! `roles` roles with an environment listing them all; then the fleet
//! plan from empty, each server planned alone (max and sum), the fleet
//! apply and the fleet no-op plan. `latency` (when not zero) puts a proxy
//! holding each chunk that long each way in front of every server, as if
//! they were remote.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use pgfort::sandbox::{Sandbox, SandboxOptions};

use crate::harness::BenchResult;
use crate::process::{self, Measured};

/// Small servers: many of them share the machine.
const SETTINGS: &[(&str, &str)] = &[
    ("shared_buffers", "16MB"),
    ("max_connections", "20"),
    ("fsync", "off"),
];

pub async fn run(
    sizes: &[usize],
    roles: usize,
    parallelism: usize,
    latency: Duration,
) -> BenchResult<()> {
    let binary = process::pgfort_binary()?;
    let work = tempfile::tempdir()?;
    let options = SandboxOptions {
        settings: SETTINGS
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect(),
        ..SandboxOptions::default()
    };
    let template = Sandbox::create(&work.path().join("template"), &options)?;
    println!(
        "fleet: {roles} roles per server, --parallelism {parallelism}, {} ms added each way, PostgreSQL {}",
        latency.as_millis(),
        template.major()
    );
    println!(
        "\n{:>8} {:>14} {:>14} {:>20} {:>14} {:>14} {:>10}",
        "servers",
        "fleet plan",
        "its CPU",
        "alone: max / sum",
        "fleet apply",
        "no-op plan",
        "peak RSS"
    );
    for &count in sizes {
        let dir = work.path().join(format!("fleet-{count}"));
        let mut servers = Vec::with_capacity(count);
        for i in 0..count {
            let mut options = options.clone();
            options.port = None;
            let server = Sandbox::create_from(&template, &dir.join(format!("s{i}")), &options)?;
            server.start()?;
            servers.push(server);
        }
        let ports: Vec<u16> = servers
            .iter()
            .map(|server| match latency.is_zero() {
                true => Ok(server.port()),
                false => crate::latency::start(server.port(), latency),
            })
            .collect::<Result<_, _>>()?;
        let config = dir.join("config");
        std::fs::create_dir_all(&config)?;
        std::fs::write(config.join("main.hcl"), hcl(&servers, &ports, roles))?;
        let scratch = dir.join("runs");
        std::fs::create_dir_all(&scratch)?;
        let parallel = parallelism.to_string();
        let fleet = |verb: &str, extra: &[&str]| -> BenchResult<Measured> {
            let mut args = vec![verb, "--env", "bench", "--parallelism", &parallel];
            args.extend_from_slice(extra);
            args.push(config.to_str().unwrap_or("."));
            run_pgfort(&binary, &args, &scratch)
        };
        let plan = fleet("plan", &["--detailed-exitcode"])?.expect("fleet plan", &[2])?;
        let mut alone = Vec::with_capacity(count);
        for (server, port) in servers.iter().zip(&ports) {
            let mut command = Command::new(&binary);
            command
                .args(["plan", config.to_str().unwrap_or(".")])
                .envs(server.env_vars())
                .env("PGHOST", "127.0.0.1")
                .env("PGPORT", port.to_string());
            alone.push(process::measure(command, &scratch)?.expect("plan alone", &[0])?);
        }
        let apply = fleet("apply", &["--auto-approve"])?.expect("fleet apply", &[0])?;
        let noop = fleet("plan", &["--detailed-exitcode"])?.expect("no-op plan", &[0])?;
        let max = alone.iter().map(|m| m.wall).max().unwrap_or_default();
        let sum: Duration = alone.iter().map(|m| m.wall).sum();
        let peak = [&plan, &apply, &noop]
            .iter()
            .map(|m| m.rss_mb())
            .fold(0.0, f64::max);
        println!(
            "{count:>8} {:>14} {:>14} {:>20} {:>14} {:>14} {:>7.0} MB",
            secs(plan.wall),
            secs(plan.cpu),
            format!("{} / {}", secs(max), secs(sum)),
            secs(apply.wall),
            secs(noop.wall),
            peak
        );
        for server in servers {
            server.destroy()?;
        }
    }
    template.destroy()?;
    Ok(())
}

fn secs(duration: Duration) -> String {
    format!("{:.3} s", duration.as_secs_f64())
}

fn run_pgfort(binary: &Path, args: &[&str], scratch: &Path) -> BenchResult<Measured> {
    let mut command = Command::new(binary);
    command.args(args).env("NO_COLOR", "1");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PG") {
            command.env_remove(name);
        }
    }
    process::measure(command, scratch)
}

/// `roles` roles in two groups, and environment "bench" listing `servers`.
fn hcl(servers: &[Sandbox], ports: &[u16], roles: usize) -> String {
    let mut text = String::from("role \"bench_readers\" {}\nrole \"bench_writers\" {}\n");
    for i in 0..roles {
        let group = if i % 2 == 0 {
            "bench_readers"
        } else {
            "bench_writers"
        };
        text.push_str(&format!(
            "role \"bench_user_{i}\" {{\n  login = true\n  member_of = [\"{group}\"]\n}}\n"
        ));
    }
    text.push_str("environment \"bench\" {\n  servers = [\n");
    for (i, (server, port)) in servers.iter().zip(ports).enumerate() {
        text.push_str(&format!(
            "    {{ name = \"s{i}\", host = \"127.0.0.1\", port = {port}, user = \"postgres\", password = \"{}\", dbname = \"postgres\", sslmode = \"disable\" }},\n",
            server.password().expose()
        ));
    }
    text.push_str("  ]\n}\n");
    text
}
