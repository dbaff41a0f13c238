//! Command-line arguments as the user typed them (clap). Turned into
//! resolved settings by the commands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Declarative provisioning and hardening for PostgreSQL.
///
/// pgfort reads the *.hcl files of a directory, inspects the live server,
/// prints the changes that would make the server match (plan), and makes
/// them (apply).
#[derive(Debug, Parser)]
#[command(
    name = "pgfort",
    version,
    propagate_version = true,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// More logging on stderr (-v: info, -vv: debug). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Never use colours (also: NO_COLOR). Colour is used only on terminals.
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Print on stderr, at exit, the time, statements and round trips of
    /// each phase (load, connect, inspect, diff, apply, verify…) and the
    /// peak memory, as `pgfort stats: key=value` lines.
    #[arg(long, global = true)]
    pub stats: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the configuration without connecting to any server.
    ///
    /// Variables need no value: those without one are unknown, and what
    /// derives from them is checked for syntax and references only (the
    /// output names them). Values given (-var, -var-file, PGFORT_VAR_*)
    /// are checked like plan checks them.
    Validate(ValidateArgs),
    /// Show what apply would change. Changes nothing.
    Plan(PlanArgs),
    /// Make the server match the configuration, or apply a saved plan.
    Apply(ApplyArgs),
    /// Print a plan saved with `plan -out FILE`.
    Show(ShowArgs),
    /// Report what differs on the server from the configuration, by kind
    /// of object. Changes nothing; exit 0 without drift, 2 with, 1 on error.
    Drift(DriftArgs),
    /// Rewrite *.hcl files in canonical layout (comments are kept).
    Fmt(FmtArgs),
    /// Print the settings pgtune's formulas give for a machine, as HCL.
    Tune(TuneArgs),
    /// A throwaway local PostgreSQL server for trying pgfort.
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// Check the server against hardening controls. Read-only; exit 3 when
    /// a control at or above --fail-on fails.
    Audit(AuditArgs),
    /// Print a shell completion script (e.g. `pgfort completions bash >
    /// /etc/bash_completion.d/pgfort`).
    Completions(CompletionsArgs),
    /// Print the manual page pgfort(1), in roff, or with --out write it and
    /// a page per subcommand.
    ///
    /// Without --out, pgfort(1) goes to standard output, to read at once
    /// (`pgfort man | man -l -`). With --out DIR, pgfort.1 and one page per
    /// subcommand (pgfort-plan.1, pgfort-sandbox-up.1, …) are written into
    /// DIR, to install where man finds them (e.g. `pgfort man --out
    /// /usr/local/share/man/man1`).
    Man(ManArgs),
    /// Write the live server as *.hcl files, to adopt it: a plan of them
    /// against the same server is empty. Read-only; passwords are never
    /// written.
    Export(ExportArgs),
    /// Print a JSON Schema: of the configuration (for editors), or of the
    /// plan, drift or audit JSON documents; --out writes them all.
    Schema(SchemaArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Directory to write the *.hcl files into (created if needed).
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// A database to describe (repeatable). Default: every database that
    /// accepts connections, templates aside.
    #[arg(long = "database", value_name = "NAME")]
    pub databases: Vec<String>,
    /// What to export, comma-separated: roles, databases, grants, policies,
    /// settings, hba, extensions. Default: all of them.
    #[arg(long, value_delimiter = ',', value_name = "KINDS")]
    pub include: Vec<crate::export::Kind>,
    /// Overwrite the exported files when DIR already holds *.hcl files.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// A configuration directory (optional): its `connection` block says
    /// where to connect, its `pgbouncer` blocks which PgBouncer files to
    /// check, and with --env its environments which servers to audit.
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// text, json, sarif, markdown or html (one self-contained page).
    #[arg(long, default_value = "text", value_name = "FORMAT")]
    pub format: crate::audit::Format,
    /// Only run controls of this severity or higher.
    #[arg(long, value_name = "SEVERITY")]
    pub min_severity: Option<crate::audit::Severity>,
    /// Only run these controls (comma-separated ids, e.g. 3.1.20,5.12-ext).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub controls: Vec<String>,
    /// Exit 3 when a control of this severity or higher fails.
    #[arg(long, default_value = "high", value_name = "SEVERITY")]
    pub fail_on: crate::audit::Severity,
    /// Let the operational health controls (ops-*: cache hit ratio,
    /// connections, long queries, replication lag, …) count for --fail-on
    /// too; by default they are reported apart and never fail the run.
    #[arg(long)]
    pub fail_on_ops: bool,
    /// Write the remedies of the failing controls to FILE as one pgfort
    /// configuration to review and plan: settings, extensions, a server
    /// certificate, pg_hba.conf rewritten, PUBLIC's privileges. Remedies
    /// that need names only you know are listed in its header.
    #[arg(long, value_name = "FILE", conflicts_with = "env")]
    pub fix_out: Option<PathBuf>,
    /// Print every control (id, where the id comes from, area, severity,
    /// title, remedy kind) as a Markdown table, without connecting.
    #[arg(long, conflicts_with_all = ["fix_out", "controls"])]
    pub list_controls: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Directory holding the *.hcl files.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
}

/// Values for `variable` blocks.
#[derive(Debug, Args, Clone, Default)]
pub struct VarArgs {
    /// Set a variable: -var name=value (repeatable; also PGFORT_VAR_name).
    /// With -var-file, the later on the command line wins.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variables from an HCL file of `name = value` lines (repeatable).
    /// pgfort.pgfortvars and *.auto.pgfortvars in the directory are read
    /// without asking, before these.
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// For each of `var_files`, how many `-var`s come before it on the
    /// command line (filled in by [`parse`]), so that the later wins.
    #[arg(skip)]
    pub var_file_positions: Vec<usize>,
}

/// Where to connect.
#[derive(Debug, Args, Clone, Default)]
pub struct ConnectionArgs {
    /// A postgres:// URL or libpq key=value string. Beats PG* variables and
    /// the connection block.
    #[arg(
        long,
        env = "PGFORT_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub database_url: Option<String>,
    /// Ask for the password on the terminal.
    #[arg(long)]
    pub password_prompt: bool,
    /// Target the local sandbox server (started if needed).
    #[arg(long, conflicts_with = "database_url")]
    pub sandbox: bool,
    /// The sandbox directory.
    #[arg(long, default_value = ".pgfort/sandbox", value_name = "DIR")]
    pub sandbox_dir: PathBuf,
    /// PostgreSQL server binaries for the sandbox (initdb, pg_ctl, postgres).
    #[arg(long, value_name = "DIR")]
    pub pg_bin: Option<PathBuf>,
}

/// Running on every server of an environment instead of one connection.
#[derive(Debug, Args, Clone, Default)]
pub struct FleetArgs {
    /// Run on every server of this environment (an `environment` block),
    /// concurrently: one section per server, then a summary. Exit 1 if any
    /// server failed, else what one server's run would exit with.
    #[arg(long = "env", value_name = "NAME", conflicts_with_all = ["sandbox", "password_prompt"])]
    pub env: Option<String>,
    /// With --env: how many servers run at once.
    #[arg(long, default_value_t = crate::fleet::DEFAULT_PARALLELISM, requires = "env", value_name = "N")]
    pub parallelism: usize,
    /// With --env: start no more servers once one has failed (those
    /// running finish; the others are reported as skipped).
    #[arg(long, requires = "env")]
    pub fail_fast: bool,
    /// With --env: only the I-th of N parts of the environment's servers
    /// (dealt by name), so N jobs of a CI matrix or a Kubernetes Indexed
    /// Job cover each server exactly once. I counts from 1.
    #[arg(long, requires = "env", value_name = "I/N")]
    pub shard: Option<crate::fleet::Shard>,
}

/// Plan options shared by plan and apply.
#[derive(Debug, Args, Clone, Default)]
pub struct PlanOptions {
    /// Plan only the changes to this object (or the objects under it, or
    /// inside it for a database or schema) and what they need, e.g.
    /// -target role.app or -target grant.app_user (repeatable; `*` and `?`
    /// match). Also -target ADDRESS. For exceptions, not routine use.
    #[arg(long = "target", value_name = "ADDRESS")]
    pub targets: Vec<String>,
    /// Set passwords even where the stored ones cannot be read to compare.
    #[arg(long)]
    pub rotate_passwords: bool,
    /// Show the SQL each change runs (passwords redacted).
    #[arg(long)]
    pub show_sql: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Directory holding the *.hcl files.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub options: PlanOptions,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Print the plan as a JSON document instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also save the plan to FILE (mode 0600, passwords only as SCRAM
    /// verifiers), for `pgfort apply FILE` to run exactly. Also -out FILE.
    /// With --env, a directory: one saved plan per server
    /// (`SERVER.pgfortplan`), all applied by `pgfort apply DIR`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Directory holding the *.hcl files, or a plan file saved with
    /// `plan -out FILE` (applied exactly, refused if the server changed
    /// since), or a directory of plans saved with `plan --env NAME -out
    /// DIR` (each applied exactly on its server, concurrently).
    #[arg(default_value = ".", value_name = "DIR|PLAN")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub options: PlanOptions,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Apply without asking for confirmation (required without a terminal;
    /// a saved plan is applied without asking: it was reviewed when made).
    #[arg(long)]
    pub auto_approve: bool,
    /// How long to wait for another pgfort run's lock (e.g. 30s, 2m).
    #[arg(long, default_value = "60s", value_parser = parse_duration, value_name = "DURATION")]
    pub lock_timeout: std::time::Duration,
    /// How long each statement of the apply may wait for a table lock that
    /// another transaction holds (the sessions' lock_timeout). On timeout the
    /// transaction rolls back and pgfort names the table and the blocking
    /// backend, instead of waiting forever with a queued lock that blocks
    /// readers of that table. 0 waits forever.
    #[arg(long, default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub statement_lock_timeout: std::time::Duration,
    /// Restart PostgreSQL when restart-only settings changed. Only for a
    /// server pgfort controls here: the sandbox (--sandbox) or --pgdata.
    #[arg(long, conflicts_with = "env")]
    pub restart_if_needed: bool,
    /// The server's data directory on this machine: pgfort writes
    /// pg_hba.conf and certificate files there directly (not over SQL), and
    /// --restart-if-needed restarts it with the local pg_ctl (--pg-bin or
    /// the one found).
    #[arg(long, value_name = "DIR", conflicts_with = "env")]
    pub pgdata: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan file saved with `plan -out FILE`.
    pub file: PathBuf,
    /// Print the plan as a JSON document (as `plan --json`) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Accepted for compatibility: `show` always prints the SQL each change
    /// runs (passwords redacted).
    #[arg(long, hide = true)]
    pub show_sql: bool,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Directory holding the *.hcl files.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// How to print the report (markdown suits CI job summaries).
    #[arg(long, value_enum, default_value_t = ReportFormat::Text, value_name = "FORMAT")]
    pub format: ReportFormat,
    /// Report only on this object and what is under or inside it
    /// (repeatable), as `plan -target` selects.
    #[arg(long = "target", value_name = "ADDRESS")]
    pub targets: Vec<String>,
}

/// Output formats of reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    #[value(alias = "md")]
    Markdown,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which schema to print: config, plan, drift, audit or fleet.
    #[arg(
        value_name = "SCHEMA",
        value_parser = ["config", "plan", "drift", "audit"],
        required_unless_present = "out"
    )]
    pub document: Option<String>,
    /// Write the schema (every schema when none is named) into DIR, as
    /// NAME.schema.json, instead of printing it.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `pgfort man`: print the main page, or write every page into a
/// directory (packagers want the files; a user reading now wants stdout).
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write pgfort.1 and one page per subcommand (pgfort-plan.1,
    /// pgfort-sandbox-up.1, …) into DIR, created if needed, instead of
    /// printing pgfort(1).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct TuneArgs {
    /// RAM PostgreSQL may use, e.g. 16GB.
    #[arg(long)]
    pub memory: String,
    /// CPU cores (parallel settings are computed from 4).
    #[arg(long)]
    pub cpus: Option<u32>,
    /// Expected connections (default: by workload).
    #[arg(long)]
    pub connections: Option<u32>,
    /// ssd, hdd, san or nvme.
    #[arg(long, default_value = "ssd")]
    pub storage: String,
    /// web, oltp, dw, desktop or mixed.
    #[arg(long, default_value = "mixed")]
    pub workload: String,
    /// PostgreSQL major version (default: the newest), e.g. 15.
    #[arg(long, value_name = "MAJOR")]
    pub pg_version: Option<u32>,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Directory holding the *.hcl files.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Change nothing; exit 1 when a file is not formatted.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Create (if needed) and start the sandbox server.
    Up(SandboxArgs),
    /// Stop the sandbox server (keeps its data; --destroy removes it).
    Down {
        #[command(flatten)]
        sandbox: SandboxArgs,
        /// Remove the sandbox directory too.
        #[arg(long)]
        destroy: bool,
    },
    /// Say whether the sandbox exists and runs, and where.
    Status(SandboxArgs),
    /// Print `export PG…=…` lines for the sandbox, creating and starting it
    /// if needed (eval "$(pgfort sandbox env)").
    Env(SandboxArgs),
}

#[derive(Debug, Args, Clone)]
pub struct SandboxArgs {
    /// The sandbox directory.
    #[arg(long, default_value = ".pgfort/sandbox", value_name = "DIR")]
    pub dir: PathBuf,
    /// PostgreSQL server binaries (initdb, pg_ctl, postgres).
    #[arg(long, value_name = "DIR")]
    pub pg_bin: Option<PathBuf>,
}

/// `30s`, `2m`, `1h`, `500ms` or a number of seconds.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("invalid duration {text:?} (expected e.g. 30s, 2m)"))?;
    let seconds = match unit {
        "ms" => return Ok(std::time::Duration::from_millis(number)),
        "" | "s" => number,
        "m" | "min" => number * 60,
        "h" => number * 3600,
        _ => {
            return Err(format!(
                "invalid duration unit {unit:?} (expected ms, s, m or h)"
            ));
        }
    };
    Ok(std::time::Duration::from_secs(seconds))
}

/// Terraform's flags with one dash that pgfort shares; clap wants two.
const TERRAFORM_FLAGS: &[&str] = &["-var", "-var-file", "-out", "-target"];

/// Terraform spells `-var`, `-var-file`, `-out` and `-target` with one
/// dash; clap wants two.
pub fn normalise_terraform_flags(args: impl IntoIterator<Item = String>) -> Vec<String> {
    args.into_iter()
        .map(|arg| {
            let name = arg.split_once('=').map_or(arg.as_str(), |(name, _)| name);
            if TERRAFORM_FLAGS.contains(&name) {
                format!("-{arg}")
            } else {
                arg
            }
        })
        .collect()
}

/// Parses the (normalised) command line. Beyond clap's derive, records
/// where each `-var-file` stands among the `-var`s: like Terraform, the
/// one given later wins, whichever kind it is.
pub fn parse(args: Vec<String>) -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().try_get_matches_from(args)?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    if let Some((_, sub)) = matches.subcommand()
        && let Some(vars) = cli.command.var_args_mut()
    {
        let index = |id: &str| -> Vec<usize> {
            sub.indices_of(id)
                .map(Iterator::collect)
                .unwrap_or_default()
        };
        let var_indices = index("vars");
        vars.var_file_positions = index("var_files")
            .into_iter()
            .map(|file| var_indices.iter().filter(|v| **v < file).count())
            .collect();
    }
    Ok(cli)
}

impl Command {
    /// The variable flags of the commands that take them.
    fn var_args_mut(&mut self) -> Option<&mut VarArgs> {
        match self {
            Command::Validate(args) => Some(&mut args.vars),
            Command::Plan(args) => Some(&mut args.vars),
            Command::Apply(args) => Some(&mut args.vars),
            Command::Drift(args) => Some(&mut args.vars),
            Command::Audit(args) => Some(&mut args.vars),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap().as_secs(), 30);
        assert_eq!(parse_duration("2m").unwrap().as_secs(), 120);
        assert_eq!(parse_duration("5").unwrap().as_secs(), 5);
        assert_eq!(parse_duration("250ms").unwrap().as_millis(), 250);
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn var_files_know_their_place_among_vars() {
        let parsed = |args: &[&str]| {
            let cli = parse(normalise_terraform_flags(
                args.iter().map(|a| a.to_string()),
            ))
            .unwrap();
            let Command::Plan(plan) = cli.command else {
                panic!("not plan");
            };
            plan
        };
        let plan = parsed(&[
            "pgfort",
            "plan",
            "-var-file",
            "a",
            "-var",
            "x=1",
            "-var-file=b",
            "-var",
            "y=2",
            "-var",
            "z=3",
            "-var-file",
            "c",
            "-target",
            "role.app",
            "-target=grant.app",
        ]);
        assert_eq!(plan.vars.vars, ["x=1", "y=2", "z=3"]);
        assert_eq!(plan.vars.var_file_positions, [0, 1, 3]);
        assert_eq!(plan.options.targets, ["role.app", "grant.app"]);
        assert!(
            parsed(&["pgfort", "plan"])
                .vars
                .var_file_positions
                .is_empty()
        );
    }

    #[test]
    fn terraform_style_var_flags() {
        let args = normalise_terraform_flags(
            [
                "pgfort",
                "plan",
                "-var",
                "a=1",
                "-var-file=x.hcl",
                "-v",
                "-out",
                "p",
                "-out=q",
            ]
            .map(String::from),
        );
        assert_eq!(
            args,
            [
                "pgfort",
                "plan",
                "--var",
                "a=1",
                "--var-file=x.hcl",
                "-v",
                "--out",
                "p",
                "--out=q"
            ]
        );
        let cli = Cli::try_parse_from(normalise_terraform_flags(
            ["pgfort", "plan", "-out", "saved.plan"].map(String::from),
        ))
        .unwrap();
        let Command::Plan(plan) = cli.command else {
            panic!("not plan");
        };
        assert_eq!(
            plan.out.as_deref(),
            Some(std::path::Path::new("saved.plan"))
        );
    }
}
