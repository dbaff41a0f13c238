//! N login roles, each in one of a few groups with one setting; passwords
//! on P of them (each no-op plan checks every declared password against
//! the server's SCRAM verifier: PBKDF2 with 4096 iterations apiece).

use crate::harness::{BenchResult, Server};
use crate::process::{self, Measured};
use crate::report;

const GROUPS: usize = 5;

fn generate(count: usize, passwords: usize) -> String {
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
        if i <= passwords {
            hcl.push_str(&format!("  password = \"bench-password-{i}\"\n"));
        }
        hcl.push_str("}\n");
    }
    hcl
}

pub async fn run(count: usize, passwords: usize, verbose: bool) -> BenchResult<()> {
    let binary = process::pgfort_binary()?;
    println!("roles: {count} roles, {passwords} with passwords");
    let mut server = Server::start().await?;
    let dir = server.write_config(&generate(count, passwords))?;
    let dir = dir.to_string_lossy().into_owned();
    let plan_args = ["plan", dir.as_str(), "--detailed-exitcode"];
    let mut runs: Vec<Measured> = Vec::new();
    runs.push(server.pgfort(&binary, &plan_args)?.expect("plan", &[2])?);
    runs.push(
        server
            .pgfort(&binary, &["apply", &dir, "--auto-approve"])?
            .expect("apply", &[0])?,
    );
    for _ in 0..3 {
        runs.push(
            server
                .pgfort(&binary, &plan_args)?
                .expect("no-op plan", &[0])?,
        );
    }
    server.finish()?;
    let phases = [
        "plan from empty",
        "first apply",
        "no-op plan #1",
        "no-op plan #2",
        "no-op plan #3",
    ];
    report::print_phases(&phases, &runs, None);
    if verbose {
        report::print_breakdown(&phases, &runs);
    }
    Ok(())
}
