//! Whole-process benchmarks: each phase runs the release `pgfort` binary
//! from start to exit against a throwaway server and prints wall time, peak
//! RSS, statements and round trips.
//!
//! ```text
//! cargo run --release --example bench -- workload --users 5000 --tables 1000 [--peer ldap2pg]
//! cargo run --release --example bench -- roles --count 10000 [--passwords 1000]
//! cargo run --release --example bench -- scale --users 1000 --tables 1000,10000,50000
//! cargo run --release --example bench -- fleet --servers 20,100 [--roles 200] [--parallelism 10] [--latency-ms 0]
//! ```
//!
//! `-v` also prints pgfort's time per phase (load, inspect, diff, …).
//! `workload --keep` leaves the server running with the workload applied and
//! prints how to reach it, for profiling one phase by hand.

mod fleet;
mod harness;
mod latency;
mod peer;
mod peer_ldap2pg;
mod process;
mod report;
mod roles;
mod scale;
mod workload;

use harness::BenchResult;

const USAGE: &str = "usage: bench workload [--users N] [--tables T] [--peer ldap2pg] [--keep] [-v]
       bench roles [--count N] [--passwords P] [-v]
       bench scale [--users N] [--tables T1,T2,…] [-v]
       bench fleet [--servers N1,N2,…] [--roles R] [--parallelism P] [--latency-ms MS]";

/// The command line, parsed by hand: a benchmark needs nothing more.
pub struct Args(Vec<String>);

impl Args {
    pub fn number(&self, name: &str, default: usize) -> BenchResult<usize> {
        match self.value(name)? {
            Some(text) => Ok(text.parse().map_err(|_| format!("{name}: not a number"))?),
            None => Ok(default),
        }
    }

    pub fn numbers(&self, name: &str, default: &[usize]) -> BenchResult<Vec<usize>> {
        match self.value(name)? {
            Some(text) => text
                .split(',')
                .map(|n| {
                    n.trim()
                        .parse()
                        .map_err(|_| format!("{name}: not a number").into())
                })
                .collect(),
            None => Ok(default.to_vec()),
        }
    }

    pub fn value(&self, name: &str) -> BenchResult<Option<&str>> {
        match self.0.iter().position(|a| a == name) {
            Some(i) => Ok(Some(
                self.0
                    .get(i + 1)
                    .ok_or(format!("{name} needs a value"))?
                    .as_str(),
            )),
            None => Ok(None),
        }
    }

    pub fn flag(&self, name: &str) -> bool {
        self.0.iter().any(|a| a == name)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args(std::env::args().skip(1).collect());
    let runtime = tokio::runtime::Runtime::new()?;
    let verbose = args.flag("-v");
    match args.0.first().map(String::as_str) {
        Some("workload") => {
            let peer = match args.value("--peer")? {
                None => None,
                Some("ldap2pg") => Some(peer::Peer::Ldap2pg),
                Some(other) => {
                    return Err(format!("unknown peer {other:?} (known: ldap2pg)").into());
                }
            };
            runtime.block_on(workload_bench(
                args.number("--users", 1000)?,
                args.number("--tables", 200)?,
                peer,
                verbose,
                args.flag("--keep"),
            ))
        }
        Some("roles") => runtime.block_on(roles::run(
            args.number("--count", 10_000)?,
            args.number("--passwords", 0)?,
            verbose,
        )),
        Some("scale") => runtime.block_on(scale::run(
            args.number("--users", 1000)?,
            &args.numbers("--tables", &[1000, 10_000, 50_000])?,
        )),
        Some("fleet") => runtime.block_on(fleet::run(
            &args.numbers("--servers", &[20, 100])?,
            args.number("--roles", 200)?,
            args.number("--parallelism", 10)?,
            std::time::Duration::from_millis(args.number("--latency-ms", 0)? as u64),
        )),
        _ => Err(USAGE.into()),
    }
}

async fn workload_bench(
    users: usize,
    tables: usize,
    peer: Option<peer::Peer>,
    verbose: bool,
    keep: bool,
) -> BenchResult<()> {
    let binary = process::pgfort_binary()?;
    println!("workload: {users} users, {tables} tables");
    let mut server = harness::Server::start().await?;
    workload::create(&server, tables).await?;
    let dir = server.write_config(&workload::hcl(users))?;
    let tool = workload::Pgfort {
        binary: &binary,
        dir: &dir,
    };
    let ours = workload::run_phases(&mut server, &tool).await?;
    if keep {
        server.keep(&dir);
    } else {
        server.finish()?;
    }
    let theirs = match peer {
        Some(peer) => {
            let mut server = harness::Server::start().await?;
            workload::create(&server, tables).await?;
            let tool = peer.prepare(&server, users)?;
            let runs = workload::run_phases(&mut server, tool.as_ref()).await?;
            server.finish()?;
            Some((tool.name(), runs))
        }
        None => None,
    };
    report::print_phases(&workload::PHASES, &ours, theirs.as_ref());
    if verbose {
        report::print_breakdown(&workload::PHASES, &ours);
    }
    Ok(())
}
