use super::*;
use crate::model::Context;

/// A catalog entry as PostgreSQL 15 describes it.
pub(crate) fn param(
    name: &str,
    vartype: VarType,
    unit: Option<&str>,
    range: (&str, &str),
) -> Parameter {
    Parameter {
        name: name.to_owned(),
        vartype,
        unit: unit.map(str::to_owned),
        min: Some(range.0.to_owned()).filter(|s| !s.is_empty()),
        max: Some(range.1.to_owned()).filter(|s| !s.is_empty()),
        enumvals: Vec::new(),
        context: Context::User,
        setting: "0".to_owned(),
        boot_val: None,
        source: "default".to_owned(),
        pending_restart: false,
    }
}

fn enum_param(name: &str, values: &[&str]) -> Parameter {
    Parameter {
        enumvals: values.iter().map(|v| (*v).to_owned()).collect(),
        ..param(name, VarType::Enum, None, ("", ""))
    }
}

fn shared_buffers() -> Parameter {
    param(
        "shared_buffers",
        VarType::Integer,
        Some("8kB"),
        ("16", "1073741823"),
    )
}

#[test]
fn memory_spellings_are_the_same_value() {
    let p = shared_buffers();
    for (a, b) in [
        ("4GB", "4096MB"),
        ("4GB", "524288"),
        ("128MB", "16384"),
        ("1GB", "1024 MB"),
    ] {
        assert!(same(Some(&p), a, b), "{a} = {b}");
    }
    assert!(!same(Some(&p), "4GB", "2GB"));
    let wal = param(
        "max_wal_size",
        VarType::Integer,
        Some("MB"),
        ("2", "2147483647"),
    );
    assert!(same(Some(&wal), "1GB", "1024"));
    let timeout = param(
        "statement_timeout",
        VarType::Integer,
        Some("ms"),
        ("0", "2147483647"),
    );
    assert!(same(Some(&timeout), "30s", "30000"));
    assert!(same(Some(&timeout), "5min", "300s"));
    let delay = param("vacuum_cost_delay", VarType::Real, Some("ms"), ("0", "100"));
    assert!(same(Some(&delay), "2ms", "2"));
    assert!(same(Some(&delay), "500us", "0.5"));
}

#[test]
fn booleans_enums_and_lists() {
    let b = param("log_connections", VarType::Bool, None, ("", ""));
    for spelling in ["on", "true", "yes", "1", "TRUE", "t", "y"] {
        assert!(same(Some(&b), spelling, "on"), "{spelling}");
    }
    for spelling in ["off", "false", "no", "0", "of", "n"] {
        assert!(same(Some(&b), spelling, "off"), "{spelling}");
    }
    assert_eq!(write_form(Some(&b), "yes"), "on");
    let err = parse(&b, "maybe").unwrap_err();
    assert_eq!(
        err.message,
        "invalid value \"maybe\" for log_connections: expected a boolean"
    );

    let statement = enum_param("log_statement", &["none", "ddl", "mod", "all"]);
    assert_eq!(write_form(Some(&statement), "MOD"), "mod");
    let err = parse(&statement, "modd").unwrap_err();
    assert_eq!(err.message, "invalid value \"modd\" for log_statement");
    assert_eq!(
        err.hint.as_deref(),
        Some("did you mean \"mod\"? valid values: none, ddl, mod, all")
    );
    let huge = enum_param("huge_pages", &["off", "on", "try"]);
    assert_eq!(write_form(Some(&huge), "true"), "on");
    let wal = enum_param("wal_level", &["minimal", "replica", "logical"]);
    assert_eq!(write_form(Some(&wal), "hot_standby"), "replica");

    let path = param("search_path", VarType::String, None, ("", ""));
    assert!(same(Some(&path), "\"$user\", public", "\"$user\",public"));
    assert!(!same(Some(&path), "public, app", "app, public"));
    let dest = param("log_destination", VarType::String, None, ("", ""));
    assert!(same(Some(&dest), "stderr,csvlog", "stderr, csvlog"));
    let prefix = param("log_line_prefix", VarType::String, None, ("", ""));
    assert!(!same(Some(&prefix), "%m ", "%m"));
    assert!(same(None, "x", "x"));
    assert!(!same(None, "1", "1.0"));
}

#[test]
fn numbers_are_checked_against_units_and_bounds() {
    let p = shared_buffers();
    let err = parse(&p, "4XB").unwrap_err();
    assert_eq!(
        err.message,
        "invalid value \"4XB\" for shared_buffers: \"XB\" is not a unit it accepts"
    );
    assert_eq!(
        err.hint.as_deref(),
        Some("use a number with one of B, kB, MB, GB, TB (case matters), or a bare number of 8kB")
    );
    let err = parse(&p, "64kB").unwrap_err();
    assert_eq!(
        err.message,
        "shared_buffers = \"64kB\" is outside the valid range 128kB .. 8589934584kB"
    );
    assert!(parse(&p, "lots").is_err());
    let connections = param("max_connections", VarType::Integer, None, ("1", "262143"));
    assert_eq!(
        parse(&connections, "100MB").unwrap_err().message,
        "invalid value \"100MB\" for max_connections: it takes no unit, \"MB\" was given"
    );
    assert_eq!(write_form(Some(&connections), " 200 "), "200");
    let cost = param(
        "random_page_cost",
        VarType::Real,
        None,
        ("0", "1.79769e+308"),
    );
    assert!(same(Some(&cost), "1.1", "1.10"));
    assert!(parse(&cost, "-1").is_err());
    assert_eq!(show(&p, "16384"), "128MB");
}

#[test]
fn file_modes_show_in_octal_as_written() {
    let mode = param(
        "unix_socket_permissions",
        VarType::Integer,
        None,
        ("0", "511"),
    );
    assert_eq!(show(&mode, "511"), "0777");
    assert_eq!(show(&mode, "448"), "0700");
    assert!(same(Some(&mode), "511", "0777"));
    // Other integers stay decimal.
    let plain = param("max_connections", VarType::Integer, None, ("1", "262143"));
    assert_eq!(show(&plain, "511"), "511");
}
