//! Starting, watching and stopping the cluster's processes, as the
//! unprivileged user the sandbox servers run as when the caller is root.

use std::ffi::CString;
use std::fs::{self, File};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pgfort::sandbox::pick_free_port;

/// The account the processes run as when the caller is root.
pub struct OsUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// `program` set up to run as `user` in `dir`, without the caller's libpq
/// variables, receiving `death_signal` when the thread that started it ends.
pub fn command(program: &Path, dir: &Path, user: Option<&OsUser>, death_signal: i32) -> Command {
    let mut cmd = Command::new(program);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PG") {
            cmd.env_remove(name);
        }
    }
    cmd.current_dir(dir)
        .stdin(Stdio::null())
        .env("LC_ALL", "C.UTF-8")
        .env("HOME", dir);
    if let Some(user) = user {
        cmd.uid(user.uid)
            .gid(user.gid)
            .env("USER", &user.name)
            .env("LOGNAME", &user.name);
    }
    // SAFETY: prctl is async-signal-safe; it runs after the user switch,
    // which would otherwise clear the setting.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, death_signal as libc::c_ulong) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd
}

/// Starts `cmd` with stdout and stderr appended to `log`.
pub fn spawn(mut cmd: Command, log: &Path) -> Child {
    let file = File::options()
        .create(true)
        .append(true)
        .open(log)
        .unwrap_or_else(|e| panic!("{}: {e}", log.display()));
    let stderr = file.try_clone().unwrap_or_else(|e| panic!("{e}"));
    cmd.stdout(file)
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {:?}: {e}", cmd.get_program()))
}

/// Waits for `child` to exit until `deadline`; whether it did.
pub fn reap(child: &mut Child, deadline: Instant) -> bool {
    loop {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => return true,
            Ok(None) if Instant::now() >= deadline => return false,
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

pub fn signal(pid: u32, signal: i32) {
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill has no memory-safety preconditions; pid is positive.
        unsafe { libc::kill(pid, signal) };
    }
}

/// Whether `pid` runs and is not a zombie (an exited, unreaped child).
pub fn is_alive(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

pub fn postmaster_pid(data_dir: &Path) -> Option<u32> {
    let text = fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
    text.lines()
        .next()?
        .trim()
        .parse()
        .ok()
        .filter(|&pid| pid > 0)
}

pub fn on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

/// The newest /usr/lib/postgresql/MAJOR/bin with what Patroni runs.
pub fn system_pg_bin() -> Option<PathBuf> {
    let programs = ["initdb", "pg_ctl", "postgres", "pg_basebackup", "pg_rewind"];
    fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let major: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            programs
                .iter()
                .all(|p| bin.join(p).is_file())
                .then_some((major, bin))
        })
        .max()
        .map(|(_, bin)| bin)
}

/// As root, who runs the cluster: `postgres`, else `nobody` (as the
/// sandbox chooses); `None` for a non-root caller, who runs it itself.
pub fn server_user() -> Option<OsUser> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let user = ["postgres", "nobody"].into_iter().find_map(user_by_name);
    Some(user.expect("as root, the cluster needs a `postgres` or `nobody` user"))
}

pub fn user_by_name(name: &str) -> Option<OsUser> {
    let cname = CString::new(name).ok()?;
    let mut buf: Vec<libc::c_char> = vec![0; 1 << 16];
    // SAFETY: passwd is plain old data; all-zero is a valid value.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call and buf's length is passed.
    let rc = unsafe {
        libc::getpwnam_r(
            cname.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    (rc == 0 && !result.is_null()).then(|| OsUser {
        name: name.to_string(),
        uid: pwd.pw_uid,
        gid: pwd.pw_gid,
    })
}

/// Gives `dir` and the files directly in it to `user`.
pub fn chown_all(dir: &Path, user: &OsUser) {
    let mut paths = vec![dir.to_path_buf()];
    if let Ok(entries) = fs::read_dir(dir) {
        paths.extend(entries.filter_map(|e| Some(e.ok()?.path())));
    }
    for path in paths {
        std::os::unix::fs::chown(&path, Some(user.uid), Some(user.gid))
            .unwrap_or_else(|e| panic!("could not chown {}: {e}", path.display()));
    }
}

/// `count` distinct free ports on 127.0.0.1.
pub fn free_ports(count: usize) -> Vec<u16> {
    let mut ports = Vec::new();
    for _ in 0..count * 10 {
        let port = pick_free_port().unwrap_or_else(|e| panic!("{e}"));
        if !ports.contains(&port) {
            ports.push(port);
        }
        if ports.len() == count {
            return ports;
        }
    }
    panic!("could not find {count} distinct free ports");
}

/// `bytes` random bytes from the kernel, in hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .unwrap_or_else(|e| panic!("/dev/urandom: {e}"));
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
