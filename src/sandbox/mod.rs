//! Throwaway local PostgreSQL clusters: the `--sandbox` target and the test
//! harness. Never touches a configured server.
//!
//! A sandbox is a directory holding `data/` (PGDATA), `sandbox.json` (port,
//! superuser, binaries), `superuser.password` (mode 0600), `server.log` and
//! `socket/`. It listens on 127.0.0.1 only, with scram-sha-256 everywhere,
//! so using it exercises the same password path as a real server.

mod bin;
mod error;
mod files;
mod os_user;
mod server;

use std::env;
use std::fs;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub use bin::{PG_BIN_ENV, find_pg_bin, pg_major};
pub use error::SandboxError;
pub use files::pick_free_port;

use crate::model::Secret;
use files::SandboxState;
use os_user::OsUser;

/// The only address a sandbox listens on.
pub const HOST: &str = "127.0.0.1";
/// The bootstrap superuser initdb creates.
pub const SUPERUSER: &str = "postgres";

const DATA: &str = "data";
const STATE: &str = "sandbox.json";
const PASSWORD: &str = "superuser.password";
const LOG: &str = "server.log";
const SOCKET: &str = "socket";
/// Seconds to wait for the server to start or stop.
const PG_CTL_TIMEOUT_SECS: u64 = 30;
/// Longest Unix socket path the kernel accepts (sun_path minus the NUL).
const MAX_SOCKET_PATH: usize = 107;
/// How much of server.log a start failure quotes.
const LOG_TAIL_LINES: usize = 20;

/// How to create a sandbox. Unset fields keep an existing sandbox's choice
/// or fall back to a default (newest binaries, a free port).
#[derive(Debug, Clone, Default)]
pub struct SandboxOptions {
    /// Directory holding initdb, pg_ctl and postgres.
    pub pg_bin: Option<PathBuf>,
    pub port: Option<u16>,
    /// Extra postgresql.conf settings, e.g. `("log_statement", "all")`.
    pub settings: Vec<(String, String)>,
}

/// pg_ctl's shutdown modes that a sandbox uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StopMode {
    /// Disconnect clients and shut down cleanly.
    #[default]
    Fast,
    /// Kill the server at once; for throwaway test clusters.
    Immediate,
}

/// A local cluster persisted in a directory. `Debug` never shows the
/// password.
#[derive(Debug, Clone)]
pub struct Sandbox {
    dir: PathBuf,
    state: SandboxState,
    password: Secret,
    /// `None` runs the server as the current user.
    server_user: Option<OsUser>,
}

impl Sandbox {
    /// Creates the sandbox in `dir`, or reconfigures the one already there
    /// (it must be stopped). initdb runs only when `data/` does not exist,
    /// so an existing cluster and its password are kept.
    pub fn create(dir: &Path, options: &SandboxOptions) -> Result<Sandbox, SandboxError> {
        let dir = absolute_dir(dir)?;
        let state_path = dir.join(STATE);
        let existing = if state_path.exists() {
            Some(SandboxState::read(&state_path, &dir)?)
        } else {
            None
        };
        let pg_bin = match (&options.pg_bin, &existing) {
            (Some(explicit), _) => find_pg_bin(Some(explicit))?,
            (None, Some(state)) => state.pg_bin.clone(),
            (None, None) => find_pg_bin(None)?,
        };
        let major = pg_major(&pg_bin)?;
        let port = match (options.port, &existing) {
            (Some(port), _) => port,
            (None, Some(state)) => state.port,
            (None, None) => pick_free_port()?,
        };

        let data_dir = dir.join(DATA);
        let has_data = data_dir.exists();
        let password_path = dir.join(PASSWORD);
        let password = if password_path.exists() {
            files::read_password(&password_path, &dir)?
        } else if has_data {
            return Err(SandboxError::Corrupt {
                path: password_path,
                dir,
                message: "the cluster exists but its password file is missing".into(),
            });
        } else {
            let password = files::generate_password()?;
            files::write_password(&password_path, &password)?;
            password
        };

        let server_user = os_user::choose_server_user(&data_dir)?;
        let sandbox = Sandbox {
            state: SandboxState {
                port,
                superuser: SUPERUSER.to_string(),
                pg_bin,
                major,
                run_as: server_user.as_ref().map(|user| user.name.clone()),
            },
            dir,
            password,
            server_user,
        };
        if has_data && sandbox.is_running() {
            return Err(SandboxError::Running { dir: sandbox.dir });
        }
        sandbox.hand_over()?;
        if !has_data {
            sandbox.initdb()?;
        }
        sandbox.configure(&options.settings)?;
        sandbox.state.write(&state_path)?;
        sandbox.hand_over()?;
        Ok(sandbox)
    }

    /// Creates a sandbox in `dir` by copying the stopped `template`'s cluster
    /// (and password) instead of running initdb: much faster, which is what
    /// the test harness needs.
    pub fn create_from(
        template: &Sandbox,
        dir: &Path,
        options: &SandboxOptions,
    ) -> Result<Sandbox, SandboxError> {
        if template.is_running() {
            return Err(SandboxError::TemplateRunning {
                dir: template.dir.clone(),
            });
        }
        let dir = absolute_dir(dir)?;
        let data_dir = dir.join(DATA);
        if data_dir.exists() {
            return Err(SandboxError::Io {
                context: format!("could not copy a cluster into {}", dir.display()),
                source: io::ErrorKind::AlreadyExists.into(),
            });
        }
        // `cp -a` keeps the owner and modes postgres insists on. Sparse
        // copying skips the zeros of the preallocated WAL segment, a third
        // of a fresh cluster's size.
        let mut copy = Command::new("cp");
        copy.arg("-a");
        if cfg!(target_os = "linux") {
            copy.arg("--sparse=always");
        }
        copy.arg(template.data_dir()).arg(&data_dir);
        run(&mut copy, Path::new("cp"))?;
        files::write_password(&dir.join(PASSWORD), &template.password)?;
        let options = SandboxOptions {
            pg_bin: Some(
                options
                    .pg_bin
                    .clone()
                    .unwrap_or_else(|| template.pg_bin().into()),
            ),
            ..options.clone()
        };
        Sandbox::create(&dir, &options)
    }

    /// The sandbox in `dir`, or `None` when there is none.
    pub fn open(dir: &Path) -> Result<Option<Sandbox>, SandboxError> {
        let state_path = dir.join(STATE);
        if !state_path.exists() {
            return Ok(None);
        }
        let dir = dir.canonicalize().map_err(SandboxError::io(format!(
            "could not resolve {}",
            dir.display()
        )))?;
        let state = SandboxState::read(&state_path, &dir)?;
        let password = files::read_password(&dir.join(PASSWORD), &dir)?;
        let server_user = os_user::choose_server_user(&dir.join(DATA))?;
        Ok(Some(Sandbox {
            dir,
            state,
            password,
            server_user,
        }))
    }

    /// Stops the server (immediately: its data is being discarded) and
    /// deletes the whole sandbox directory.
    pub fn destroy(self) -> Result<(), SandboxError> {
        self.stop_with(StopMode::Immediate)?;
        fs::remove_dir_all(&self.dir).map_err(SandboxError::io(format!(
            "could not remove {}",
            self.dir.display()
        )))
    }

    pub fn port(&self) -> u16 {
        self.state.port
    }

    pub fn host(&self) -> &'static str {
        HOST
    }

    pub fn superuser(&self) -> &str {
        &self.state.superuser
    }

    /// The superuser's password; see [`Secret::expose`] for the clear text.
    pub fn password(&self) -> &Secret {
        &self.password
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.join(DATA)
    }

    pub fn log_file(&self) -> PathBuf {
        self.dir.join(LOG)
    }

    pub fn pg_bin(&self) -> &Path {
        &self.state.pg_bin
    }

    pub fn major(&self) -> u32 {
        self.state.major
    }

    /// The Unix socket directory, or `None` when the sandbox path is too
    /// long for a socket path and the server listens on TCP only.
    pub fn socket_dir(&self) -> Option<PathBuf> {
        let dir = self.dir.join(SOCKET);
        let socket = dir.join(format!(".s.PGSQL.{}", self.port()));
        (socket.as_os_str().len() <= MAX_SOCKET_PATH).then_some(dir)
    }

    /// libpq environment variables that point a client at this sandbox,
    /// for `export` lines and for running pgfort in tests. This includes
    /// the clear-text password as PGPASSWORD, so print it only on request.
    pub fn env_vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("PGHOST", HOST.to_string()),
            ("PGPORT", self.port().to_string()),
            ("PGUSER", self.superuser().to_string()),
            ("PGPASSWORD", self.password.expose().to_string()),
            ("PGDATABASE", "postgres".to_string()),
            ("PGSSLMODE", "disable".to_string()),
        ]
    }

    /// A server program set up to run as the server user, in the sandbox
    /// directory (its cwd must be readable by that user), with the caller's
    /// libpq variables removed so they cannot redirect it.
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.state.pg_bin.join(program));
        for (name, _) in env::vars_os() {
            if name.to_string_lossy().starts_with("PG") {
                cmd.env_remove(name);
            }
        }
        cmd.env("LC_ALL", "C")
            .current_dir(&self.dir)
            .stdin(Stdio::null());
        if let Some(user) = &self.server_user {
            cmd.uid(user.uid)
                .gid(user.gid)
                .env("HOME", &self.dir)
                .env("USER", &user.name)
                .env("LOGNAME", &user.name);
        }
        cmd
    }

    /// Makes the sandbox directory the server user's, after checking that
    /// user can reach it. A no-op when not root.
    fn hand_over(&self) -> Result<(), SandboxError> {
        if let Some(user) = &self.server_user {
            os_user::check_traversable(&self.dir, user)?;
            os_user::chown_tree(&self.dir, user)?;
        }
        Ok(())
    }

    fn initdb(&self) -> Result<(), SandboxError> {
        let mut cmd = self.command("initdb");
        cmd.arg("-D")
            .arg(self.data_dir())
            .arg("--auth=scram-sha-256")
            .arg(format!("--username={SUPERUSER}"))
            .arg(format!("--pwfile={}", self.dir.join(PASSWORD).display()))
            .args(["--encoding=UTF8", "--locale=C", "--no-sync"]);
        tracing::debug!(dir = %self.dir.display(), "running initdb");
        run(&mut cmd, &self.state.pg_bin.join("initdb")).map(drop)
    }

    /// Writes pgfort's block into postgresql.conf: loopback only, this
    /// sandbox's port and socket, no fsync (it is throwaway), then `extra`.
    fn configure(&self, extra: &[(String, String)]) -> Result<(), SandboxError> {
        let socket_dir = match self.socket_dir() {
            Some(dir) => {
                fs::create_dir_all(&dir).map_err(SandboxError::io(format!(
                    "could not create {}",
                    dir.display()
                )))?;
                dir.display().to_string()
            }
            None => {
                tracing::warn!(dir = %self.dir.display(), "path too long for a Unix socket; TCP only");
                String::new()
            }
        };
        let mut settings = vec![
            ("listen_addresses".to_string(), HOST.to_string()),
            ("port".to_string(), self.port().to_string()),
            ("unix_socket_directories".to_string(), socket_dir),
            ("fsync".to_string(), "off".to_string()),
        ];
        settings.extend(extra.iter().cloned());
        let conf_path = self.data_dir().join("postgresql.conf");
        let conf = fs::read_to_string(&conf_path).map_err(SandboxError::io(format!(
            "could not read {}",
            conf_path.display()
        )))?;
        let conf = files::with_settings_block(&conf, &settings)?;
        fs::write(&conf_path, conf).map_err(SandboxError::io(format!(
            "could not write {}",
            conf_path.display()
        )))
    }
}

/// Creates `dir` if needed and returns its absolute, symlink-free path,
/// which goes into postgresql.conf and must not depend on the cwd.
fn absolute_dir(dir: &Path) -> Result<PathBuf, SandboxError> {
    fs::create_dir_all(dir).map_err(SandboxError::io(format!(
        "could not create {}",
        dir.display()
    )))?;
    dir.canonicalize().map_err(SandboxError::io(format!(
        "could not resolve {}",
        dir.display()
    )))
}

/// Runs `cmd`, turning a non-zero exit into an error that quotes its output.
fn run(cmd: &mut Command, program: &Path) -> Result<Output, SandboxError> {
    let output = cmd.output().map_err(|source| SandboxError::Spawn {
        program: program.to_path_buf(),
        source,
    })?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(SandboxError::CommandFailed {
            program: program.to_path_buf(),
            status: output.status.to_string(),
            output: combined(&output),
        })
    }
}

fn combined(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    format!("{}\n{}", stdout.trim(), stderr.trim())
        .trim()
        .to_string()
}

/// The file's contents from byte `offset`, or "" when unreadable.
fn read_from(path: &Path, offset: u64) -> String {
    let mut bytes = Vec::new();
    let read = fs::File::open(path).and_then(|mut file| {
        file.seek(SeekFrom::Start(offset))?;
        file.read_to_end(&mut bytes)
    });
    match read {
        Ok(_) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
        assert_eq!(tail("", 5), "");
    }

    #[test]
    fn debug_and_env_handle_the_password_deliberately() {
        let sandbox = Sandbox {
            dir: "/tmp/x".into(),
            state: SandboxState {
                port: 5555,
                superuser: SUPERUSER.into(),
                pg_bin: "/usr/lib/postgresql/15/bin".into(),
                major: 15,
                run_as: None,
            },
            password: Secret::new("s3cretPassw0rd"),
            server_user: None,
        };
        assert!(!format!("{sandbox:?}").contains("s3cretPassw0rd"));
        let env = sandbox.env_vars();
        assert!(env.contains(&("PGPORT", "5555".into())));
        assert!(env.contains(&("PGPASSWORD", "s3cretPassw0rd".into())));
        assert_eq!(sandbox.socket_dir(), Some(PathBuf::from("/tmp/x/socket")));
        let long = Sandbox {
            dir: PathBuf::from("/tmp").join("d".repeat(100)),
            ..sandbox
        };
        assert_eq!(long.socket_dir(), None);
    }
}
