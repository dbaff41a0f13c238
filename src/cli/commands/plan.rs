//! `pgfort plan`: show what apply would change; with `-out FILE`, also
//! save the plan for `pgfort apply FILE`.

use std::path::Path;

use super::common::{connect_db, load_config, resolve_leader};
use crate::Error;
use crate::cli::args::PlanArgs;
use crate::cli::output::print_text;
use crate::cli::{Outcome, Ui};
use crate::config::Config;
use crate::diff::DiffOptions;
use crate::inspect::InspectScope;
use crate::pipeline::Fingerprint;
use crate::plan::saved::{self, SavedConfiguration, SavedPlan, SavedTarget};
use crate::plan::{Plan, Targets};
use crate::render::display_safe;
use crate::render::{self, PlanDoc, PlanOrigin, TextOptions};

pub async fn run(args: &PlanArgs, ui: Ui) -> Result<Outcome, Error> {
    if args.fleet.env.is_some() {
        return super::fleet::plan(args, ui).await;
    }
    let targets = Targets::parse(&args.options.targets)?;
    let config = load_config(&args.dir, &args.vars)?;
    let settings = resolve_leader(&args.connection, &config).await?;
    let db = connect_db(&settings).await?;
    let options = DiffOptions {
        rotate_passwords: args.options.rotate_passwords,
    };
    let fingerprint = match args.json || args.out.is_some() {
        true => Fingerprint::Compute,
        false => Fingerprint::Skip,
    };
    let spinner = super::progress::Spinner::start(super::progress::planning_message(&config));
    let plan = crate::pipeline::compute_plan(&db, &settings, &config, options, fingerprint).await?;
    drop(spinner);
    let mut plan = crate::pipeline::select_and_guard(plan, &config, &targets)?;
    let mut target = SavedTarget::of(&settings);
    // A saved plan may be applied from another directory.
    target.sslrootcert = target
        .sslrootcert
        .map(|path| path.canonicalize().unwrap_or(path));
    let origin = PlanOrigin {
        target,
        configuration: SavedConfiguration {
            directory: args.dir.display().to_string(),
            digest: config.digest.clone(),
        },
    };
    let phase = crate::stats::phase("render");
    if args.json {
        let doc = PlanDoc::new(&plan).with_origin(origin.clone());
        println!("{}", render::render_doc_json(&doc));
    } else {
        let text = render::render_text(
            &PlanDoc::new(&plan),
            TextOptions {
                color: ui.color,
                show_sql: args.options.show_sql,
                verbose: ui.verbose,
            },
        );
        print_text(&text, ui.color);
    }
    drop(phase);
    tracing::info!("plan used {} queries", db.round_trips());
    if let Some(file) = &args.out {
        super::progress::hash_passwords(&mut plan);
        save(file, &plan, origin, &config)?;
        let message = format!(
            "\nSaved the plan to {}.\nTo make exactly these changes, run:\n    pgfort apply {}",
            display_safe(&file.display().to_string()),
            display_safe(&file.display().to_string())
        );
        // Keep stdout a single JSON document when --json is given.
        if args.json {
            eprintln!("{message}");
        } else {
            println!("{message}");
        }
    }
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        Outcome::Changes
    } else {
        Outcome::Success
    })
}

/// What a saved plan cannot hold yet: PgBouncer's auth file takes the
/// verifiers apply sends, and Patroni's configuration is patched with
/// values (pg_hba options among them) a plan file must not carry.
pub(super) fn refuse_unsavable(plan: &Plan) -> Result<(), Error> {
    let hint = Some(
        "run `pgfort apply` without a plan file, or save a plan that targets other objects (-target)",
    );
    if let Some(write) = plan.pgbouncer.first() {
        return Err(Error::usage(
            format!(
                "this plan rewrites the files of pgbouncer \"{}\", which a saved plan cannot hold",
                write.name
            ),
            hint,
        ));
    }
    if let Some(patch) = &plan.patroni {
        return Err(Error::usage(
            format!(
                "this plan changes the dynamic configuration of the Patroni cluster at {}, which \
                 a saved plan cannot hold",
                display_safe(&patch.url)
            ),
            hint,
        ));
    }
    Ok(())
}

/// Writes the saved plan (passwords hashed into verifiers on the way).
fn save(file: &Path, plan: &Plan, origin: PlanOrigin, config: &Config) -> Result<(), Error> {
    refuse_unsavable(plan)?;
    let scope = InspectScope::from_desired(&config.desired, &config.manage);
    let saved = SavedPlan::new(plan, origin.target, origin.configuration, scope);
    saved::write(file, &saved, super::common::plan_key().as_ref())?;
    Ok(())
}
