//! ldap2pg 5.9 as a peer: installed in a venv, configured for the same workload.
//!
//! ldap2pg 5.9 is the last Python release (6.x is a Go rewrite with another
//! YAML format). Its configuration here has no LDAP at all: every role is
//! static in `sync_map`, and the privileges are ldap2pg's well-known ones
//! (`__connect__`, `__usage_on_schemas__`, `__select_on_tables__` = on all
//! tables + default privileges, …).
//!
//! How the scope is narrowed, as far as 5.9 allows:
//!
//! - `databases_query: [appdb]` and `schemas_query: [app]`: privileges are
//!   inspected and granted in appdb.app only (database privileges on appdb).
//! - `owners_query: [app_owner]`: default privileges are managed for
//!   objects that app_owner creates in app.
//! - `managed_roles_query`: only app_owner, readers, writers and `uNNNNN`
//!   are managed, so no other role is ever dropped, altered or has its
//!   grants revoked — `public` included (ldap2pg manages it by default).
//! - `roles_blacklist_query`: ldap2pg's default list (`pg_*`, `postgres`,
//!   `rds_*`, `rds*admin`); ldap2pg also blacklists the role it runs as.
//!
//! Two things differ from what pgfort declares:
//!
//! - ldap2pg can only compute default privileges for owners that it manages
//!   (`owners_query` ∩ roles of the `sync_map`), so app_owner is declared as
//!   a role (NOLOGIN, as the bench creates it). ldap2pg then also sets its
//!   comment to "Managed by ldap2pg" (one change in the first run).
//! - A managed role's privileges are compared with the ACLs as they are
//!   written, owner entries included, so app_owner's own (implicit) rights
//!   would be revoked. The `owner_implicit` group grants app_owner what it
//!   has as the owner anyway: a no-op, except that the first run spells out
//!   the ACL (`GRANT … TO app_owner`) where it was still NULL.
//!
//! A drift on one table (`REVOKE UPDATE ON app.t0001 FROM writers`) shows in
//! ldap2pg as `GRANT UPDATE ON ALL TABLES IN SCHEMA app TO writers`: ldap2pg
//! manages "all tables in a schema" as one privilege.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The version the bench measures.
pub const VERSION: &str = "5.9";

/// Debian packages python-ldap needs to build (it ships no wheels).
const DEBIAN_PACKAGES: &[&str] = &["libldap2-dev", "libsasl2-dev"];

pub struct Ldap2pg {
    /// `…/ldap2pg-5.9-venv/bin/ldap2pg`
    pub bin: PathBuf,
    /// `work/ldap2pg.yml`
    pub config: PathBuf,
}

impl Ldap2pg {
    /// Installs ldap2pg 5.9 into `cache_dir/ldap2pg-5.9-venv` when not there yet
    /// (python3 -m venv; pip install ldap2pg==5.9; it needs Debian packages
    /// libldap2-dev libsasl2-dev, which it installs with `apt-get install -y`
    /// when missing and running as root, else returns a clear error saying what to install),
    /// and writes the ldap2pg configuration for `users` users into `work`.
    pub fn prepare(cache_dir: &Path, work: &Path, users: usize) -> Result<Ldap2pg, Box<dyn Error>> {
        let venv = cache_dir.join(format!("ldap2pg-{VERSION}-venv"));
        let bin = venv.join("bin").join("ldap2pg");
        if !installed(&bin) {
            install(&venv)?;
            if !installed(&bin) {
                return Err(format!(
                    "ldap2pg {VERSION} was installed in {} but `{} --version` does not report it",
                    venv.display(),
                    bin.display()
                )
                .into());
            }
        }
        std::fs::create_dir_all(work)?;
        let config = work.join("ldap2pg.yml");
        std::fs::write(&config, config_yaml(users))?;
        Ok(Ldap2pg { bin, config })
    }

    /// The command for one run: dry run (`real == false`, ldap2pg's default) or `--real`.
    /// The caller adds the libpq environment (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE=postgres).
    pub fn command(&self, real: bool) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.arg("--config").arg(&self.config);
        if real {
            cmd.arg("--real");
        }
        // ldap2pg also reads settings from plain variables (its DSN from
        // PGDSN before libpq's PG*, DRY, COLOR, VERBOSITY, …): keep any
        // that the bench's own environment has out of the measurement.
        for var in [
            "PGDSN",
            "POSTGRES_DSN",
            "LDAP2PG_CONFIG",
            "DRY",
            "REAL",
            "CHECK",
            "COLOR",
            "VERBOSE",
            "VERBOSITY",
            "DEBUG",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }

    /// Parses ldap2pg's output (stdout+stderr) of a run into the number of changes
    /// (queries it would run / ran), so the bench can check that a no-op run really has 0.
    ///
    /// ldap2pg logs each query it runs (or, dry, would run) once at its own
    /// level CHANGE: `2026-12-03 10:52:16,655 CHANGE:  Grant … to writers.`
    /// (`Would grant …` when dry). Those lines are counted. From 20 queries
    /// on it also logs `Generated N querie(s).` at INFO, which wins when present.
    pub fn changes(output: &str) -> usize {
        let mut counted = 0;
        let mut generated = None;
        for line in output.lines() {
            let line = strip_ansi(line);
            if line.contains(" CHANGE:  ") {
                counted += 1;
            } else if let Some(rest) = line.split("Generated ").nth(1)
                && let Some(n) = rest.strip_suffix(" querie(s).")
                && let Ok(n) = n.trim().parse::<usize>()
            {
                generated = Some(n);
            }
        }
        generated.unwrap_or(counted)
    }
}

/// The ldap2pg YAML for the bench workload with `users` login roles.
pub fn config_yaml(users: usize) -> String {
    let mut yaml = String::from(CONFIG_HEAD);
    let names = |parity: usize| {
        (1..=users)
            .filter(|i| i % 2 == parity)
            .map(|i| format!("u{i:05}"))
            .collect::<Vec<_>>()
    };
    let (readers, writers) = (names(1), names(0));
    yaml.push_str(
        "sync_map:\n- roles:\n  - names: [app_owner, readers, writers]\n    options: NOLOGIN\n",
    );
    for (members, group) in [(&readers, "readers"), (&writers, "writers")] {
        if members.is_empty() {
            continue;
        }
        yaml.push_str("  - names: [");
        yaml.push_str(&members.join(", "));
        yaml.push_str(&format!("]\n    options: LOGIN\n    parents: [{group}]\n"));
    }
    yaml.push_str(CONFIG_GRANTS);
    yaml
}

const CONFIG_HEAD: &str = r#"# ldap2pg 5.9 configuration written by pgfort's bench (no LDAP: static roles).
version: 5
postgres:
  databases_query: [appdb]
  schemas_query: [app]
  owners_query: [app_owner]
  roles_blacklist_query: ['pg_*', postgres, 'rds_*', 'rds*admin']
  managed_roles_query: |
    SELECT rolname FROM pg_catalog.pg_roles
    WHERE rolname IN ('app_owner', 'readers', 'writers')
       OR rolname ~ '^u[0-9]{5}$'
privileges:
  ro:
  - __connect__
  - __usage_on_schemas__
  - __select_on_tables__
  - __select_on_sequences__
  rw:
  - __connect__
  - __usage_on_schemas__
  - __select_on_tables__
  - __insert_on_tables__
  - __update_on_tables__
  - __delete_on_tables__
  - __select_on_sequences__
  - __usage_on_sequences__
  - __update_on_sequences__
  # What app_owner holds as the owner anyway (see peer_ldap2pg.rs): without
  # it ldap2pg would revoke the owner's explicit ACL entries.
  owner_implicit:
  - __connect__
  - __usage_on_schemas__
  - __select_on_all_tables__
  - __insert_on_all_tables__
  - __update_on_all_tables__
  - __delete_on_all_tables__
  - __select_on_all_sequences__
  - __usage_on_all_sequences__
  - __update_on_all_sequences__
"#;

const CONFIG_GRANTS: &str = r#"  grant:
  - privilege: ro
    role: readers
    database: appdb
    schema: app
  - privilege: rw
    role: writers
    database: appdb
    schema: app
  - privilege: owner_implicit
    role: app_owner
    database: appdb
    schema: app
"#;

fn installed(bin: &Path) -> bool {
    Command::new(bin)
        .arg("--version")
        .output()
        .map(|out| {
            out.status.success()
                && String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .next()
                    .is_some_and(|l| l.trim() == format!("ldap2pg {VERSION}"))
        })
        .unwrap_or(false)
}

fn install(venv: &Path) -> Result<(), Box<dyn Error>> {
    ensure_debian_packages()?;
    if let Some(parent) = venv.parent() {
        std::fs::create_dir_all(parent)?;
    }
    // A half-made venv from an earlier failure: start over.
    if venv.exists() {
        std::fs::remove_dir_all(venv)?;
    }
    eprintln!("ldap2pg: installing {VERSION} into {}…", venv.display());
    let result = (|| {
        run(
            Command::new("python3").arg("-m").arg("venv").arg(venv),
            "python3 -m venv",
        )?;
        // ldap2pg needs psycopg2 but does not declare it (to let one choose
        // psycopg2 or psycopg2-binary); the binary wheel needs no libpq-dev.
        run(
            Command::new(venv.join("bin").join("python"))
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .arg(format!("ldap2pg=={VERSION}"))
                .arg("psycopg2-binary"),
            &format!("pip install ldap2pg=={VERSION} psycopg2-binary"),
        )
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(venv);
    }
    result
}

fn run(cmd: &mut Command, what: &str) -> Result<(), Box<dyn Error>> {
    let out = cmd
        .output()
        .map_err(|e| format!("ldap2pg install: cannot run {what}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
    Err(format!(
        "ldap2pg install: {what} failed ({}):\n{}",
        out.status,
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    )
    .into())
}

/// python-ldap builds from source: it needs the LDAP and SASL headers.
fn ensure_debian_packages() -> Result<(), Box<dyn Error>> {
    let missing: Vec<&str> = DEBIAN_PACKAGES
        .iter()
        .copied()
        .filter(|pkg| {
            !Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", pkg])
                .output()
                .is_ok_and(|o| {
                    o.status.success()
                        && String::from_utf8_lossy(&o.stdout).contains("install ok installed")
                })
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        return Err(format!(
            "ldap2pg {VERSION} needs the Debian packages {0} to build python-ldap; \
             install them first: sudo apt-get install -y {0}",
            missing.join(" ")
        )
        .into());
    }
    eprintln!("ldap2pg: apt-get install -y {}…", missing.join(" "));
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let mut install = vec!["install", "-y", "-q"];
    install.extend(&missing);
    // A fresh machine may have no package lists yet: update once and retry.
    if apt(&install) || (apt(&["update", "-q"]) && apt(&install)) {
        Ok(())
    } else {
        Err(format!(
            "ldap2pg {VERSION} needs the Debian packages {0}, and `apt-get install -y {0}` failed",
            missing.join(" ")
        )
        .into())
    }
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ params… final byte in @..~
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) && c != '[' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_change_lines() {
        let dry = "2026-12-03 10:52:04,930 WARNING:  Running in dry mode. Postgres will be untouched.\n\
                   2026-12-03 10:52:04,955 CHANGE:  Would create readers.\n\
                   2026-12-03 10:52:05,007 CHANGE:  Would grant __connect__ on appdb to writers.\n\
                   2026-12-03 10:52:05,007 INFO:  Comparison complete.\n";
        assert_eq!(Ldap2pg::changes(dry), 2);
        let noop = "2026-12-03 10:52:36,670 INFO:  Nothing to do.\n";
        assert_eq!(Ldap2pg::changes(noop), 0);
        let many = "x CHANGE:  Grant a.\n2026-12-03 10:52:05,007 INFO:  Generated 77 querie(s).\n";
        assert_eq!(Ldap2pg::changes(many), 77);
        let coloured =
            "\u{1b}[0;1;39m2026-12-03 10:52:04,955 CHANGE:  Would create readers.\u{1b}[0m\n";
        assert_eq!(Ldap2pg::changes(coloured), 1);
    }

    #[test]
    fn yaml_lists_users_by_group() {
        let y = config_yaml(3);
        assert!(
            y.contains("  - names: [u00001, u00003]\n    options: LOGIN\n    parents: [readers]\n")
        );
        assert!(y.contains("  - names: [u00002]\n    options: LOGIN\n    parents: [writers]\n"));
    }
}
