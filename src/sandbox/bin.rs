//! Locating PostgreSQL server binaries. Distributions put them in different
//! places and rarely on PATH, so several conventional spots are searched.

use std::env;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::SandboxError;

/// The programs a sandbox needs; a directory counts only if it has all three.
const SERVER_PROGRAMS: [&str; 3] = ["initdb", "pg_ctl", "postgres"];

/// Environment variable naming the server binary directory.
pub const PG_BIN_ENV: &str = "PGFORT_PG_BIN";

/// Finds the directory holding `initdb`, `pg_ctl` and `postgres`.
///
/// Order: `explicit`; `$PGFORT_PG_BIN`; `pg_config --bindir`; a PATH entry
/// (symlinks resolved); `/usr/lib/postgresql/*/bin` and `/usr/pgsql-*/bin`,
/// newest major first. An explicit choice that is wrong is an error rather
/// than a silent fallback, so the user learns their setting is ignored.
pub fn find_pg_bin(explicit: Option<&Path>) -> Result<PathBuf, SandboxError> {
    if let Some(dir) = explicit {
        return checked(dir, "--pg-bin");
    }
    if let Some(dir) = env::var_os(PG_BIN_ENV).filter(|v| !v.is_empty()) {
        return checked(Path::new(&dir), "$PGFORT_PG_BIN");
    }
    let mut searched = Vec::new();
    if let Some(dir) = pg_config_bindir() {
        if missing_programs(&dir).is_empty() {
            return Ok(dir);
        }
        searched.push(dir.display().to_string());
    }
    if let Some(dir) = env::var_os("PATH").and_then(|path| search_path(&path)) {
        return Ok(dir);
    }
    searched.push("PATH".to_string());
    let versioned = sort_newest_first(
        glob_dirs("/usr/lib/postgresql", "", "/bin")
            .into_iter()
            .chain(glob_dirs("/usr", "pgsql-", "/bin"))
            .collect(),
    );
    if let Some(dir) = versioned
        .into_iter()
        .find(|dir| missing_programs(dir).is_empty())
    {
        return Ok(dir);
    }
    searched.push("/usr/lib/postgresql/*/bin".to_string());
    searched.push("/usr/pgsql-*/bin".to_string());
    Err(SandboxError::NoPgBin {
        searched: searched.join(", "),
    })
}

/// The major version (e.g. 15) of the server in `bin`, from `postgres --version`.
pub fn pg_major(bin: &Path) -> Result<u32, SandboxError> {
    let postgres = bin.join("postgres");
    let output = Command::new(&postgres)
        .arg("--version")
        .output()
        .map_err(|source| SandboxError::Spawn {
            program: postgres.clone(),
            source,
        })?;
    let text = String::from_utf8_lossy(&output.stdout);
    parse_major(&text).ok_or_else(|| SandboxError::Version {
        bin: postgres,
        message: format!("unexpected output {:?}", text.trim()),
    })
}

/// Reads the major from text like `postgres (PostgreSQL) 15.13 (Debian ...)`
/// or `postgres (PostgreSQL) 18beta1`.
fn parse_major(version_output: &str) -> Option<u32> {
    let rest = version_output.split("(PostgreSQL)").nth(1)?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn checked(dir: &Path, origin: &'static str) -> Result<PathBuf, SandboxError> {
    let missing = missing_programs(dir);
    let problem = if !dir.is_dir() {
        "does not exist".to_string()
    } else if missing.is_empty() {
        return Ok(dir.to_path_buf());
    } else {
        format!("does not contain {}", missing.join(", "))
    };
    Err(SandboxError::BadPgBin {
        origin,
        dir: dir.to_path_buf(),
        problem,
    })
}

/// The server programs absent from `dir`.
fn missing_programs(dir: &Path) -> Vec<&'static str> {
    SERVER_PROGRAMS
        .into_iter()
        .filter(|program| !dir.join(program).is_file())
        .collect()
}

fn pg_config_bindir() -> Option<PathBuf> {
    let output = Command::new("pg_config").arg("--bindir").output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let dir = text.trim();
    (!dir.is_empty()).then(|| PathBuf::from(dir))
}

/// The first PATH entry with an `initdb` whose real location (symlinks
/// resolved) also holds `pg_ctl` and `postgres`; that real directory is
/// returned, since pg_ctl finds postgres next to itself.
pub(crate) fn search_path(path: &OsStr) -> Option<PathBuf> {
    env::split_paths(path).find_map(|entry| {
        let initdb = entry.join("initdb").canonicalize().ok()?;
        let dir = initdb.parent()?.to_path_buf();
        missing_programs(&dir).is_empty().then_some(dir)
    })
}

/// Directories `{root}/{prefix}*{suffix}` that exist.
fn glob_dirs(root: &str, prefix: &str, suffix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(prefix))
        .map(|entry| PathBuf::from(format!("{}{suffix}", entry.path().display())))
        .filter(|dir| dir.is_dir())
        .collect()
}

/// Orders versioned directories (`.../15/bin`, `.../pgsql-9.6/bin`) by
/// version, newest first, comparing numerically so 10 beats 9.6.
pub(crate) fn sort_newest_first(mut dirs: Vec<PathBuf>) -> Vec<PathBuf> {
    dirs.sort_by_key(|dir| std::cmp::Reverse(dir_version(dir)));
    dirs
}

/// The version numbers in the directory name above `bin`, e.g. [9, 6].
fn dir_version(dir: &Path) -> Vec<u32> {
    let name = dir
        .parent()
        .and_then(Path::file_name)
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let version = name.strip_prefix("pgsql-").unwrap_or(&name);
    version
        .split('.')
        .map_while(|part| part.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    fn fake_bin(dir: &Path, programs: &[&str]) {
        fs::create_dir_all(dir).unwrap();
        for program in programs {
            fs::write(dir.join(program), "").unwrap();
        }
    }

    #[test]
    fn sorts_versions_numerically_newest_first() {
        let dirs = [
            "/usr/lib/postgresql/9.6/bin",
            "/usr/lib/postgresql/17/bin",
            "/usr/lib/postgresql/10/bin",
            "/usr/pgsql-13/bin",
            "/usr/lib/postgresql/15/bin",
        ];
        let sorted = sort_newest_first(dirs.iter().map(PathBuf::from).collect());
        let sorted: Vec<_> = sorted.iter().map(|d| d.to_str().unwrap()).collect();
        assert_eq!(
            sorted,
            [
                "/usr/lib/postgresql/17/bin",
                "/usr/lib/postgresql/15/bin",
                "/usr/pgsql-13/bin",
                "/usr/lib/postgresql/10/bin",
                "/usr/lib/postgresql/9.6/bin",
            ]
        );
    }

    #[test]
    fn parses_major_from_version_output() {
        let debian = "postgres (PostgreSQL) 15.13 (Debian 15.13-0+deb12u1)\n";
        assert_eq!(parse_major(debian), Some(15));
        assert_eq!(parse_major("postgres (PostgreSQL) 18beta1\n"), Some(18));
        assert_eq!(parse_major("postgres (PostgreSQL) 9.6.24"), Some(9));
        assert_eq!(parse_major("something else"), None);
    }

    #[test]
    fn explicit_dir_must_hold_all_server_programs() {
        let tmp = tempfile::tempdir().unwrap();
        let absent = tmp.path().join("absent");
        let err = find_pg_bin(Some(&absent)).unwrap_err().to_string();
        assert!(err.contains("absent does not exist"), "{err}");
        fake_bin(tmp.path(), &["initdb"]);
        let err = find_pg_bin(Some(tmp.path())).unwrap_err().to_string();
        assert!(err.contains("does not contain pg_ctl, postgres"), "{err}");
        fake_bin(tmp.path(), &["pg_ctl", "postgres"]);
        assert_eq!(find_pg_bin(Some(tmp.path())).unwrap(), tmp.path());
    }

    #[test]
    fn path_search_resolves_symlinks_to_the_real_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("pg/15/bin");
        let linked = tmp.path().join("local/bin");
        let incomplete = tmp.path().join("other/bin");
        fake_bin(&real, &SERVER_PROGRAMS);
        fake_bin(&incomplete, &["initdb"]);
        fs::create_dir_all(&linked).unwrap();
        symlink(real.join("initdb"), linked.join("initdb")).unwrap();
        let path = env::join_paths([&incomplete, &linked]).unwrap();
        let found = search_path(&path).unwrap();
        assert_eq!(found, real.canonicalize().unwrap());
        assert_eq!(search_path(&env::join_paths([&incomplete]).unwrap()), None);
    }
}
