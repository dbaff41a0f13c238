//! What plan and apply share: configuration, target and connection.

use std::future::Future;
use std::path::Path;

use crate::Error;
use crate::cli::args::{ConnectionArgs, VarArgs};
use crate::cli::prompt::{TerminalPrompter, stdin_is_terminal};
use crate::config::{self, Config, ConnectionBlock, VariableInputs};
use crate::connect::{self, ConnectionSettings};
use crate::inspect::Db;
use crate::sandbox::{Sandbox, SandboxOptions};

pub fn block_on<T>(future: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Io {
            context: "starting the async runtime".to_owned(),
            source,
        })?
        .block_on(future)
}

/// Loads the configuration; every error here happens before any connection.
pub fn load_config(dir: &Path, vars: &VarArgs) -> Result<Config, Error> {
    let _phase = crate::stats::phase("load");
    let config = config::load(dir, &variable_inputs(vars)?, &TerminalPrompter)?;
    print_warnings(&config);
    Ok(config)
}

/// [`load_config`] for `validate`: variables without a value are unknown
/// (see [`config::load_for_validation`]).
pub fn load_config_for_validation(dir: &Path, vars: &VarArgs) -> Result<Config, Error> {
    let config = config::load_for_validation(dir, &variable_inputs(vars)?)?;
    print_warnings(&config);
    Ok(config)
}

fn print_warnings(config: &Config) {
    for warning in &config.warnings {
        crate::cli::output::print_config_warning(warning);
    }
}

/// The `-var` and `-var-file` flags as the loader takes them.
pub(super) fn variable_inputs(vars: &VarArgs) -> Result<VariableInputs, Error> {
    let mut cli = Vec::new();
    for assignment in &vars.vars {
        let (name, value) = assignment.split_once('=').ok_or_else(|| {
            Error::usage(
                format!("-var {assignment:?} is not NAME=VALUE"),
                Some("write -var name=value"),
            )
        })?;
        cli.push((name.trim().to_owned(), value.to_owned()));
    }
    Ok(VariableInputs {
        cli,
        files: vars.var_files.clone(),
        file_positions: vars.var_file_positions.clone(),
        environment: None,
    })
}

/// Resolves where to connect: the sandbox, or flags > PG* variables > the
/// connection block.
pub fn resolve_target(args: &ConnectionArgs, config: &Config) -> Result<ConnectionSettings, Error> {
    resolve_target_from(args, &config.connection)
}

/// [`resolve_target`], then, under Patroni, the leader its REST API names
/// (see [`follow_patroni_leader`]).
pub async fn resolve_leader(
    args: &ConnectionArgs,
    config: &Config,
) -> Result<ConnectionSettings, Error> {
    follow_patroni_leader(resolve_target(args, config)?, config).await
}

/// With a `patroni` block, `settings` pointed at the member its REST API
/// names the leader: catalog work is the leader's, wherever a failover
/// has moved it. Nothing is connected to when the API does not answer.
pub async fn follow_patroni_leader(
    settings: ConnectionSettings,
    config: &Config,
) -> Result<ConnectionSettings, Error> {
    let Some(endpoint) = &config.patroni else {
        return Ok(settings);
    };
    let _phase = crate::stats::phase("connect");
    let api = crate::patroni::PatroniApi::new(endpoint)?;
    let view = api.view().await?;
    let leader = crate::patroni::follow_leader(&settings, &view)?;
    if leader.server_address() != settings.server_address() {
        tracing::info!(
            "Patroni at {} names {} the leader",
            view.url,
            leader.server_address()
        );
    }
    Ok(leader)
}

/// The REST API client of the configuration's `patroni` block, if any.
pub fn patroni_api(config: &Config) -> Result<Option<crate::patroni::PatroniApi>, Error> {
    Ok(config
        .patroni
        .as_ref()
        .map(crate::patroni::PatroniApi::new)
        .transpose()?)
}

/// [`resolve_target`] with `block` as the lowest-precedence source (the
/// target a saved plan recorded, when one is applied).
pub fn resolve_target_from(
    args: &ConnectionArgs,
    block: &ConnectionBlock,
) -> Result<ConnectionSettings, Error> {
    let mut settings = if args.sandbox {
        let sandbox = ensure_sandbox(&args.sandbox_dir, args.pg_bin.as_deref())?;
        let vars = sandbox.env_vars();
        let lookup = |name: &str| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.clone())
        };
        ConnectionSettings::resolve(None, &lookup, &Default::default())?
    } else {
        let lookup = |name: &str| std::env::var(name).ok();
        ConnectionSettings::resolve(args.database_url.as_deref(), &lookup, block)?
    };
    if args.password_prompt {
        settings.password = Some(connect::prompt_password(&settings.user)?);
    }
    Ok(settings)
}

/// Opens the sandbox, creating and starting it when needed.
/// The key of saved-plan digests, from `PGFORT_PLAN_KEY` (none when unset
/// or empty).
pub fn plan_key() -> Option<crate::plan::saved::PlanKey> {
    crate::plan::saved::PlanKey::from_env(&|name| std::env::var(name).ok())
}

pub fn ensure_sandbox(dir: &Path, pg_bin: Option<&Path>) -> Result<Sandbox, Error> {
    let sandbox = match Sandbox::open(dir)? {
        Some(sandbox) => sandbox,
        None => {
            eprintln!("Creating the sandbox server in {}…", dir.display());
            Sandbox::create(
                dir,
                &SandboxOptions {
                    pg_bin: pg_bin.map(Path::to_path_buf),
                    ..Default::default()
                },
            )?
        }
    };
    if !sandbox.is_running() {
        eprintln!(
            "Starting the sandbox server on 127.0.0.1:{}…",
            sandbox.port()
        );
        sandbox.start()?;
    }
    Ok(sandbox)
}

/// Connects, asking for a password on a terminal if the server wants one.
pub async fn connect_db(settings: &ConnectionSettings) -> Result<Db, Error> {
    let _phase = crate::stats::phase("connect");
    tracing::info!("connecting to {}", settings.redacted_target());
    let client = connect::connect_interactive(settings, stdin_is_terminal()).await?;
    Ok(Db::new(client))
}
