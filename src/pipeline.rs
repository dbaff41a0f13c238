//! The steps every command shares: inspect the live server, diff against
//! the configuration, build the plan; and after an apply, verify.

use crate::Error;
use crate::config::Config;
use crate::connect::ConnectionSettings;
use crate::diff::{self, DiffInput, DiffOptions};
use crate::inspect::{self, Db};
use crate::plan::{self, Plan};

/// Inspects `db` (and the databases the configuration names, connecting
/// with `settings`) and computes the plan that makes it match `config`.
///
/// Planning only reads, but to compare policy expressions it has the
/// server parse the desired ones on temporary copies of the tables, in
/// transactions it rolls back: declared tables get ACCESS SHARE locks
/// (never ACCESS EXCLUSIVE), waited for at most a few seconds. See
/// [`inspect::canonicalize_policies`].
pub async fn compute_plan(
    db: &Db,
    settings: &ConnectionSettings,
    config: &Config,
    options: DiffOptions,
) -> Result<Plan, Error> {
    Ok(compute_plan_counted(db, settings, config, options).await?.0)
}

/// [`compute_plan`], also returning the queries inspection sent over every
/// connection (for benchmarks and `-v`).
pub async fn compute_plan_counted(
    db: &Db,
    settings: &ConnectionSettings,
    config: &Config,
    options: DiffOptions,
) -> Result<(Plan, u64), Error> {
    let scope = inspect::InspectScope::from_desired(&config.desired, &config.manage);
    let live = inspect::inspect(db, settings, &scope).await?;
    let (desired, policy_round_trips) =
        inspect::canonicalize_policies(db, settings, &config.desired, &live)
            .await
            .map_err(Box::new)?;
    let diff = diff::diff(DiffInput {
        desired: &desired,
        live: &live.state,
        facts: &live.facts,
        manage: &config.manage,
        options,
    })?;
    Ok((
        Plan::new(diff, plan::fingerprint(&live.state)),
        live.round_trips + policy_round_trips,
    ))
}

/// Re-inspects after an apply: anything left to do is a bug, never silent.
pub async fn verify(db: &Db, settings: &ConnectionSettings, config: &Config) -> Result<(), Error> {
    let plan = compute_plan(db, settings, config, DiffOptions::default()).await?;
    if plan.is_empty() {
        return Ok(());
    }
    let left: Vec<String> = plan
        .changes
        .iter()
        .map(|c| {
            let attrs: Vec<&str> = c.attributes.iter().map(|a| a.name.as_str()).collect();
            format!("{} ({})", c.address, attrs.join(", "))
        })
        .collect();
    Err(Error::Internal(format!(
        "the server still differs from the configuration after apply: {}",
        left.join("; ")
    )))
}
