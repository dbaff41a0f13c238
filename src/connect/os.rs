//! The effective user's entry in the password database: libpq's default
//! user name and the home directory for `~/.pgpass` and
//! `~/.postgresql/root.crt`.

use std::ffi::{CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// Name and home directory of the effective user.
pub(super) struct OsUser {
    pub name: String,
    pub home: PathBuf,
}

/// Looks up the effective user id with the re-entrant `getpwuid_r`, so
/// that concurrent lookups cannot clobber each other's result.
pub(super) fn current_user() -> Option<OsUser> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let mut len = 1024usize;
    loop {
        let mut buf: Vec<libc::c_char> = vec![0; len];
        // SAFETY: an all-zero passwd is a valid value (null pointers, zero ids);
        // getpwuid_r fills it in.
        let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer refers to live, writable memory of the stated
        // size for the duration of the call.
        let rc =
            unsafe { libc::getpwuid_r(uid, &mut entry, buf.as_mut_ptr(), buf.len(), &mut result) };
        if rc == libc::ERANGE && len < 1 << 20 {
            len *= 4;
            continue;
        }
        if rc != 0 || result.is_null() || entry.pw_name.is_null() {
            return None;
        }
        // SAFETY: on success pw_name and pw_dir point to NUL-terminated
        // strings inside `buf`, which is still alive here.
        let name = unsafe { CStr::from_ptr(entry.pw_name) }
            .to_str()
            .ok()?
            .to_string();
        let home = if entry.pw_dir.is_null() {
            PathBuf::new()
        } else {
            // SAFETY: as above.
            let dir = unsafe { CStr::from_ptr(entry.pw_dir) };
            PathBuf::from(OsStr::from_bytes(dir.to_bytes()))
        };
        return Some(OsUser { name, home });
    }
}
