//! N login roles, each in one of a few groups with one setting; passwords
//! on 100 of them.

use crate::harness::{Bench, BenchResult};

const GROUPS: usize = 5;
const WITH_PASSWORD: usize = 100;

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

pub async fn run(count: usize) -> BenchResult<()> {
    let bench = Bench::start().await?;
    let config = bench.load(&generate(count))?;
    let plan = bench.plan("plan from empty", &config).await?;
    bench.apply(&plan).await?;
    for attempt in 1..=3 {
        bench
            .plan(&format!("no-op plan #{attempt}"), &config)
            .await?;
    }
    bench.finish()
}
