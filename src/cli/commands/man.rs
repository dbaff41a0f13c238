//! `pgfort man [--out DIR]`: the manual pages. clap_mangen renders what the
//! clap definitions know (synopsis, options, subcommands), so those never
//! fall behind the flags; the sections clap cannot know (exit status,
//! environment, examples, and a way back to the parent page) are written
//! here, per page, as roff.

use std::path::Path;

use clap::CommandFactory;

use super::completions::emit;
use crate::Error;
use crate::cli::args::ManArgs;
use crate::cli::{Cli, Outcome};

/// Prints pgfort(1), or with `--out DIR` writes every page into DIR.
pub fn run(args: &ManArgs) -> Result<Outcome, Error> {
    match &args.out {
        None => emit(&render_page(&command())?),
        Some(dir) => write_pages(dir),
    }
}

/// The command tree the pages describe, built so that every subcommand
/// knows its page name (`pgfort-sandbox-up`). clap's `help` subcommand is
/// left out: the main page would list a pgfort-help(1) that no file holds.
fn command() -> clap::Command {
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    command
}

/// Writes pgfort.1 and one page per visible subcommand, at any depth, into
/// `dir` (created if needed), saying which file it wrote as it goes, so a
/// failure part-way leaves an accurate account of what is there.
fn write_pages(dir: &Path) -> Result<Outcome, Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        context: format!("creating {}", dir.display()),
        source,
    })?;
    for page in pages(&command()) {
        let path = dir.join(man(&page).get_filename());
        std::fs::write(&path, render_page(&page)?).map_err(|source| Error::Io {
            context: format!("writing {}", path.display()),
            source,
        })?;
        let line = format!(
            "wrote {}\n",
            crate::render::display_safe(&path.display().to_string())
        );
        emit(line.as_bytes())?;
    }
    Ok(Outcome::Success)
}

/// `command` and, depth first, every subcommand that has a page: the ones
/// clap_mangen lists under SUBCOMMANDS (hidden ones are not listed).
fn pages(command: &clap::Command) -> Vec<clap::Command> {
    let mut all = vec![command.clone()];
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        all.extend(pages(sub));
    }
    all
}

/// The page of `command`: clap_mangen's standard sections, then ours.
fn render_page(command: &clap::Command) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    man(command).render(&mut out).map_err(|source| Error::Io {
        context: "rendering the manual page".to_owned(),
        source,
    })?;
    out.extend_from_slice(extra_sections(command).as_bytes());
    Ok(out)
}

/// clap_mangen's page for `command`. The source (the page footer) names
/// pgfort and its version on every page; clap_mangen's default would name
/// the subcommand (`up 0.1.0`).
fn man(command: &clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(command.clone()).source(format!("pgfort {}", env!("CARGO_PKG_VERSION")))
}

/// The page name clap gave `command` once built: `pgfort`, `pgfort-plan`,
/// `pgfort-sandbox-up`. It is also the file name, without `.1`.
fn page_name(command: &clap::Command) -> &str {
    command
        .get_display_name()
        .unwrap_or_else(|| command.get_name())
}

/// EXIT STATUS, ENVIRONMENT, EXAMPLES and, on a subcommand's page, SEE
/// ALSO, in roff.
fn extra_sections(command: &clap::Command) -> String {
    let page = page_name(command);
    let mut roff = String::new();
    roff.push_str(&exit_status_section(page));
    roff.push_str(&environment_section(page));
    roff.push_str(&examples_section(page));
    roff.push_str(&see_also_section(page));
    roff
}

/// EXIT STATUS: scripts and CI branch on these codes, and clap cannot
/// know them; one `.TP` paragraph per code the command returns.
fn exit_status_section(page: &str) -> String {
    let mut roff = String::from(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in exit_codes(page) {
        roff.push_str(&tagged_paragraph(&code.to_string(), meaning));
    }
    roff
}

/// ENVIRONMENT: the variables the command reads, which change where it
/// connects and what it prints without showing on its command line.
fn environment_section(page: &str) -> String {
    let mut roff = String::from(".SH ENVIRONMENT\n");
    for group in env_groups(page) {
        for (name, meaning) in env_vars(*group) {
            roff.push_str(&tagged_paragraph(name, meaning));
        }
    }
    roff
}

/// Each example is a sentence, then the command line set literally
/// (`.nf`), indented, so it can be copied as it stands.
fn examples_section(page: &str) -> String {
    let mut roff = String::from(".SH EXAMPLES\n");
    for (what, command_line) in examples(page) {
        roff.push_str(".PP\n");
        roff.push_str(&escape(what));
        roff.push_str("\n.RS 4\n.nf\n");
        roff.push_str(&escape(command_line));
        roff.push_str("\n.fi\n.RE\n");
    }
    roff
}

/// On a subcommand's page, its parents' pages, nearest first, so a reader
/// who landed on pgfort-sandbox-up(1) finds the overview. The main page
/// lists its subcommands already (SUBCOMMANDS).
fn see_also_section(page: &str) -> String {
    let parents = parent_pages(page);
    if parents.is_empty() {
        return String::new();
    }
    let references: Vec<String> = parents.iter().map(|p| format!("{p}(1)")).collect();
    format!(".SH \"SEE ALSO\"\n{}\n", escape(&references.join(", ")))
}

/// `pgfort-sandbox-up` → `pgfort-sandbox`, `pgfort`. Subcommand names
/// hold no `-` (a unit test keeps it so), so each `-` is a level.
fn parent_pages(page: &str) -> Vec<&str> {
    page.rmatch_indices('-')
        .map(|(at, _)| &page[..at])
        .collect()
}

/// A `.TP` paragraph: `tag` in bold, then `body`.
fn tagged_paragraph(tag: &str, body: &str) -> String {
    format!(".TP\n\\fB{}\\fR\n{}\n", escape(tag), escape(body))
}

/// `text` made safe for a roff text line: a backslash would start an
/// escape sequence, `-` would be typeset as a hyphen (and break copied
/// flags), `'` or `.` at the start of a line would make it a request.
/// `\*(Aq` is the apostrophe string clap_mangen's preamble defines at the
/// top of every page, portable across roff implementations.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at_line_start = true;
    for c in text.chars() {
        match c {
            '\\' => out.push_str(r"\e"),
            '-' => out.push_str(r"\-"),
            '\'' => out.push_str(r"\*(Aq"),
            '.' if at_line_start => out.push_str(r"\&."),
            _ => out.push(c),
        }
        at_line_start = c == '\n';
    }
    out
}

/// A group of environment variables that a set of subcommands reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EnvGroup {
    /// Where to connect: the commands that talk to a server.
    Connection,
    /// `variable` block values: the commands that load a configuration.
    Variables,
    /// The saved-plan key: plan -out, apply FILE, show.
    PlanKey,
    /// Server binaries for a new sandbox.
    SandboxBinaries,
    /// Colour and logging: every command.
    Output,
}

/// Which variables each page documents: only the ones that command reads.
fn env_groups(page: &str) -> &'static [EnvGroup] {
    use EnvGroup::*;
    match page {
        "pgfort" => &[Connection, Variables, PlanKey, SandboxBinaries, Output],
        "pgfort-validate" => &[Variables, Output],
        "pgfort-plan" | "pgfort-apply" => {
            &[Connection, Variables, PlanKey, SandboxBinaries, Output]
        }
        "pgfort-drift" | "pgfort-audit" => &[Connection, Variables, SandboxBinaries, Output],
        "pgfort-export" => &[Connection, SandboxBinaries, Output],
        "pgfort-show" => &[PlanKey, Output],
        "pgfort-sandbox" | "pgfort-sandbox-up" | "pgfort-sandbox-env" => &[SandboxBinaries, Output],
        _ => &[Output],
    }
}

/// The variables of `group`, with what pgfort does with each (checked
/// against the code that reads them: `connect::params::from_env`,
/// `PlanKey::from_env`, `sandbox::find_pg_bin`, `cli::output`,
/// `config::variables`, and `--database-url`'s `env`).
fn env_vars(group: EnvGroup) -> &'static [(&'static str, &'static str)] {
    match group {
        EnvGroup::Connection => &[
            (
                "PGFORT_DATABASE_URL",
                "The default of --database-url: a postgres:// URL or a libpq key=value string. \
                 It beats the PG* variables, which beat the configuration's connection block.",
            ),
            (
                "PGHOST",
                "The server's host name, IP address or socket directory.",
            ),
            (
                "PGHOSTADDR",
                "The server's IP address, to connect without a host name lookup.",
            ),
            ("PGPORT", "The server's port (default 5432)."),
            (
                "PGUSER",
                "The role to connect as (default: the operating system user).",
            ),
            (
                "PGPASSWORD",
                "The password. Prefer PGPASSFILE or --password-prompt: the environment of a \
                 process can be read by others.",
            ),
            (
                "PGDATABASE",
                "The database to connect to first (default: the user name).",
            ),
            (
                "PGSSLMODE",
                "disable, prefer (default), require, verify-ca or verify-full.",
            ),
            (
                "PGSSLROOTCERT",
                "The root certificates that verify the server (default ~/.postgresql/root.crt); \
                 system uses the system's bundle (SSL_CERT_FILE, else the usual path) and needs \
                 verify-full.",
            ),
            (
                "PGSSLCERT",
                "The client certificate, for cert authentication (with PGSSLKEY).",
            ),
            (
                "PGSSLKEY",
                "The client certificate's private key (with PGSSLCERT).",
            ),
            (
                "PGPASSFILE",
                "The password file (default ~/.pgpass), read when no password is given; \
                 ignored when group or others may read it.",
            ),
        ],
        EnvGroup::Variables => &[(
            "PGFORT_VAR_name",
            "The value of the variable name, below -var, -var-file and the *.pgfortvars files \
             of the directory, above the variable's default.",
        )],
        EnvGroup::PlanKey => &[(
            "PGFORT_PLAN_KEY",
            "A secret that seals saved plans with HMAC-SHA256 instead of a plain digest: set \
             it when the plan is saved (plan -out) and when it is shown or applied. With it \
             set, a plan saved without it is refused, and the other way round. Empty counts \
             as unset.",
        )],
        EnvGroup::SandboxBinaries => &[(
            "PGFORT_PG_BIN",
            "The directory holding initdb, pg_ctl and postgres, for a new sandbox (sandbox up, \
             sandbox env, --sandbox) when --pg-bin is not given. Otherwise pg_config \
             --bindir, PATH and /usr/lib/postgresql/*/bin are searched.",
        )],
        EnvGroup::Output => &[
            (
                "NO_COLOR",
                "When set, to any value, nothing is coloured (as --no-color).",
            ),
            (
                "PGFORT_PROGRESS_EVERY",
                "Without a terminal, how many seconds between plain progress lines on long \
                 work (default 5; decimals allowed).",
            ),
            (
                "RUST_LOG",
                "Which log lines go to standard error (e.g. pgfort=debug); it overrides -v. \
                 The database driver's statement texts are never logged.",
            ),
        ],
    }
}

/// What the exit codes mean on `page` (see `Outcome::exit_code`; an error
/// is 1; clap exits 2 on an invalid command line). Only the codes that
/// command can return are listed.
fn exit_codes(page: &str) -> Vec<(u8, &'static str)> {
    const ERROR: (u8, &str) = (1, "An error, printed on standard error.");
    const USAGE: (u8, &str) = (
        2,
        "The command line is invalid (an unknown flag, a missing or malformed value); \
         the usage error is printed on standard error.",
    );
    match page {
        "pgfort" => vec![
            (0, "Success, or nothing to do."),
            (
                1,
                "An error, printed on standard error. Also: apply cancelled at its \
                 confirmation prompt, fmt --check found a file to reformat, sandbox status \
                 found no sandbox.",
            ),
            (
                2,
                "plan --detailed-exitcode found changes, or drift found drift. Also: the \
                 command line is invalid (the usage error is printed on standard error).",
            ),
            (
                3,
                "audit: a control of the --fail-on severity (default high) or higher failed.",
            ),
        ],
        "pgfort-validate" => vec![
            (0, "The configuration is valid."),
            (
                1,
                "The configuration has errors, each printed with its file, line and column; \
                 or another error.",
            ),
            USAGE,
        ],
        "pgfort-plan" => vec![
            (
                0,
                "The plan was made; with --detailed-exitcode, it changes nothing.",
            ),
            ERROR,
            (
                2,
                "With --detailed-exitcode: the plan has changes. Also: the command line is \
                 invalid (the usage error is printed on standard error).",
            ),
        ],
        "pgfort-apply" => vec![
            (0, "The changes were applied, or there was nothing to do."),
            (
                1,
                "An error, printed on standard error; or apply was cancelled at its \
                 confirmation prompt.",
            ),
            USAGE,
        ],
        "pgfort-drift" => vec![
            (0, "No drift: the server matches the configuration."),
            ERROR,
            (
                2,
                "Drift: the server differs from the configuration. Also: the command line is \
                 invalid (the usage error is printed on standard error).",
            ),
        ],
        "pgfort-audit" => vec![
            (
                0,
                "No control of the --fail-on severity or higher failed (lower ones may have).",
            ),
            ERROR,
            USAGE,
            (
                3,
                "A control of the --fail-on severity (default high) or higher failed.",
            ),
        ],
        "pgfort-fmt" => vec![
            (
                0,
                "The files were rewritten; with --check, every file is formatted.",
            ),
            (
                1,
                "With --check: a file is not formatted (the names are printed). Or an error.",
            ),
            USAGE,
        ],
        "pgfort-sandbox" => vec![
            (0, "Success."),
            (
                1,
                "An error, printed on standard error; for sandbox status, also no sandbox.",
            ),
            USAGE,
        ],
        "pgfort-sandbox-status" => vec![
            (0, "The sandbox exists (running or stopped)."),
            (1, "There is no sandbox in the directory, or an error."),
            USAGE,
        ],
        _ => vec![(0, "Success."), ERROR, USAGE],
    }
}

/// Two to four command lines per page, as README.md shows them: each a
/// short sentence and the command.
fn examples(page: &str) -> &'static [(&'static str, &'static str)] {
    match page {
        "pgfort" => &[
            (
                "Check a configuration directory without a server:",
                "pgfort validate ./config",
            ),
            (
                "See what would change on the server, then make the changes (apply asks for yes):",
                "pgfort plan ./config\npgfort apply ./config",
            ),
            (
                "Try pgfort on a throwaway local server:",
                "pgfort sandbox up\npgfort apply --sandbox --auto-approve examples/quickstart",
            ),
            (
                "Install this page and one per subcommand:",
                "pgfort man --out /usr/local/share/man/man1",
            ),
        ],
        "pgfort-validate" => &[
            (
                "Check the configuration only, no server:",
                "pgfort validate ./config",
            ),
            (
                "With a variable set on the command line:",
                "pgfort validate -var env=prod ./config",
            ),
        ],
        "pgfort-plan" => &[
            ("What would change:", "pgfort plan ./config"),
            (
                "In CI: exit 0 without changes, 2 with changes, 1 on error:",
                "pgfort plan --detailed-exitcode ./config",
            ),
            (
                "Also save the plan, to review it and apply exactly it later:",
                "pgfort plan -out plan.pgfort ./config",
            ),
            (
                "Only that role, and what it needs:",
                "pgfort plan -target role.app_user ./config",
            ),
        ],
        "pgfort-apply" => &[
            (
                "Make the changes, after answering yes:",
                "pgfort apply ./config",
            ),
            (
                "On merge, exactly the statements of a reviewed saved plan:",
                "pgfort apply --auto-approve plan.pgfort",
            ),
            (
                "Only these objects, and what they need:",
                "pgfort apply -target grant.app_user -target database.myapp ./config",
            ),
        ],
        "pgfort-show" => &[
            (
                "A saved plan and the SQL it runs (no server needed):",
                "pgfort show plan.pgfort",
            ),
            (
                "The same plan as a JSON document:",
                "pgfort show --json plan.pgfort",
            ),
        ],
        "pgfort-drift" => &[
            (
                "What changed behind pgfort's back (exit 0: none, 2: drift, 1: error):",
                "pgfort drift ./config",
            ),
            (
                "As a CI job summary:",
                "pgfort drift --format markdown ./config >> \"$GITHUB_STEP_SUMMARY\"",
            ),
            (
                "As a JSON document (schema/drift.schema.json):",
                "pgfort drift --format json ./config",
            ),
        ],
        "pgfort-fmt" => &[
            (
                "Rewrite the files in canonical layout, comments kept:",
                "pgfort fmt ./config",
            ),
            (
                "In CI: list the files that are not formatted, exit 1 if any:",
                "pgfort fmt --check ./config",
            ),
        ],
        "pgfort-tune" => &[
            (
                "pgtune's settings for a machine, as HCL:",
                "pgfort tune --memory 16GB --cpus 4",
            ),
            (
                "For an OLTP server on NVMe storage, PostgreSQL 16:",
                "pgfort tune --memory 64GB --cpus 16 --workload oltp --storage nvme --pg-version 16",
            ),
        ],
        "pgfort-sandbox" => &[
            ("Create and start the sandbox:", "pgfort sandbox up"),
            (
                "Point psql and other libpq programs at it:",
                "eval \"$(pgfort sandbox env)\"",
            ),
            ("Stop it and remove it:", "pgfort sandbox down --destroy"),
        ],
        "pgfort-sandbox-up" => &[
            (
                "Create (if needed) and start the sandbox in .pgfort/sandbox:",
                "pgfort sandbox up",
            ),
            (
                "With the server programs of a given PostgreSQL, in another directory:",
                "pgfort sandbox up --pg-bin /usr/lib/postgresql/17/bin --dir /tmp/sandbox",
            ),
        ],
        "pgfort-sandbox-down" => &[
            ("Stop the sandbox, keeping its data:", "pgfort sandbox down"),
            (
                "Stop it and remove its directory:",
                "pgfort sandbox down --destroy",
            ),
        ],
        "pgfort-sandbox-status" => &[
            (
                "Whether the sandbox exists and runs:",
                "pgfort sandbox status",
            ),
            (
                "The same for another sandbox directory:",
                "pgfort sandbox status --dir /tmp/sandbox",
            ),
        ],
        "pgfort-sandbox-env" => &[
            (
                "Set PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE and PGSSLMODE for the sandbox:",
                "eval \"$(pgfort sandbox env)\"",
            ),
            (
                "Then any libpq program connects to it:",
                "eval \"$(pgfort sandbox env)\" && psql -c 'select version()'",
            ),
        ],
        "pgfort-audit" => &[
            (
                "Audit a server:",
                "pgfort audit --database-url postgres://admin@db.example.com/app",
            ),
            (
                "The sandbox, as a CI job summary:",
                "pgfort audit --sandbox --format markdown >> \"$GITHUB_STEP_SUMMARY\"",
            ),
            (
                "SARIF, for a code-scanning upload:",
                "pgfort audit --format sarif > pgfort.sarif",
            ),
            (
                "Two controls, exit 3 only when a critical one fails:",
                "pgfort audit --controls 3.1.20,5.12-ext --fail-on critical",
            ),
        ],
        "pgfort-completions" => &[
            (
                "Bash:",
                "pgfort completions bash > /etc/bash_completion.d/pgfort",
            ),
            ("Zsh:", "pgfort completions zsh > \"${fpath[1]}/_pgfort\""),
            (
                "Fish:",
                "pgfort completions fish > ~/.config/fish/completions/pgfort.fish",
            ),
        ],
        "pgfort-man" => &[
            ("Read pgfort(1) now:", "pgfort man | man -l -"),
            (
                "Write pgfort.1 and a page per subcommand where man finds them:",
                "pgfort man --out /usr/local/share/man/man1",
            ),
            (
                "Read one subcommand's page without installing it:",
                "pgfort man --out man1 && man -l man1/pgfort-plan.1",
            ),
        ],
        "pgfort-export" => &[
            (
                "Every database that accepts connections, as *.hcl files:",
                "pgfort export -o adopted",
            ),
            (
                "One database, some kinds of objects:",
                "pgfort export --database app --include roles,grants,policies -o adopted",
            ),
            (
                "Check the files describe the server (exit 0: no changes):",
                "pgfort plan --detailed-exitcode adopted",
            ),
        ],
        "pgfort-schema" => &[
            (
                "The configuration schema, for editors and CI:",
                "pgfort schema config > pgfort.schema.json",
            ),
            ("The plan document's schema:", "pgfort schema plan"),
            (
                "Write all four as NAME.schema.json:",
                "pgfort schema --out schema",
            ),
        ],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_text_from_being_read_as_roff() {
        assert_eq!(escape("plain text"), "plain text");
        assert_eq!(escape(r"a\b"), r"a\eb");
        assert_eq!(escape("--out DIR"), r"\-\-out DIR");
        assert_eq!(escape("pgfort's"), r"pgfort\*(Aqs");
        assert_eq!(escape(".SH oops"), r"\&.SH oops");
        assert_eq!(escape("'br"), r"\*(Aqbr");
        assert_eq!(escape("one\n.two"), "one\n\\&.two");
        assert_eq!(escape("a.b"), "a.b");
        assert_eq!(escape(r"\fBbold"), r"\efBbold");
    }

    #[test]
    fn every_page_has_examples_and_exit_codes_0_and_1() {
        for page in pages(&command()) {
            let name = page_name(&page);
            let count = examples(name).len();
            assert!((2..=4).contains(&count), "{name}: {count} examples");
            let codes: Vec<u8> = exit_codes(name).iter().map(|(code, _)| *code).collect();
            assert!(codes.starts_with(&[0, 1]), "{name}: {codes:?}");
        }
    }

    #[test]
    fn codes_2_and_3_say_which_command_returns_them() {
        let codes = |page: &str| -> Vec<u8> { exit_codes(page).iter().map(|c| c.0).collect() };
        assert_eq!(codes("pgfort"), [0, 1, 2, 3]);
        assert_eq!(codes("pgfort-audit"), [0, 1, 2, 3]);
        assert_eq!(codes("pgfort-apply"), [0, 1, 2]);
        let plan_2 = exit_codes("pgfort-plan")[2].1;
        assert!(plan_2.contains("--detailed-exitcode"), "{plan_2}");
        let fmt_2 = exit_codes("pgfort-fmt")[2].1;
        assert!(!fmt_2.contains("changes"), "{fmt_2}");
    }

    #[test]
    fn see_also_names_the_parents() {
        assert_eq!(
            parent_pages("pgfort-sandbox-up"),
            ["pgfort-sandbox", "pgfort"]
        );
        assert!(parent_pages("pgfort").is_empty());
        assert_eq!(
            see_also_section("pgfort-plan"),
            ".SH \"SEE ALSO\"\npgfort(1)\n"
        );
    }

    #[test]
    fn subcommand_names_hold_no_dash_so_page_names_split_into_parents() {
        for page in pages(&command()).iter().skip(1) {
            let name = page.get_name();
            assert!(!name.contains('-'), "{name}: see parent_pages");
        }
    }

    #[test]
    fn the_help_subcommand_gets_no_page() {
        let names: Vec<String> = pages(&command())
            .iter()
            .map(|page| page_name(page).to_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with("-help")), "{names:?}");
        assert!(names.contains(&"pgfort-sandbox-up".to_owned()), "{names:?}");
    }
}
