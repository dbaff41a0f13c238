//! Running the server as an unprivileged OS user. initdb, pg_ctl and
//! postgres all refuse to run as root, yet pgfort and CI often do; so as
//! root the sandbox is handed to `postgres` (or `nobody`).

use std::ffi::{CStr, CString};
use std::fs;
use std::os::unix::fs::{MetadataExt, lchown};
use std::path::Path;
use std::ptr;

use super::SandboxError;

/// An OS account the server processes run as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OsUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// Whether this process has root's powers (and so must switch user).
pub(crate) fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Who should run the server: `None` means the current user. As root, the
/// owner of an existing data directory is kept (postgres insists the data
/// directory belongs to the server user); otherwise `postgres`, else `nobody`.
pub(crate) fn choose_server_user(data_dir: &Path) -> Result<Option<OsUser>, SandboxError> {
    if !is_root() {
        return Ok(None);
    }
    if let Ok(meta) = fs::metadata(data_dir)
        && meta.uid() != 0
        && let Some(user) = user_by_uid(meta.uid())
    {
        return Ok(Some(user));
    }
    ["postgres", "nobody"]
        .into_iter()
        .find_map(user_by_name)
        .map(Some)
        .ok_or(SandboxError::NoUnprivilegedUser)
}

/// Looks a user up in the password database by name.
pub(crate) fn user_by_name(name: &str) -> Option<OsUser> {
    let name = CString::new(name).ok()?;
    lookup(|pwd, buf, result| {
        // SAFETY: all pointers are valid for the call; buf's length is passed.
        unsafe { libc::getpwnam_r(name.as_ptr(), pwd, buf.as_mut_ptr(), buf.len(), result) }
    })
}

fn user_by_uid(uid: u32) -> Option<OsUser> {
    lookup(|pwd, buf, result| {
        // SAFETY: all pointers are valid for the call; buf's length is passed.
        unsafe { libc::getpwuid_r(uid, pwd, buf.as_mut_ptr(), buf.len(), result) }
    })
}

/// Runs a reentrant getpw*_r call, growing the buffer on ERANGE. The
/// reentrant variants are used because tests create sandboxes in parallel.
fn lookup(
    mut call: impl FnMut(&mut libc::passwd, &mut [libc::c_char], &mut *mut libc::passwd) -> i32,
) -> Option<OsUser> {
    let mut buf: Vec<libc::c_char> = vec![0; 1024];
    loop {
        // SAFETY: passwd is plain old data; all-zero is a valid value.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = ptr::null_mut();
        let rc = call(&mut pwd, &mut buf, &mut result);
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        if rc != 0 || result.is_null() {
            return None;
        }
        // SAFETY: on success pw_name points to a NUL-terminated string in buf.
        let name = unsafe { CStr::from_ptr(pwd.pw_name) }
            .to_string_lossy()
            .into_owned();
        return Some(OsUser {
            name,
            uid: pwd.pw_uid,
            gid: pwd.pw_gid,
        });
    }
}

/// All group ids of `user`, for deciding which permission bits apply.
fn group_ids(user: &OsUser) -> Vec<u32> {
    let Ok(name) = CString::new(user.name.as_str()) else {
        return vec![user.gid];
    };
    let mut groups: Vec<libc::gid_t> = vec![0; 64];
    loop {
        let mut count = groups.len() as libc::c_int;
        // SAFETY: groups has room for `count` entries; name is NUL-terminated.
        let rc =
            unsafe { libc::getgrouplist(name.as_ptr(), user.gid, groups.as_mut_ptr(), &mut count) };
        if rc >= 0 {
            groups.truncate(usize::try_from(count).unwrap_or(0));
            return groups;
        }
        if groups.len() >= 65536 {
            return vec![user.gid];
        }
        let wanted = usize::try_from(count).unwrap_or(0);
        groups.resize(wanted.max(groups.len() * 2), 0);
    }
}

/// Fails with a clear error naming the first ancestor of `dir` that `user`
/// may not enter; postgres would otherwise fail with a less helpful message.
pub(crate) fn check_traversable(dir: &Path, user: &OsUser) -> Result<(), SandboxError> {
    let groups = group_ids(user);
    for ancestor in dir.ancestors().skip(1) {
        let meta = fs::metadata(ancestor).map_err(SandboxError::io(format!(
            "could not stat {}",
            ancestor.display()
        )))?;
        if !may_search(&meta, user.uid, &groups) {
            return Err(SandboxError::NotTraversable {
                user: user.name.clone(),
                dir: ancestor.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// The owner, group or other execute bit that applies to this user.
fn may_search(meta: &fs::Metadata, uid: u32, groups: &[u32]) -> bool {
    let mode = meta.mode();
    if meta.uid() == uid {
        mode & 0o100 != 0
    } else if groups.contains(&meta.gid()) {
        mode & 0o010 != 0
    } else {
        mode & 0o001 != 0
    }
}

/// Gives `dir` and everything below it to `user`, without following symlinks.
pub(crate) fn chown_tree(dir: &Path, user: &OsUser) -> Result<(), SandboxError> {
    lchown(dir, Some(user.uid), Some(user.gid)).map_err(SandboxError::io(format!(
        "could not chown {}",
        dir.display()
    )))?;
    let meta = fs::symlink_metadata(dir).map_err(SandboxError::io(format!(
        "could not stat {}",
        dir.display()
    )))?;
    if meta.is_dir() {
        let entries = fs::read_dir(dir).map_err(SandboxError::io(format!(
            "could not read {}",
            dir.display()
        )))?;
        for entry in entries {
            let entry = entry.map_err(SandboxError::io(format!(
                "could not read {}",
                dir.display()
            )))?;
            chown_tree(&entry.path(), user)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn finds_root_by_name_and_uid() {
        let root = user_by_name("root").unwrap();
        assert_eq!(root.uid, 0);
        assert_eq!(user_by_uid(0).unwrap().name, "root");
        assert_eq!(user_by_name("no-such-user-pgfort"), None);
    }

    #[test]
    fn search_permission_follows_owner_group_other_bits() {
        let tmp = tempfile::tempdir().unwrap();
        let meta = |mode| {
            fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode)).unwrap();
            fs::metadata(tmp.path()).unwrap()
        };
        let (uid, gid) = {
            let m = fs::metadata(tmp.path()).unwrap();
            (m.uid(), m.gid())
        };
        let stranger = uid.wrapping_add(12345);
        assert!(may_search(&meta(0o700), uid, &[]));
        assert!(!may_search(&meta(0o700), stranger, &[gid]));
        assert!(may_search(&meta(0o710), stranger, &[gid]));
        assert!(!may_search(&meta(0o710), stranger, &[]));
        assert!(may_search(&meta(0o701), stranger, &[]));
    }
}
