//! `--env NAME`: one command on every server of an environment, at most
//! `--parallelism` at once. Each server gets its own configuration (its
//! variables), connection, plan and outcome; one server's failure is
//! reported in its section and does not stop the others. Output: one
//! section per server in the environment's order, then a summary; or one
//! JSON document with an entry per server.

mod apply;
mod audit;
mod plan;
mod saved;

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use apply::apply;
pub use audit::audit;
pub use plan::{drift, plan};
pub use saved::{apply as apply_saved, is_plan_dir};

use crate::Error;
use crate::cli::args::{ConnectionArgs, FleetArgs, VarArgs};
use crate::cli::output::{error_report, print_text};
use crate::cli::prompt::stdin_is_terminal;
use crate::config::{self, Config, FleetServer, NoPrompt, ServerSelection};
use crate::connect::ConnectionSettings;
use crate::fleet::{FleetDoc, FleetSummary, ServerEntry, ServerStatus};
use crate::render::display_safe;

/// How long a fleet server may take to accept a connection when the
/// configuration does not say (`connect_timeout`): an unreachable server
/// is reported, never waited for.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One server to run on: its configuration (loaded with its variables)
/// and where to connect (or why that could not be resolved).
pub(super) struct Member {
    pub name: String,
    pub config: Arc<Config>,
    pub settings: Result<ConnectionSettings, String>,
    /// Where the last connection went, when it went elsewhere than
    /// `settings` say: under Patroni, to the leader its REST API named.
    /// Reports name the server that was planned or changed.
    followed: Mutex<Option<String>>,
}

impl Member {
    /// Where to connect, or why the server's entry does not say.
    pub fn settings(&self) -> Result<&ConnectionSettings, Error> {
        self.settings
            .as_ref()
            .map_err(|message| Error::usage(message.clone(), None))
    }
}

/// What a section is headed with: the server's name and where it is.
pub(super) trait Named {
    fn name(&self) -> &str;
    /// `user@host:port/db`, or the server's name when unresolved.
    fn target(&self) -> String;
}

impl Named for Member {
    fn name(&self) -> &str {
        &self.name
    }

    fn target(&self) -> String {
        let followed = self.followed.lock().ok().and_then(|target| target.clone());
        match (&self.settings, followed) {
            (_, Some(target)) => target,
            (Ok(settings), None) => settings.redacted_target(),
            (Err(_), None) => self.name.clone(),
        }
    }
}

/// What one server's run produced.
#[derive(Clone)]
pub(super) struct ServerRun {
    pub status: ServerStatus,
    /// The section's text (plan, report, or the error).
    pub text: String,
    /// The server's own document (plan, drift or audit JSON), if any.
    pub document: Option<serde_json::Value>,
    /// The error, one line, for the summary and JSON.
    pub error: Option<String>,
}

impl ServerRun {
    pub fn failed(error: &Error) -> ServerRun {
        ServerRun {
            status: ServerStatus::Failed,
            text: error_report(error),
            document: None,
            error: Some(error.to_string()),
        }
    }

    fn skipped() -> ServerRun {
        ServerRun {
            status: ServerStatus::Skipped,
            text: "Not run: --fail-fast stopped the run after a server failed.\n".to_owned(),
            document: None,
            error: None,
        }
    }
}

/// The environment's servers this run covers (after `--shard`), each with
/// its configuration. Configurations are loaded once per distinct set of
/// variable values, so a fleet whose servers share their environment's
/// values loads once. Any configuration error stops the run before a
/// server is touched. Nobody is asked for variable values.
pub(super) fn members(
    dir: &Path,
    vars: &VarArgs,
    fleet: &FleetArgs,
    connection: &ConnectionArgs,
) -> Result<Vec<Member>, Error> {
    // Given on the command line or exported: either way it names one
    // server, and an environment names its own.
    if connection.database_url.is_some() {
        return Err(Error::usage(
            "--database-url (or PGFORT_DATABASE_URL) names one server, and --env runs on the servers of an environment",
            Some("drop --database-url, or unset PGFORT_DATABASE_URL for fleet runs"),
        ));
    }
    let name = fleet.env.as_deref().unwrap_or_default();
    let base = super::common::variable_inputs(vars)?;
    let phase = crate::stats::phase("load");
    let mut listing = base.clone();
    listing.environment = Some(ServerSelection {
        environment: name.to_owned(),
        server: None,
    });
    let overview = config::load_for_validation(dir, &listing)?;
    let environment = config::find_environment(&overview.environments, name)?.clone();
    let names: Vec<&str> = environment
        .servers
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    let chosen: Vec<&str> = match fleet.shard {
        Some(shard) => shard.select(&names),
        None => names,
    };
    let servers: Vec<&FleetServer> = environment
        .servers
        .iter()
        .filter(|server| chosen.contains(&server.name.as_str()))
        .collect();
    let key_of = |values: &BTreeMap<String, config::EnvironmentValue>| {
        values
            .iter()
            .map(|(name, value)| format!("{name}={:?}", value.value))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut loaded: BTreeMap<String, Arc<Config>> = BTreeMap::new();
    // Loaded with the environment's values: when every variable had one,
    // it is the configuration of each server without values of its own.
    let overview_key = key_of(&environment.variables);
    if overview.unknown_variables.is_empty() {
        for warning in &overview.warnings {
            crate::cli::output::print_config_warning(warning);
        }
        loaded.insert(overview_key, Arc::new(overview));
    }
    let env = |name: &str| std::env::var(name).ok();
    let mut members = Vec::with_capacity(servers.len());
    for server in servers {
        let key = key_of(&environment.values_for(server));
        let config = match loaded.get(&key) {
            Some(config) => Arc::clone(config),
            None => {
                let mut inputs = base.clone();
                inputs.environment = Some(ServerSelection {
                    environment: environment.name.clone(),
                    server: Some(server.name.clone()),
                });
                let config = config::load(dir, &inputs, &NoPrompt).map_err(|error| {
                    Error::from(error.with_note(format!(
                        "loading the configuration for server \"{}\" of environment \"{}\"",
                        server.name, environment.name
                    )))
                })?;
                if loaded.is_empty() {
                    for warning in &config.warnings {
                        crate::cli::output::print_config_warning(warning);
                    }
                }
                let config = Arc::new(config);
                loaded.insert(key, Arc::clone(&config));
                config
            }
        };
        let settings =
            ConnectionSettings::resolve_for_server(&server.connection, &env, &config.connection)
                .map(|mut settings| {
                    settings.connect_timeout.get_or_insert(CONNECT_TIMEOUT);
                    settings
                })
                .map_err(|error| error.to_string());
        members.push(Member {
            name: server.name.clone(),
            config,
            settings,
            followed: Mutex::new(None),
        });
    }
    drop(phase);
    tracing::info!(
        "environment {}: {} server(s), {} configuration load(s)",
        environment.name,
        members.len(),
        loaded.len()
    );
    Ok(members)
}

/// What a server's run yields: its section, and whatever else the
/// command keeps from it.
pub(super) trait Reported {
    fn run(&self) -> &ServerRun;
    fn skipped() -> Self;
}

impl Reported for ServerRun {
    fn run(&self) -> &ServerRun {
        self
    }

    fn skipped() -> Self {
        ServerRun::skipped()
    }
}

impl<T> Reported for (ServerRun, Option<T>) {
    fn run(&self) -> &ServerRun {
        &self.0
    }

    fn skipped() -> Self {
        (ServerRun::skipped(), None)
    }
}

/// Runs `work` on every member, at most `--parallelism` at once, telling
/// on a terminal's stderr as each server finishes.
pub(super) async fn run_members<'m, T, F, Fut, R>(
    members: &'m [T],
    fleet: &FleetArgs,
    verb: &str,
    work: F,
) -> Vec<R>
where
    T: Named,
    F: Fn(&'m T) -> Fut,
    Fut: std::future::Future<Output = R>,
    R: Reported,
{
    let total = members.len();
    let done = AtomicUsize::new(0);
    let tell = std::io::stderr().is_terminal();
    if tell {
        eprintln!(
            "{verb} {total} server(s), {} at once…",
            fleet.parallelism.max(1)
        );
    }
    let (work, done) = (&work, &done);
    crate::fleet::run_all(
        members.iter().collect(),
        fleet.parallelism,
        fleet.fail_fast,
        |member: &'m T| async move {
            let run = work(member).await;
            let finished = done.fetch_add(1, Ordering::SeqCst) + 1;
            if tell {
                eprintln!(
                    "  [{finished}/{total}] {}: {}",
                    display_safe(member.name()),
                    run.run().status.as_str()
                );
            }
            run
        },
        |run| run.run().status == ServerStatus::Failed,
        |_| R::skipped(),
    )
    .await
}

/// Prints one section per server and the summary (text), or the fleet
/// JSON document; returns the summary.
pub(super) fn report<T: Named>(
    environment: &str,
    fleet: &FleetArgs,
    members: &[T],
    runs: &[ServerRun],
    json: bool,
    color: bool,
) -> FleetSummary {
    let summary = FleetSummary::of(runs.iter().map(|run| run.status));
    if json {
        let doc = FleetDoc {
            format_version: crate::fleet::FORMAT_VERSION,
            environment,
            shard: fleet.shard.map(|shard| shard.to_string()),
            servers: members
                .iter()
                .zip(runs)
                .map(|(member, run)| ServerEntry {
                    name: member.name(),
                    target: member.target(),
                    status: run.status,
                    error: run.error.as_deref(),
                    result: run.document.as_ref(),
                })
                .collect(),
            summary,
        };
        let text = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_owned());
        println!("{text}");
        return summary;
    }
    let mut out = String::new();
    for (member, run) in members.iter().zip(runs) {
        let heading = format!("{}/{} ({})", environment, member.name(), member.target());
        out.push_str(&format!("\n=== {} ===\n", display_safe(&heading)));
        out.push_str(&run.text);
        if !run.text.ends_with('\n') {
            out.push('\n');
        }
    }
    out.push_str(&summary_text(environment, fleet, members, runs, &summary));
    print_text(&out, color);
    summary
}

fn summary_text<T: Named>(
    environment: &str,
    fleet: &FleetArgs,
    members: &[T],
    runs: &[ServerRun],
    summary: &FleetSummary,
) -> String {
    let shard = fleet
        .shard
        .map(|shard| format!(" (shard {shard})"))
        .unwrap_or_default();
    let mut out = format!(
        "\nEnvironment {}{shard}: {} server(s): {} changed, {} unchanged, {} failed",
        display_safe(environment),
        summary.servers,
        summary.changed,
        summary.unchanged,
        summary.failed
    );
    if summary.skipped > 0 {
        out.push_str(&format!(", {} skipped", summary.skipped));
    }
    out.push_str(".\n");
    for (member, run) in members.iter().zip(runs) {
        if let Some(error) = &run.error {
            let first = error.lines().next().unwrap_or_default();
            out.push_str(&format!(
                "  {} failed: {}\n",
                display_safe(member.name()),
                display_safe(first)
            ));
        }
    }
    out
}

/// Refuses an apply without confirmation when nobody can confirm.
pub(super) fn require_approval(auto_approve: bool) -> Result<(), Error> {
    if auto_approve || stdin_is_terminal() {
        return Ok(());
    }
    Err(Error::usage(
        "refusing to apply without confirmation: stdin is not a terminal",
        Some("review the plans with `pgfort plan --env NAME`, then pass --auto-approve"),
    ))
}

/// Connects to one member, without asking for a password: a fleet run
/// has no one to ask per server. Under Patroni, to the leader its REST API
/// names: the settings returned are the ones connected with.
pub(super) async fn connect(
    member: &Member,
) -> Result<(crate::inspect::Db, ConnectionSettings), Error> {
    let configured = member.settings()?.clone();
    let settings =
        crate::cli::commands::common::follow_patroni_leader(configured.clone(), &member.config)
            .await?;
    let target = settings.redacted_target();
    if let Ok(mut followed) = member.followed.lock() {
        *followed = (target != configured.redacted_target()).then_some(target);
    }
    let client = crate::connect::connect(&settings).await?;
    Ok((crate::inspect::Db::new(client), settings))
}
