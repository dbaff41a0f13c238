//! How the cost grows with the number of tables: the workload's plan from
//! empty, first apply and no-op plan at each size, one line per size.

use crate::harness::{BenchResult, Server};
use crate::process;
use crate::workload::{self, Pgfort, Tool};

pub async fn run(users: usize, sizes: &[usize]) -> BenchResult<()> {
    let binary = process::pgfort_binary()?;
    println!(
        "\n{:>8} {:>8} {:>18} {:>18} {:>18}",
        "users", "tables", "plan from empty", "first apply", "no-op plan"
    );
    for &tables in sizes {
        let mut server = Server::start().await?;
        workload::create(&server, tables).await?;
        let dir = server.write_config(&workload::hcl(users))?;
        let tool = Pgfort {
            binary: &binary,
            dir: &dir,
        };
        let plan = tool.plan(&mut server)?;
        let apply = tool.apply(&mut server)?;
        let noop = tool.plan(&mut server)?;
        if tool.changes(&noop) != 0 {
            return Err(format!("{tables} tables: the no-op plan is not empty").into());
        }
        server.finish()?;
        let cell = |run: &process::Measured| {
            format!("{:.3} s {:>4.0} MB", run.wall.as_secs_f64(), run.rss_mb())
        };
        println!(
            "{users:>8} {tables:>8} {:>18} {:>18} {:>18}",
            cell(&plan),
            cell(&apply),
            cell(&noop)
        );
    }
    Ok(())
}
