//! The sandbox's own files: `sandbox.json`, the superuser password file and
//! pgfort's block in `postgresql.conf`. Pure formatting lives here so it can
//! be tested without a server.

use std::fs;
use std::io::Write;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

use super::SandboxError;
use crate::model::Secret;

/// What `sandbox.json` records, so a later pgfort run can find the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SandboxState {
    pub port: u16,
    pub superuser: String,
    pub pg_bin: PathBuf,
    pub major: u32,
    /// The OS user the server runs as when pgfort runs as root; informative
    /// only (the data directory's owner is authoritative).
    pub run_as: Option<String>,
}

impl SandboxState {
    pub fn read(path: &Path, dir: &Path) -> Result<Self, SandboxError> {
        let text = fs::read_to_string(path).map_err(SandboxError::io(format!(
            "could not read {}",
            path.display()
        )))?;
        serde_json::from_str(&text).map_err(|err| SandboxError::Corrupt {
            path: path.to_path_buf(),
            dir: dir.to_path_buf(),
            message: err.to_string(),
        })
    }

    pub fn write(&self, path: &Path) -> Result<(), SandboxError> {
        let mut text = serde_json::to_string_pretty(self).map_err(|err| SandboxError::Io {
            context: format!("could not encode {}", path.display()),
            source: err.into(),
        })?;
        text.push('\n');
        fs::write(path, text).map_err(SandboxError::io(format!(
            "could not write {}",
            path.display()
        )))
    }
}

/// Length of generated superuser passwords: ~143 bits from 62 symbols.
const PASSWORD_LEN: usize = 24;
const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A random alphanumeric password; alphanumeric so it survives shells,
/// URLs and `export` lines without quoting.
pub(crate) fn generate_password() -> Result<Secret, SandboxError> {
    let rng = SystemRandom::new();
    let mut password = String::with_capacity(PASSWORD_LEN);
    // Bytes at or above this are rejected so every symbol is equally likely.
    let limit = (256 / ALPHANUMERIC.len() * ALPHANUMERIC.len()) as u8;
    while password.len() < PASSWORD_LEN {
        let mut bytes = [0u8; 32];
        rng.fill(&mut bytes).map_err(|_| SandboxError::Random)?;
        for byte in bytes.into_iter().filter(|b| *b < limit) {
            if password.len() < PASSWORD_LEN {
                password.push(char::from(
                    ALPHANUMERIC[usize::from(byte) % ALPHANUMERIC.len()],
                ));
            }
        }
    }
    Ok(Secret::new(password))
}

/// Writes the password file with mode 0600 from the start, so the clear
/// text is never readable by others even briefly. The same file is
/// initdb's `--pwfile`.
pub(crate) fn write_password(path: &Path, password: &Secret) -> Result<(), SandboxError> {
    let context = || format!("could not write {}", path.display());
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(SandboxError::io(context()))?;
    writeln!(file, "{}", password.expose()).map_err(SandboxError::io(context()))
}

pub(crate) fn read_password(path: &Path, dir: &Path) -> Result<Secret, SandboxError> {
    let text = fs::read_to_string(path).map_err(SandboxError::io(format!(
        "could not read {}",
        path.display()
    )))?;
    let password = text.lines().next().unwrap_or_default();
    if password.is_empty() {
        return Err(SandboxError::Corrupt {
            path: path.to_path_buf(),
            dir: dir.to_path_buf(),
            message: "empty password".into(),
        });
    }
    Ok(Secret::new(password))
}

/// Asks the kernel for a free TCP port on 127.0.0.1. The listener is
/// dropped before the server binds, so a race is possible but rare.
pub fn pick_free_port() -> Result<u16, SandboxError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(SandboxError::io("could not find a free port on 127.0.0.1"))?;
    let addr = listener
        .local_addr()
        .map_err(SandboxError::io("could not find a free port on 127.0.0.1"))?;
    Ok(addr.port())
}

const BEGIN: &str = "# BEGIN pgfort sandbox settings (rewritten by pgfort)";
const END: &str = "# END pgfort sandbox settings";

/// `conf` with pgfort's block (re)placed at the end. A block rather than
/// `ALTER SYSTEM` keeps `postgresql.auto.conf` free for the settings pgfort
/// manages on real servers; being last, the block wins over initdb's lines.
pub(crate) fn with_settings_block(
    conf: &str,
    settings: &[(String, String)],
) -> Result<String, SandboxError> {
    let mut out = String::with_capacity(conf.len() + 512);
    let mut inside = false;
    for line in conf.lines() {
        match line.trim() {
            BEGIN => inside = true,
            END => inside = false,
            _ if !inside => {
                out.push_str(line);
                out.push('\n');
            }
            _ => {}
        }
    }
    out.push_str(BEGIN);
    out.push('\n');
    for (name, value) in settings {
        out.push_str(&setting_line(name, value)?);
        out.push('\n');
    }
    out.push_str(END);
    out.push('\n');
    Ok(out)
}

/// `name = 'value'`, quoted for postgresql.conf's lexer; names and values
/// that could break out of the line are refused.
fn setting_line(name: &str, value: &str) -> Result<String, SandboxError> {
    let bad = |message: &str| SandboxError::BadSetting {
        name: name.to_string(),
        message: message.to_string(),
    };
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if !name_ok {
        return Err(bad("names may only contain letters, digits, `_` and `.`"));
    }
    if value.chars().any(char::is_control) {
        return Err(bad("values may not contain control characters"));
    }
    let quoted = value.replace('\\', "\\\\").replace('\'', "''");
    Ok(format!("{name} = '{quoted}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn state_round_trips_through_json() {
        let state = SandboxState {
            port: 54321,
            superuser: "postgres".into(),
            pg_bin: "/usr/lib/postgresql/15/bin".into(),
            major: 15,
            run_as: Some("postgres".into()),
        };
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("sandbox.json");
        state.write(&path).unwrap();
        assert_eq!(SandboxState::read(&path, tmp.path()).unwrap(), state);
        fs::write(&path, "{").unwrap();
        let err = SandboxState::read(&path, tmp.path()).unwrap_err();
        assert!(
            err.to_string().contains("create the sandbox again"),
            "{err}"
        );
    }

    #[test]
    fn passwords_are_24_random_alphanumerics() {
        let a = generate_password().unwrap();
        let b = generate_password().unwrap();
        assert_eq!(a.expose().len(), PASSWORD_LEN);
        assert!(a.expose().bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn password_file_is_private_and_round_trips() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("superuser.password");
        write_password(&path, &Secret::new("abc123")).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(read_password(&path, tmp.path()).unwrap().expose(), "abc123");
    }

    #[test]
    fn picks_a_port_that_can_be_bound() {
        let port = pick_free_port().unwrap();
        assert_ne!(port, 0);
        TcpListener::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
    }

    #[test]
    fn settings_block_is_replaced_not_repeated() {
        let conf = "max_connections = 100\n";
        let once = with_settings_block(conf, &pairs(&[("port", "5433")])).unwrap();
        let twice = with_settings_block(&once, &pairs(&[("port", "5434")])).unwrap();
        assert_eq!(
            twice,
            format!("max_connections = 100\n{BEGIN}\nport = '5434'\n{END}\n")
        );
    }

    #[test]
    fn setting_values_are_quoted_and_names_checked() {
        let line = setting_line("log_line_prefix", r"it's \ %m").unwrap();
        assert_eq!(line, r"log_line_prefix = 'it''s \\ %m'");
        assert!(setting_line("bad name", "x").is_err());
        assert!(setting_line("x", "a\nb = 1").is_err());
    }
}
