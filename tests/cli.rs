//! The command line end to end: validate, fmt, sandbox, verbosity, and a
//! connection that may not read pg_authid.

mod common;

use common::{TestCluster, workdir, write_files};

fn pgfort(dir: &std::path::Path, args: &[&str]) -> common::PgfortOutput {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_pgfort"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run pgfort");
    common::PgfortOutput {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code(),
    }
}

#[test]
fn validate_needs_no_server() {
    let dir = workdir();
    write_files(
        dir.path(),
        &[
            ("a.hcl", "role \"a\" {}\n"),
            ("b.hcl", "role \"b\" {\n  member_of = [\"a\"]\n}\n"),
        ],
    );
    let out = pgfort(dir.path(), &["validate", "."]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.contains("2 file(s), 2 role(s)"),
        "{}",
        out.stdout
    );
}

#[test]
fn validate_needs_no_variable_values_and_names_what_it_did_not_check() {
    let dir = workdir();
    let config = r#"variable "app_password" {
  sensitive = true
}
variable "expiry" {}

role "app_user" {
  login       = true
  password    = var.app_password
  valid_until = var.expiry
}

role "reader" {
  member_of = ["app_user"]
}
"#;
    write_files(dir.path(), &[("main.hcl", config)]);
    let out = pgfort(dir.path(), &["validate", "."]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.contains("1 file(s), 2 role(s)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("variables without a value (app_password, expiry)"),
        "{}",
        out.stdout
    );

    // A value that is given is checked; plan still needs every value.
    let out = pgfort(dir.path(), &["validate", "-var", "expiry=someday", "."]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("main.hcl:9:17: invalid valid_until \"someday\""),
        "{}",
        out.stderr
    );
    let out = pgfort(
        dir.path(),
        &[
            "plan",
            "--database-url",
            "postgres://nobody@127.0.0.1:1/x",
            ".",
        ],
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("no value for variable \"app_password\""),
        "{}",
        out.stderr
    );
}

#[test]
fn validate_reports_every_error_at_once_capped() {
    let dir = workdir();
    let three =
        "role \"a\" {\n  logn = true\n}\n\nrole \"b\" {\n  login = \"yes\"\n}\n\nrloe \"c\" {}\n";
    write_files(dir.path(), &[("main.hcl", three)]);
    let out = pgfort(dir.path(), &["validate", "."]);
    assert_eq!(out.code, Some(1), "{out:?}");
    let errors: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 3, "{}", out.stderr);
    assert!(errors[0].contains("main.hcl:2:3: unknown attribute \"logn\""));
    assert!(errors[1].contains("main.hcl:6:"));
    assert!(errors[2].contains("main.hcl:9:1: unknown block type \"rloe\""));
    assert!(
        out.stderr.contains("  hint: did you mean \"login\"?"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.ends_with("3 errors in the configuration\n"),
        "{}",
        out.stderr
    );

    let many: String = (0..25)
        .map(|i| format!("role \"r{i}\" {{\n  logn = true\n}}\n"))
        .collect();
    write_files(dir.path(), &[("main.hcl", &many)]);
    let out = pgfort(dir.path(), &["validate", "."]);
    assert_eq!(out.code, Some(1), "{out:?}");
    let shown = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .count();
    assert_eq!(shown, 10, "{}", out.stderr);
    assert!(
        out.stderr.ends_with("… and 15 more errors (25 in all)\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn fmt_check_reports_then_fmt_rewrites_keeping_comments() {
    let dir = workdir();
    let messy = "# roles\nrole \"a\" {\nlogin=true\n    connection_limit   = 5 # five\n}\n\n\n\nrole \"b\" {}\n";
    write_files(dir.path(), &[("main.hcl", messy)]);
    let check = pgfort(dir.path(), &["fmt", "--check", "."]);
    assert_eq!(check.code, Some(1), "{check:?}");
    assert!(check.stdout.contains("main.hcl"), "{}", check.stdout);
    // The diff of what fmt would change.
    assert!(
        check.stdout.contains("main.hcl (formatted)")
            && check.stdout.contains("-login=true\n")
            && check.stdout.contains("+  login            = true\n"),
        "{}",
        check.stdout
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("main.hcl")).unwrap(),
        messy,
        "--check changes nothing"
    );

    let fmt = pgfort(dir.path(), &["fmt", "."]);
    assert_eq!(fmt.code, Some(0), "{fmt:?}");
    let formatted = std::fs::read_to_string(dir.path().join("main.hcl")).unwrap();
    assert_eq!(
        formatted,
        "# roles\nrole \"a\" {\n  login            = true\n  connection_limit = 5 # five\n}\n\nrole \"b\" {}\n"
    );
    assert_eq!(pgfort(dir.path(), &["fmt", "--check", "."]).code, Some(0));
}

#[test]
fn sandbox_commands_manage_a_local_server() {
    let dir = workdir();
    let sandbox_dir = dir.path().join("sb");
    let sb = sandbox_dir.to_str().unwrap();
    let status = pgfort(dir.path(), &["sandbox", "status", "--dir", sb]);
    assert_eq!(status.code, Some(1), "{status:?}");

    let up = pgfort(dir.path(), &["sandbox", "up", "--dir", sb]);
    assert_eq!(up.code, Some(0), "{up:?}");
    let status = pgfort(dir.path(), &["sandbox", "status", "--dir", sb]);
    assert!(status.stdout.contains("running"), "{status:?}");

    let env = pgfort(dir.path(), &["sandbox", "env", "--dir", sb]);
    assert!(
        env.stdout.contains("export PGHOST='127.0.0.1'"),
        "{}",
        env.stdout
    );
    assert!(env.stdout.contains("export PGPASSWORD="), "{}", env.stdout);

    write_files(dir.path(), &[("main.hcl", "role \"from_sandbox\" {}\n")]);
    let apply = pgfort(
        dir.path(),
        &[
            "apply",
            "--sandbox",
            "--sandbox-dir",
            sb,
            "--auto-approve",
            ".",
        ],
    );
    assert_eq!(apply.code, Some(0), "{apply:?}");
    let plan = pgfort(
        dir.path(),
        &[
            "plan",
            "--sandbox",
            "--sandbox-dir",
            sb,
            "--detailed-exitcode",
            ".",
        ],
    );
    assert_eq!(plan.code, Some(0), "{plan:?}");

    let down = pgfort(dir.path(), &["sandbox", "down", "--dir", sb, "--destroy"]);
    assert_eq!(down.code, Some(0), "{down:?}");
    assert!(!sandbox_dir.exists());
}

#[test]
fn verbose_logs_never_show_passwords() {
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(
        dir.path(),
        &[(
            "main.hcl",
            "variable \"pw\" {\n  sensitive = true\n}\nrole \"v\" {\n  login    = true\n  password = var.pw\n}\n",
        )],
    );
    let secret = "Sup3r-Secret-Value";
    let out = cluster.pgfort_in(
        dir.path(),
        &[
            "-vv",
            "apply",
            "--auto-approve",
            "--show-sql",
            "-var",
            &format!("pw={secret}"),
            ".",
        ],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stderr.contains("DEBUG") || out.stderr.contains("INFO"),
        "verbose output expected: {}",
        out.stderr
    );
    assert!(
        out.stdout.contains("PASSWORD '(sensitive)'"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret));
    cluster.check_login("v", secret);
}

#[test]
fn without_pg_authid_passwords_are_set_on_create_and_with_rotate() {
    let cluster = TestCluster::start();
    cluster.exec("CREATE ROLE deployer LOGIN CREATEROLE PASSWORD 'deployer-pw'");
    let dir = workdir();
    write_files(
        dir.path(),
        &[(
            "main.hcl",
            "role \"deployer\" {\n  login      = true\n  createrole = true\n}\nrole \"svc\" {\n  login    = true\n  password = env(\"SVC_PW\")\n}\n",
        )],
    );
    let as_deployer = |args: &[&str], password: &str| {
        let output = cluster
            .command()
            .current_dir(dir.path())
            .env("PGUSER", "deployer")
            .env("PGPASSWORD", "deployer-pw")
            .env("SVC_PW", password)
            .args(args)
            .output()
            .expect("run pgfort");
        common::PgfortOutput {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            code: output.status.code(),
        }
    };
    // The deployer's own password is not declared, but it cannot be read
    // either, so it is left alone rather than removed.
    let created = as_deployer(&["apply", "--auto-approve", "."], "first-pw");
    assert_eq!(created.code, Some(0), "{created:?}");
    cluster.check_login("svc", "first-pw");
    cluster.check_login("deployer", "deployer-pw");

    let plan = as_deployer(&["plan", "--detailed-exitcode", "."], "second-pw");
    assert_eq!(plan.code, Some(0), "{plan:?}");
    assert!(
        plan.stdout.contains("cannot be read to compare"),
        "{}",
        plan.stdout
    );

    let rotated = as_deployer(
        &["apply", "--auto-approve", "--rotate-passwords", "."],
        "second-pw",
    );
    assert_eq!(rotated.code, Some(0), "{rotated:?}");
    cluster.check_login("svc", "second-pw");
}

#[test]
fn completions_for_each_shell_and_a_manual_page() {
    let dir = workdir();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef pgfort"),
        ("fish", "complete -c pgfort"),
    ] {
        let out = pgfort(dir.path(), &["completions", shell]);
        assert_eq!(out.code, Some(0), "{out:?}");
        assert!(out.stdout.contains(marker), "{shell}:\n{}", out.stdout);
        for command in ["plan", "apply", "show", "drift"] {
            assert!(out.stdout.contains(command), "{shell} lacks {command}");
        }
    }
    let man = pgfort(dir.path(), &["man"]);
    assert_eq!(man.code, Some(0), "{man:?}");
    assert!(
        man.stdout.starts_with(".ie"),
        "{}",
        &man.stdout[..man.stdout.len().min(200)]
    );
    assert!(man.stdout.contains(".TH pgfort"), "{}", man.stdout);
}

#[test]
fn man_out_writes_a_page_per_subcommand_each_with_exit_status_environment_and_examples() {
    let dir = workdir();
    let out = pgfort(dir.path(), &["man", "--out", "man1"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let man1 = dir.path().join("man1");
    for name in [
        "pgfort",
        "pgfort-plan",
        "pgfort-apply",
        "pgfort-drift",
        "pgfort-audit",
        "pgfort-sandbox",
        "pgfort-sandbox-up",
    ] {
        assert!(man1.join(format!("{name}.1")).is_file(), "{}", out.stdout);
        assert!(
            out.stdout.contains(&format!("wrote man1/{name}.1\n")),
            "{}",
            out.stdout
        );
    }
    assert!(!man1.join("pgfort-help.1").exists(), "{}", out.stdout);

    let pages: Vec<(String, String)> = std::fs::read_dir(&man1)
        .expect("man1")
        .map(|entry| {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read_to_string(&path).expect("page"))
        })
        .collect();
    assert_eq!(pages.len(), out.stdout.lines().count(), "{}", out.stdout);
    for (name, roff) in &pages {
        for heading in [
            ".SH \"EXIT STATUS\"\n",
            ".SH ENVIRONMENT\n",
            ".SH EXAMPLES\n",
        ] {
            assert!(roff.contains(heading), "{name} lacks {heading}");
        }
        for reference in page_references(roff) {
            assert!(
                man1.join(format!("{reference}.1")).is_file(),
                "{name} refers to {reference}(1), which was not written"
            );
        }
    }
    let page = |name: &str| {
        let (_, roff) = pages.iter().find(|(n, _)| n == name).expect(name);
        roff.as_str()
    };
    let main_references = page_references(page("pgfort.1"));
    assert!(
        main_references.contains(&"pgfort-plan".to_owned()),
        "{main_references:?}"
    );
    assert!(
        page_references(page("pgfort-sandbox-up.1")).contains(&"pgfort-sandbox".to_owned()),
        "{}",
        page("pgfort-sandbox-up.1")
    );

    let plan_exit = section(page("pgfort-plan.1"), ".SH \"EXIT STATUS\"");
    assert!(plan_exit.contains("\\fB2\\fR\n"), "{plan_exit}");
    assert!(plan_exit.contains("detailed"), "{plan_exit}");
    assert!(!plan_exit.contains("\\fB3\\fR"), "{plan_exit}");
    let audit_exit = section(page("pgfort-audit.1"), ".SH \"EXIT STATUS\"");
    assert!(audit_exit.contains("\\fB3\\fR\n"), "{audit_exit}");
    let drift_exit = section(page("pgfort-drift.1"), ".SH \"EXIT STATUS\"");
    assert!(drift_exit.contains("Drift"), "{drift_exit}");
    let plan_env = section(page("pgfort-plan.1"), ".SH ENVIRONMENT");
    assert!(plan_env.contains("\\fBPGHOST\\fR"), "{plan_env}");
    assert!(plan_env.contains("\\fBPGFORT_PLAN_KEY\\fR"), "{plan_env}");
    let fmt_env = section(page("pgfort-fmt.1"), ".SH ENVIRONMENT");
    assert!(!fmt_env.contains("PGHOST"), "{fmt_env}");

    // Without --out, the same main page goes to standard output.
    let printed = pgfort(dir.path(), &["man"]);
    assert_eq!(printed.code, Some(0), "{printed:?}");
    assert_eq!(printed.stdout, page("pgfort.1"));

    let checked = std::process::Command::new("man").arg("--version").output();
    if let Err(error) = checked {
        eprintln!("skipping the `man -l --warnings` check: man is not runnable ({error})");
        return;
    }
    for (name, _) in &pages {
        let rendered = std::process::Command::new("man")
            .args(["-l", "--warnings", "-E", "UTF-8"])
            .arg(man1.join(name))
            .stdout(std::process::Stdio::null())
            .output()
            .expect("run man");
        let warnings = String::from_utf8_lossy(&rendered.stderr);
        assert!(rendered.status.success(), "{name}: {warnings}");
        assert!(warnings.is_empty(), "{name}:\n{warnings}");
    }
}

/// The `pgfort…(1)` pages a roff page refers to; clap_mangen and pgfort
/// write the dash of a page name as `\-`.
fn page_references(roff: &str) -> Vec<String> {
    let text = roff.replace("\\-", "-");
    text.match_indices("(1)")
        .filter_map(|(at, _)| {
            let start = text[..at]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .map_or(0, |i| i + 1);
            let name = &text[start..at];
            name.starts_with("pgfort").then(|| name.to_owned())
        })
        .collect()
}

/// A page's section: from `heading` to the next `.SH`.
fn section<'a>(roff: &'a str, heading: &str) -> &'a str {
    let start = roff.find(heading).unwrap_or_else(|| panic!("no {heading}"));
    let body = &roff[start + heading.len()..];
    body.find("\n.SH ").map_or(body, |end| &body[..end])
}

#[test]
fn apply_refuses_a_file_that_is_not_a_saved_plan() {
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", "role \"a\" {}\n")]);
    let out = pgfort(dir.path(), &["apply", "--auto-approve", "main.hcl"]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("main.hcl is a file but not a saved pgfort plan"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("plan -out FILE"), "{}", out.stderr);
}

#[test]
fn schema_prints_one_or_writes_them_all() {
    let dir = workdir();
    let config = pgfort(dir.path(), &["schema", "config"]);
    assert_eq!(config.code, Some(0), "{config:?}");
    let parsed: serde_json::Value = serde_json::from_str(&config.stdout).expect("JSON");
    assert_eq!(parsed["title"], "pgfort configuration");

    let out = pgfort(dir.path(), &["schema", "--out", "schemas"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    for name in ["config", "plan", "drift", "audit"] {
        let file = format!("{name}.schema.json");
        let written = std::fs::read_to_string(dir.path().join("schemas").join(&file)).unwrap();
        assert_eq!(
            written,
            std::fs::read_to_string(committed.join(&file)).unwrap(),
            "{file} is stale: run `cargo run -- schema --out schema`"
        );
        assert!(out.stdout.contains(&file), "{}", out.stdout);
    }

    let neither = pgfort(dir.path(), &["schema"]);
    assert_eq!(neither.code, Some(2), "{neither:?}");
    let unknown = pgfort(dir.path(), &["schema", "plans"]);
    assert_eq!(unknown.code, Some(2), "{unknown:?}");
}

/// Log lines are plain text when stderr is not a terminal, even without
/// NO_COLOR or --no-color (CI logs, files).
#[test]
fn log_lines_are_not_coloured_off_a_terminal() {
    use std::os::unix::fs::PermissionsExt as _;
    let cluster = TestCluster::start();
    let dir = workdir();
    write_files(dir.path(), &[("main.hcl", "role \"log_probe\" {}\n")]);
    let pgpass = dir.path().join("pgpass");
    std::fs::write(&pgpass, "*:*:*:*:not-the-password\n").unwrap();
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = cluster
        .command()
        .current_dir(dir.path())
        .env_remove("NO_COLOR")
        .env_remove("PGPASSWORD")
        .env("PGPASSFILE", &pgpass)
        .args(["plan", "."])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("WARN") && stderr.contains("group or world access"),
        "{stderr}"
    );
    assert!(!stderr.contains('\x1b'), "{stderr:?}");
}

/// A directory of saved plans names its servers: flags that would aim it
/// elsewhere are refused before any plan is read.
#[test]
fn saved_plan_directories_cannot_be_retargeted() {
    let dir = workdir();
    write_files(dir.path(), &[("plans/db01.pgfortplan", "not read")]);
    for flag in [
        &["--env", "prod"][..],
        &["--database-url", "postgres://elsewhere/db"],
        &["--sandbox"],
    ] {
        let mut args = vec!["apply", "plans"];
        args.extend_from_slice(flag);
        let out = pgfort(dir.path(), &args);
        assert_eq!(out.code, Some(1), "{flag:?}: {out:?}");
        assert!(
            out.stderr.contains("cannot aim them elsewhere") && out.stderr.contains(flag[0]),
            "{flag:?}: {out:?}"
        );
    }
}
