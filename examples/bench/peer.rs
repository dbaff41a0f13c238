//! Peer tools run on the same workload, in the same run, for ratios.

use std::process::Command;

use crate::harness::{BenchResult, Server};
use crate::peer_ldap2pg::Ldap2pg;
use crate::process::Measured;
use crate::workload::Tool;

#[derive(Debug, Clone, Copy)]
pub enum Peer {
    Ldap2pg,
}

impl Peer {
    /// Installs the peer when missing and configures it for the workload.
    pub fn prepare(self, server: &Server, users: usize) -> BenchResult<Box<dyn Tool>> {
        match self {
            Peer::Ldap2pg => {
                let cache = cache_dir()?;
                let tool = Ldap2pg::prepare(&cache, server.work.path(), users)?;
                Ok(Box::new(tool))
            }
        }
    }
}

/// Where installed peers are kept between runs (target/bench-peers).
fn cache_dir() -> BenchResult<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("bench-peers");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

impl Tool for Ldap2pg {
    fn name(&self) -> String {
        "ldap2pg 5.9".into()
    }

    fn plan(&self, server: &mut Server) -> BenchResult<Measured> {
        run(server, self.command(false), "ldap2pg (dry run)")
    }

    fn apply(&self, server: &mut Server) -> BenchResult<Measured> {
        run(server, self.command(true), "ldap2pg --real")
    }

    fn changes(&self, run: &Measured) -> usize {
        Ldap2pg::changes(&format!("{}\n{}", run.stdout, run.stderr))
    }
}

fn run(server: &mut Server, command: Command, what: &str) -> BenchResult<Measured> {
    server.run(command)?.expect(what, &[0])
}
