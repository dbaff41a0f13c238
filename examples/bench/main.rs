//! Benchmarks that print wall time and SQL round trips for each phase:
//!
//! ```text
//! cargo run --release --example bench -- roles --count 10000
//! cargo run --release --example bench -- grants --users 5000 --tables 1000
//! ```

mod grants;
mod harness;
mod roles;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str, default: usize| -> Result<usize, Box<dyn std::error::Error>> {
        match args.iter().position(|a| a == name) {
            Some(i) => Ok(args
                .get(i + 1)
                .ok_or(format!("{name} needs a number"))?
                .parse()?),
            None => Ok(default),
        }
    };
    let runtime = tokio::runtime::Runtime::new()?;
    match args.first().map(String::as_str) {
        Some("roles") => runtime.block_on(roles::run(flag("--count", 10_000)?)),
        Some("grants") => {
            runtime.block_on(grants::run(flag("--users", 1000)?, flag("--tables", 200)?))
        }
        _ => Err("usage: bench roles [--count N] | bench grants [--users N] [--tables T]".into()),
    }
}
