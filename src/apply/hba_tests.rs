use super::*;

fn err(message: &str) -> ApplyError {
    failure(message, "")
}

/// Every (stage, put back, reload) combination says which rules the
/// server runs; none claims the new file is not live when it is.
#[test]
fn each_failure_says_which_rules_are_live() {
    let file = "/d/pg_hba.conf";
    let backup = "/d/pg_hba.conf.pgfort-backup";
    let ok = Ok(());
    let failed = Err(err("disk full"));
    let reload_failed = Err(err("no signal"));

    let (state, action) = outcome(Stage::Written, &ok, None, file, backup);
    assert!(
        state.contains("never loaded") && state.contains("put back"),
        "{state}"
    );
    assert!(action.is_none());

    let (state, action) = outcome(Stage::Written, &failed, None, file, backup);
    assert!(state.contains("on disk but was not loaded"), "{state}");
    assert!(state.contains("next reload or restart"), "{state}");
    assert!(action.unwrap().contains(backup));

    let (state, action) = outcome(Stage::Signalled, &ok, Some(&ok), file, backup);
    assert!(state.contains("put back and reloaded"), "{state}");
    assert!(action.is_none());

    // Put back, but the reload failed: the new rules are live, and the
    // message must not say that putting the file back failed.
    let (state, action) = outcome(Stage::Signalled, &ok, Some(&reload_failed), file, backup);
    assert!(state.contains("THE NEW RULES ARE STILL LIVE"), "{state}");
    assert!(
        state.contains("no signal") && !state.contains("back failed"),
        "{state}"
    );
    assert!(action.unwrap().contains("pg_reload_conf()"));

    let (state, action) = outcome(Stage::Signalled, &failed, None, file, backup);
    assert!(state.starts_with("THE NEW pg_hba.conf IS LIVE"), "{state}");
    assert!(state.contains("disk full"), "{state}");
    let action = action.unwrap();
    assert!(
        action.contains(backup) && action.contains("pg_reload_conf()"),
        "{action}"
    );
}

#[cfg(unix)]
#[test]
fn the_local_backup_is_a_fresh_private_file() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pg_hba.conf.pgfort-backup");
    std::fs::write(&path, "old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    write_backup_local(&path, "new\n", None).unwrap();
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
    // A symbolic link is replaced, never followed.
    let target = dir.path().join("elsewhere");
    std::fs::write(&target, "keep").unwrap();
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&target, &path).unwrap();
    write_backup_local(&path, "new\n", None).unwrap();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    assert!(
        !std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}
