//! On-disk protection the server reports (CIS 1.4.3, 2.5-2.7).

use super::{bool_setting, octal, setting_check};
use crate::audit::facts::AuditFacts;
use crate::audit::{Area, Check, Control, Severity};

fn hba_file_mode(facts: &AuditFacts) -> Check {
    match facts.hba_file_mode {
        Some(mode) => super::verdict(
            matches!(mode & 0o777, 0o600 | 0o640),
            vec![format!("hba_file mode = {:04o}", mode & 0o777)],
        ),
        None => {
            Check::Skip("needs pgfort on the server's host with read access to hba_file".to_owned())
        }
    }
}

pub const CONTROLS: &[Control] = &[
    Control {
        id: "1.4.3-ext",
        area: Area::Files,
        title: "data checksums are on",
        severity: Severity::Medium,
        rationale: "Checksums detect silent corruption before it spreads to backups.",
        remedy: "pg_checksums --enable on the stopped cluster (initdb --data-checksums for new ones)",
        check: |f| bool_setting(f, "data_checksums", true),
    },
    Control {
        id: "2.5-ext",
        area: Area::Files,
        title: "pg_hba.conf is 0600 or 0640",
        severity: Severity::Medium,
        rationale: "Anyone who can change pg_hba.conf decides who may connect.",
        remedy: "chmod 0600 \"$(psql -Atc 'SHOW hba_file')\"",
        check: hba_file_mode,
    },
    Control {
        id: "2.6-ext",
        area: Area::Files,
        title: "unix_socket_permissions is 0770 or 0700",
        severity: Severity::Medium,
        rationale: "A world-writable socket lets every local OS user reach the server.",
        remedy: "settings { unix_socket_permissions = \"0770\" } # requires restart",
        check: |f| {
            setting_check(f, "unix_socket_permissions", |v| {
                matches!(octal(v), Some(0o770 | 0o700))
            })
        },
    },
    Control {
        id: "2.7",
        area: Area::Files,
        title: "data_directory_mode is 0700 (0750 with group access)",
        severity: Severity::High,
        rationale: "The data directory holds every row and the password verifiers.",
        remedy: "chmod 0700 the data directory (initdb without --allow-group-access)",
        check: |f| {
            setting_check(f, "data_directory_mode", |v| {
                matches!(octal(v), Some(0o700 | 0o750))
            })
        },
    },
];
