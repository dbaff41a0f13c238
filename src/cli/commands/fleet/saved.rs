//! Saved fleet plans: `plan --env NAME --out DIR` writes one saved plan
//! per server (`DIR/SERVER.pgfortplan`, each with its own target and
//! digests); `apply DIR` applies each exactly, concurrently, refusing on
//! a server whatever changed there since. A saved plan holds no
//! password: each server's comes from PGPASSWORD or the password file at
//! apply, as for one saved plan.

use std::path::{Path, PathBuf};

use super::{CONNECT_TIMEOUT, Member, Named, ServerRun, report, run_members};
use crate::Error;
use crate::apply::{self, lock};
use crate::cli::args::{ApplyArgs, FleetArgs};
use crate::cli::commands::common::plan_key;
use crate::cli::{Outcome, Ui};
use crate::config::ConnectionBlock;
use crate::connect::ConnectionSettings;
use crate::fleet::ServerStatus;
use crate::inspect::InspectScope;
use crate::plan::Plan;
use crate::plan::saved::{self, SavedConfiguration, SavedPlan, SavedTarget};
use crate::render::{self, PlanDoc, TextOptions};

/// The extension of each server's saved plan in a plan directory.
const EXTENSION: &str = "pgfortplan";

/// Whether `path` is a directory of saved fleet plans (and not a
/// configuration directory).
pub fn is_plan_dir(path: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(path) else {
        return false;
    };
    let mut plans = false;
    for entry in entries.flatten() {
        let path = entry.path();
        match path.extension().and_then(|e| e.to_str()) {
            Some("hcl") => return false,
            Some(EXTENSION) => plans = true,
            _ => {}
        }
    }
    plans
}

/// Writes each planned server's saved plan into `dir` (created 0700),
/// after removing the plans an earlier run left there: a server whose
/// plan failed this time has none.
pub(super) fn save(
    dir: &Path,
    members: &[Member],
    plans: Vec<Option<Plan>>,
    configuration_dir: &Path,
) -> Result<usize, Error> {
    for plan in plans.iter().flatten() {
        crate::cli::commands::plan::refuse_unsavable(plan)?;
    }
    let io = |context: String| move |source| Error::Io { context, source };
    std::fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::Permissions::from_mode(0o700);
        std::fs::set_permissions(dir, mode).map_err(io(format!("securing {}", dir.display())))?;
    }
    for old in plan_files(dir)? {
        let _ = std::fs::remove_file(&old);
        let mut applied = old.into_os_string();
        applied.push(".applied");
        let _ = std::fs::remove_file(applied);
    }
    let mut written = 0;
    for (member, plan) in members.iter().zip(plans) {
        let (Some(mut plan), Ok(settings)) = (plan, &member.settings) else {
            continue;
        };
        crate::cli::commands::progress::hash_passwords(&mut plan);
        let config = &member.config;
        let scope = InspectScope::from_desired(&config.desired, &config.manage);
        let configuration = SavedConfiguration {
            directory: configuration_dir.display().to_string(),
            digest: config.digest.clone(),
        };
        let saved = SavedPlan::new(&plan, SavedTarget::of(settings), configuration, scope);
        let path = dir.join(format!("{}.{EXTENSION}", member.name));
        saved::write(&path, &saved, plan_key().as_ref())?;
        written += 1;
    }
    Ok(written)
}

/// Each saved plan names its server: a flag that would aim the apply
/// elsewhere is an error, not silently ignored.
fn refuse_retargeting(args: &ApplyArgs) -> Result<(), Error> {
    let flag = if args.fleet.env.is_some() {
        Some("--env")
    } else if args.connection.database_url.is_some() {
        Some("--database-url (or PGFORT_DATABASE_URL)")
    } else if args.connection.sandbox {
        Some("--sandbox")
    } else {
        None
    };
    match flag {
        Some(flag) => Err(Error::usage(
            format!(
                "{} holds saved plans, each for the server it was made on: {flag} cannot aim \
                 them elsewhere",
                args.dir.display()
            ),
            Some("apply the directory without it, or plan again for the other servers"),
        )),
        None => Ok(()),
    }
}

/// The saved plans in `dir`, by file name.
fn plan_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
        context: format!("reading {}", dir.display()),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == EXTENSION))
        .collect();
    files.sort();
    Ok(files)
}

/// One saved plan of the directory.
struct SavedMember {
    name: String,
    path: PathBuf,
    target: String,
}

impl Named for SavedMember {
    fn name(&self) -> &str {
        &self.name
    }

    fn target(&self) -> String {
        self.target.clone()
    }
}

/// `apply DIR`: every saved plan of the directory, at most
/// [`crate::fleet::DEFAULT_PARALLELISM`] at once.
pub async fn apply(args: &ApplyArgs, ui: Ui) -> Result<Outcome, Error> {
    refuse_retargeting(args)?;
    let files = plan_files(&args.dir)?;
    let key = plan_key();
    let mut members = Vec::with_capacity(files.len());
    for path in files {
        let saved = saved::read(&path, key.as_ref())?;
        let name = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        members.push(SavedMember {
            name,
            path,
            target: saved.target.describe(),
        });
    }
    let fleet = FleetArgs {
        parallelism: crate::fleet::DEFAULT_PARALLELISM,
        ..args.fleet.clone()
    };
    let text = TextOptions {
        color: ui.color,
        show_sql: args.options.show_sql,
        verbose: ui.verbose,
    };
    let runs = run_members(&members, &fleet, "applying", |member| async move {
        match apply_one(&member.path, args, text).await {
            Ok(run) => run,
            Err(error) => ServerRun::failed(&error),
        }
    })
    .await;
    let title = args.dir.display().to_string();
    let summary = report(&title, &fleet, &members, &runs, false, ui.color);
    Ok(super::plan::outcome(summary.exit_code(0)))
}

/// One server's saved plan, applied as `apply FILE` applies it.
async fn apply_one(path: &Path, args: &ApplyArgs, text: TextOptions) -> Result<ServerRun, Error> {
    let saved = saved::read(path, plan_key().as_ref())?;
    saved::check_not_applied(path, &saved)?;
    let env = |name: &str| std::env::var(name).ok();
    let mut settings = ConnectionSettings::resolve_for_server(
        &saved.target.as_block(),
        &env,
        &ConnectionBlock::default(),
    )?;
    settings.connect_timeout.get_or_insert(CONNECT_TIMEOUT);
    saved.target.check(&settings)?;
    let db = crate::inspect::Db::new(crate::connect::connect(&settings).await?);
    let held = lock::acquire(&db, args.lock_timeout).await?;
    if let Err(error) = crate::cli::commands::apply_saved::check_fresh(&db, &settings, &saved).await
    {
        lock::release(&db).await;
        return Err(error);
    }
    let plan = saved.to_plan();
    let mut shown = render::render_text(&PlanDoc::new(&plan), text);
    if plan.is_empty() {
        lock::release(&db).await;
        return Ok(ServerRun {
            status: ServerStatus::Unchanged,
            text: shown,
            document: None,
            error: None,
        });
    }
    let options = apply::ApplyOptions {
        patroni: None,
        local_files: false,
        statement_lock_timeout: args.statement_lock_timeout,
        lock: Some(held),
    };
    let applied = apply::apply_with(&db, &settings, &plan, &|_, _| {}, options).await;
    lock::release(&db).await;
    applied.map_err(|error| error.locate(&plan, |_| None))?;
    if let Err(error) = saved::record_applied(path, &saved, &settings.redacted_target()) {
        shown.push_str(&format!("\nwarning: {error}\n"));
    }
    let summary = plan.summary();
    shown.push_str(&format!(
        "\nApply complete! Resources: {} added, {} changed, {} destroyed.\n",
        summary.add, summary.change, summary.destroy
    ));
    Ok(ServerRun {
        status: ServerStatus::Changed,
        text: shown,
        document: None,
        error: None,
    })
}
