//! `pgfort sandbox up|down|status|env`.

use super::common::ensure_sandbox;
use crate::Error;
use crate::cli::Outcome;
use crate::cli::args::SandboxCommand;
use crate::sandbox::Sandbox;

pub fn run(command: SandboxCommand) -> Result<Outcome, Error> {
    match command {
        SandboxCommand::Up(args) => {
            let sandbox = ensure_sandbox(&args.dir, args.pg_bin.as_deref())?;
            println!(
                "The sandbox server runs on 127.0.0.1:{} (PostgreSQL {}, data in {}).",
                sandbox.port(),
                sandbox.major(),
                sandbox.data_dir().display()
            );
            println!(
                "Use it with: eval \"$(pgfort sandbox env --dir {})\"",
                args.dir.display()
            );
        }
        SandboxCommand::Down { sandbox, destroy } => match Sandbox::open(&sandbox.dir)? {
            Some(found) if destroy => {
                found.destroy()?;
                println!(
                    "The sandbox in {} was stopped and removed.",
                    sandbox.dir.display()
                );
            }
            Some(found) => {
                if found.is_running() {
                    found.stop()?;
                }
                println!(
                    "The sandbox server is stopped (data kept in {}).",
                    sandbox.dir.display()
                );
            }
            None => println!("There is no sandbox in {}.", sandbox.dir.display()),
        },
        SandboxCommand::Status(args) => match Sandbox::open(&args.dir)? {
            Some(found) => {
                let state = if found.is_running() {
                    "running"
                } else {
                    "stopped"
                };
                println!(
                    "sandbox {}: {state}, 127.0.0.1:{}, PostgreSQL {}",
                    args.dir.display(),
                    found.port(),
                    found.major()
                );
            }
            None => {
                println!(
                    "There is no sandbox in {} (create one with `pgfort sandbox up`).",
                    args.dir.display()
                );
                return Ok(Outcome::Failure);
            }
        },
        SandboxCommand::Env(args) => {
            let sandbox = ensure_sandbox(&args.dir, args.pg_bin.as_deref())?;
            for (name, value) in sandbox.env_vars() {
                println!("export {name}={}", shell_quote(&value));
            }
        }
    }
    Ok(Outcome::Success)
}

/// Single-quotes a value for POSIX shells.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}
