//! The steps every command shares: inspect the live server, diff against
//! the configuration, build the plan; and after an apply, verify.

use crate::Error;
use crate::config::{Config, ConfigError};
use crate::connect::ConnectionSettings;
use crate::diff::{self, DiffInput, DiffOptions};
use crate::inspect::{self, Db};
use crate::plan::{LiveDigests, Plan, Targets, address, guard, target};

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
    fingerprint: Fingerprint,
) -> Result<Plan, Error> {
    Ok(
        compute_plan_counted(db, settings, config, options, fingerprint)
            .await?
            .0,
    )
}

/// Whether a plan carries the digests of the live state it was computed
/// from. Only a saved plan (which apply checks for staleness) and the JSON
/// document (which shows the fingerprint) need them; hashing the whole
/// live state costs time at scale, so other plans skip it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fingerprint {
    Compute,
    Skip,
}

/// [`compute_plan`], also returning the queries inspection sent over every
/// connection (for benchmarks and `-v`).
pub async fn compute_plan_counted(
    db: &Db,
    settings: &ConnectionSettings,
    config: &Config,
    options: DiffOptions,
    fingerprint: Fingerprint,
) -> Result<(Plan, u64), Error> {
    let scope = inspect::InspectScope::from_desired(&config.desired, &config.manage);
    let phase = crate::stats::phase("inspect");
    let mut live = inspect::inspect(db, settings, &scope).await?;
    if let Some(endpoint) = &config.patroni {
        let api = crate::patroni::PatroniApi::new(endpoint)?;
        live.state.settings.patroni = Some(api.view().await?);
    }
    live.state.pgbouncer_files = inspect::read_pgbouncer_files(&config.desired.pgbouncers)
        .map_err(|err| Error::Io {
            context: format!("pgbouncer \"{}\": reading {}", err.name, err.path),
            source: err.source,
        })?;
    let lookups: Vec<String> = inspect::pgbouncer_lookup_databases(&config.desired.pgbouncers)
        .into_iter()
        .filter(|database| live.state.databases.contains_key(database))
        .collect();
    live.state.pgbouncer_lookups = inspect::read_pgbouncer_lookups(settings, &lookups).await?;
    drop(phase);
    let phase = crate::stats::phase("canonicalize");
    // A standby cannot create the scratch tables policies are compared on;
    // policies are the primary's to plan.
    let (mut desired, policy_round_trips) = if live.facts.in_recovery {
        (std::borrow::Cow::Borrowed(&config.desired), 0)
    } else {
        inspect::canonicalize_policies(db, settings, &config.desired, &live)
            .await
            .map_err(Box::new)?
    };
    drop(phase);
    let _phase = crate::stats::phase("diff");
    let tls = &config.desired.tls;
    if !tls.authorities.is_empty() || !tls.clients.is_empty() {
        desired.to_mut().tls = crate::config::refresh_certificates(config)?;
    }
    let input = DiffInput {
        desired: &desired,
        live: &live.state,
        facts: &live.facts,
        manage: &config.manage,
        options,
    };
    diff::check(&input).map_err(|problem| located(config, problem))?;
    let mut diff = diff::diff(input)?;
    // Every plan, whether or not pg_hba.conf changes: pgfort must still
    // get in, everywhere it connects, after the apply.
    let notes = diff::check_admission(&input, &diff).map_err(|problem| located(config, problem))?;
    if diff.hba.is_none() {
        diff.notes.extend(notes);
    }
    let plan = match fingerprint {
        Fingerprint::Compute => {
            let _phase = crate::stats::phase("fingerprint");
            let digests = LiveDigests::of(&live.state).with_node_role(live.facts.in_recovery);
            Plan::from_live(diff, digests)
        }
        Fingerprint::Skip => Plan::new(diff, String::new()),
    };
    let mut plan = plan;
    if live.facts.in_recovery {
        plan.hold_for_primary();
        // Uncanonicalized expressions would differ in spelling only.
        let declared = plan.for_primary.len();
        plan.for_primary
            .retain(|change| !change.address.starts_with("policy."));
        if plan.for_primary.len() < declared {
            plan.notes.push(
                "row-level security policies are compared on the primary, not on this standby"
                    .to_owned(),
            );
        }
    }
    let round_trips = live.round_trips + policy_round_trips;
    drop(desired);
    // Large, and no longer needed: freed on another core.
    crate::parallel::drop_in_background(live);
    Ok((plan, round_trips))
}

/// The plan to show, save or apply: limited to `targets` (all of it
/// without), then refused when it would destroy an object the
/// configuration protects, before anything is changed.
pub fn select_and_guard(plan: Plan, config: &Config, targets: &Targets) -> Result<Plan, Error> {
    let plan = target::restrict(plan, targets, || address::declared(&config.desired))?;
    guard::check(&plan.changes, &config.guards)?;
    Ok(plan)
}

/// A problem only the server could reveal, pointed at the configuration
/// value it is about (or the closest enclosing one that has a location).
fn located(config: &Config, problem: diff::InputProblem) -> ConfigError {
    let location = config.location_of(&problem.key);
    let mut error = match location {
        Some(location) => ConfigError::at(location.clone(), problem.message),
        None => ConfigError::general(problem.message),
    };
    // A value written in a module: through which calls it came.
    let chains = location.and_then(|l| config.module_notes.get(&*l.file));
    for chain in chains.into_iter().flatten() {
        error = error.with_note(chain.clone());
    }
    error.with_optional_hint(problem.hint)
}

/// Re-inspects after an apply: anything left to do is a bug, never silent.
/// Returns the plan, which lists restarts still pending: empty, or after a
/// targeted apply holding only changes the targets do not select.
pub async fn verify(
    db: &Db,
    settings: &ConnectionSettings,
    config: &Config,
    targets: &Targets,
) -> Result<Plan, Error> {
    let plan = compute_plan(
        db,
        settings,
        config,
        DiffOptions::default(),
        Fingerprint::Skip,
    )
    .await?;
    if target::is_done(&plan, targets) {
        return Ok(plan);
    }
    let left: Vec<String> = target::select(plan.changes, targets)
        .selected
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
