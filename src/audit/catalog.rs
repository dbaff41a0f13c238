//! The list of every control, for `pgfort audit --list-controls` and the
//! README (a test keeps the two identical): id, where the id comes from,
//! area, severity, title and whether the remedy is a block to paste.

use std::fmt::Write;

use super::{Control, RemedyKind, controls, remedy_kind};

/// Where a control's id comes from: the CIS PostgreSQL benchmark item it
/// follows (`-ext`: checked more strictly or broadly than CIS words it),
/// or pgfort's own (`ext-`, and `ops-` for operational health).
pub fn source(id: &str) -> String {
    if id.starts_with("ops-") {
        return "pgfort (health)".to_owned();
    }
    if id.starts_with("ext-") {
        return "pgfort".to_owned();
    }
    let item = id.split('-').next().unwrap_or(id);
    if id.ends_with("-ext") || id.contains("-ext-") {
        format!("CIS {item}, extended")
    } else {
        format!("CIS {item}")
    }
}

/// Every control as a Markdown table, in report order.
pub fn control_table() -> String {
    let mut out = String::from(
        "| id | source | area | severity | checks that | remedy |\n|---|---|---|---|---|---|\n",
    );
    for control in controls::all() {
        let _ = writeln!(out, "{}", row(control));
    }
    out
}

fn row(control: &Control) -> String {
    let remedy = match remedy_kind(control.remedy) {
        RemedyKind::Hcl => "HCL",
        RemedyKind::Manual => "manual",
    };
    format!(
        "| `{}` | {} | {} | {} | {} | {remedy} |",
        control.id,
        source(control.id),
        control.area.title(),
        control.severity.as_str(),
        control.title.replace('|', "\\|"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources() {
        assert_eq!(source("3.1.20"), "CIS 3.1.20");
        assert_eq!(source("5.4-trust"), "CIS 5.4");
        assert_eq!(source("5.12-ext"), "CIS 5.12, extended");
        assert_eq!(source("5.9-ext-wide"), "CIS 5.9, extended");
        assert_eq!(source("ext-weak-passwords"), "pgfort");
        assert_eq!(source("ops-cache-hit"), "pgfort (health)");
    }

    #[test]
    fn one_row_per_control() {
        let table = control_table();
        assert_eq!(table.lines().count(), controls::all().count() + 2);
        for control in controls::all() {
            assert!(table.contains(&format!("| `{}` |", control.id)));
        }
    }
}
