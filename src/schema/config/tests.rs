//! The configuration schema and the decoders accept the same blocks,
//! attributes and names. The decoders keep no list of their attributes:
//! the list is whatever a decoder asks its reader for, and the loader
//! reports it in "unknown attribute …, expected one of: …". So these
//! tests load small configurations with a probe attribute (or value)
//! through the real loader and compare the names in that message with
//! the schema's, both ways.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::config::{VariableInputs, load_for_validation};
use crate::schema::Document;

/// A name no block, attribute or value uses.
const PROBE: &str = "pgfort_schema_probe";

/// Where the probe goes in a case's text.
const SLOT: &str = "#probe";

/// One body the decoders read: a loadable configuration with [`SLOT`] on
/// a line of its own where an attribute of the body may be written.
struct Case {
    /// Block types and nested names from the root to the body, e.g.
    /// `["hba", "rule"]`.
    path: &'static [&'static str],
    text: &'static str,
    /// Other files the configuration needs (a module's directory).
    files: &'static [(&'static str, &'static str)],
    /// Nested blocks of the body: properties of the schema, but not
    /// attributes (each is a case of its own).
    nested: &'static [&'static str],
    /// Names the loader accepts that the schema does not list because it
    /// admits any name there (a module's declared inputs).
    declared: &'static [&'static str],
}

const fn case(path: &'static [&'static str], text: &'static str) -> Case {
    Case {
        path,
        text,
        files: &[],
        nested: &[],
        declared: &[],
    }
}

const CASES: &[Case] = &[
    case(
        &["certificate_authority"],
        "certificate_authority \"main\" {\n#probe\n}",
    ),
    case(
        &["client_certificate"],
        "certificate_authority \"main\" {}\nclient_certificate \"app\" {\n  ca = \"main\"\n#probe\n}",
    ),
    case(&["connection"], "connection {\n#probe\n}"),
    case(
        &["patroni"],
        "patroni {\n  url = \"http://127.0.0.1:8008\"\n#probe\n}",
    ),
    Case {
        nested: &["lifecycle"],
        ..case(&["database"], "database \"app\" {\n#probe\n}")
    },
    case(
        &["environment"],
        "environment \"prod\" {\n  servers = [{ name = \"a\" }]\n#probe\n}",
    ),
    case(
        &["environment", "servers"],
        "environment \"prod\" {\n  servers = [{\n    name = \"a\"\n#probe\n  }]\n}",
    ),
    Case {
        nested: &["lifecycle"],
        ..case(
            &["extension"],
            "extension \"pg_trgm\" {\n  database = \"app\"\n#probe\n}",
        )
    },
    case(
        &["grant"],
        "grant {\n  to = [\"PUBLIC\"]\n  privileges = [\"CONNECT\"]\n  on = { database = \"app\" }\n#probe\n}",
    ),
    case(
        &["grant", "on"],
        "grant {\n  to = [\"PUBLIC\"]\n  privileges = [\"CONNECT\"]\n  on = {\n    database = \"app\"\n#probe\n  }\n}",
    ),
    Case {
        nested: &["rule", "check"],
        ..case(
            &["hba"],
            "hba {\n  rule {\n    type = \"local\"\n    method = \"peer\"\n  }\n#probe\n}",
        )
    },
    case(
        &["hba", "rule"],
        "hba {\n  rule {\n    type = \"host\"\n    address = \"all\"\n    method = \"trust\"\n#probe\n  }\n}",
    ),
    case(
        &["hba", "check"],
        "hba {\n  rule {\n    type = \"local\"\n    method = \"peer\"\n  }\n  check {\n    user = \"app\"\n    expect = \"peer\"\n#probe\n  }\n}",
    ),
    case(&["locals"], "locals {\n#probe\n}"),
    case(&["manage"], "manage {\n#probe\n}"),
    Case {
        files: &[("m/main.hcl", "variable \"x\" {\n  default = 1\n}\n")],
        declared: &["x"],
        ..case(&["module"], "module \"m\" {\n  source = \"./m\"\n#probe\n}")
    },
    case(&["output"], "output \"o\" {\n  value = 1\n#probe\n}"),
    Case {
        nested: &["database", "tls"],
        ..case(
            &["pgbouncer"],
            "role \"app\" {\n  login = true\n  password = \"x\"\n}\npgbouncer \"main\" {\n  config_dir = \"/tmp\"\n  users = [\"app\"]\n#probe\n}",
        )
    },
    case(
        &["pgbouncer", "tls"],
        "certificate_authority \"main\" {}\nrole \"app\" {\n  login = true\n  password = \"x\"\n}\npgbouncer \"main\" {\n  config_dir = \"/tmp\"\n  users = [\"app\"]\n  tls {\n    ca = \"main\"\n    dns_names = [\"pgb\"]\n#probe\n  }\n}",
    ),
    case(
        &["pgbouncer", "settings"],
        "role \"app\" {\n  login = true\n  password = \"x\"\n}\npgbouncer \"main\" {\n  config_dir = \"/tmp\"\n  users = [\"app\"]\n  settings = {\n#probe\n  }\n}",
    ),
    Case {
        nested: &["lifecycle"],
        ..case(
            &["policy"],
            "table \"t\" {\n  database = \"app\"\n}\npolicy \"p\" {\n  database = \"app\"\n  table = \"t\"\n#probe\n}",
        )
    },
    Case {
        nested: &["lifecycle"],
        ..case(&["role"], "role \"app\" {\n#probe\n}")
    },
    case(
        &["role", "member_of"],
        "role \"group\" {}\nrole \"app\" {\n  member_of = [{\n    role = \"group\"\n#probe\n  }]\n}",
    ),
    Case {
        nested: &["lifecycle"],
        ..case(
            &["schema"],
            "schema \"s\" {\n  database = \"app\"\n#probe\n}",
        )
    },
    case(
        &["role", "lifecycle"],
        "role \"app\" {\n  lifecycle {\n#probe\n  }\n}",
    ),
    case(
        &["server_certificate"],
        "certificate_authority \"main\" {}\nserver_certificate {\n  ca = \"main\"\n  dns_names = [\"db.example.com\"]\n#probe\n}",
    ),
    case(&["settings"], "settings {\n#probe\n}"),
    Case {
        nested: &["lifecycle"],
        ..case(&["table"], "table \"t\" {\n  database = \"app\"\n#probe\n}")
    },
    case(&["tune"], "tune {\n  memory = \"1GB\"\n#probe\n}"),
    case(&["variable"], "variable \"v\" {\n  default = 1\n#probe\n}"),
];

/// Loads `text` (with `files`) and returns the error message, if any.
fn load_error(text: &str, files: &[(&str, &str)]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.hcl"), text).unwrap();
    for (name, contents) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    // As `pgfort validate` loads: every environment block is evaluated.
    load_for_validation(dir.path(), &VariableInputs::default())
        .err()
        .map(|err| err.to_string())
}

/// The names after "expected one of: " (up to the end of the line), or
/// none for "it takes none"; `None` when the message lists nothing.
fn expected_names(message: &str) -> Option<BTreeSet<String>> {
    if message.contains("it takes none") {
        return Some(BTreeSet::new());
    }
    let (_, rest) = message.split_once("expected one of: ")?;
    let line = rest.lines().next().unwrap_or_default();
    Some(
        line.split(", ")
            .map(|name| name.trim().to_owned())
            .collect(),
    )
}

/// Follows `$ref`s, choices (the first one that is an object with
/// properties or a map) and list items down to an object schema.
fn object<'a>(root: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..16 {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            schema = root
                .pointer(reference.trim_start_matches('#'))
                .expect("references resolve");
        } else if let Some(choices) = schema.get("anyOf").and_then(Value::as_array) {
            schema = choices
                .iter()
                .find(|choice| is_object(object(root, choice)))
                .expect("one choice is an object");
        } else if let Some(items) = schema.get("items") {
            schema = items;
        } else {
            return schema;
        }
    }
    panic!("no object schema within {schema}")
}

fn is_object(schema: &Value) -> bool {
    schema.get("properties").is_some()
        || schema["additionalProperties"].is_object()
        || schema["additionalProperties"] == Value::Bool(true)
}

/// The body of the blocks (or map) at `path`.
fn body<'a>(root: &'a Value, path: &[&str]) -> &'a Value {
    let mut schema = object(root, &root["properties"][path[0]]);
    // Labelled blocks: one object level per label, then the body.
    if schema.get("properties").is_none() && LABELLED.contains(&path[0]) {
        schema = object(root, &schema["additionalProperties"]);
    }
    for name in &path[1..] {
        schema = object(root, &schema["properties"][*name]);
    }
    schema
}

/// Block types with a label: they steer the walk through the schema, and
/// the loader confirms them (a block written without its label is refused).
const LABELLED: &[&str] = &[
    "certificate_authority",
    "client_certificate",
    "database",
    "environment",
    "extension",
    "module",
    "output",
    "pgbouncer",
    "policy",
    "role",
    "schema",
    "table",
    "variable",
];

fn property_names(schema: &Value) -> BTreeSet<String> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn every_block_type_is_in_the_schema_and_no_other() {
    let schema = Document::Config.schema();
    let message = load_error(&format!("{PROBE} {{}}"), &[]).expect("refused");
    let block_types = expected_names(&message).expect("the message lists block types");
    assert_eq!(block_types, property_names(&schema), "{message}");
    assert_eq!(schema["additionalProperties"], Value::Bool(false));
    let covered: BTreeSet<String> = CASES.iter().map(|c| c.path[0].to_owned()).collect();
    assert_eq!(covered, block_types, "every block type needs a case");
    for block_type in &block_types {
        let unlabelled = load_error(&format!("{block_type} {{}}"), &[]).unwrap_or_default();
        assert_eq!(
            unlabelled.contains("needs a label"),
            LABELLED.contains(&block_type.as_str()),
            "{block_type}: {unlabelled}"
        );
        let labelled = &schema["properties"][block_type.as_str()];
        assert_eq!(
            labelled.get("properties").is_none() && labelled["additionalProperties"].is_object(),
            LABELLED.contains(&block_type.as_str()) || block_type == "settings",
            "{block_type}: a labelled block type is a map of bodies by label"
        );
    }
}

#[test]
fn every_attribute_the_decoders_accept_is_in_the_schema_and_no_other() {
    let schema = Document::Config.schema();
    for case in CASES {
        let what = case.path.join(".");
        let clean = case.text.replace(SLOT, "");
        assert_eq!(
            load_error(&clean, case.files),
            None,
            "{what}: the case loads"
        );
        let probed = case.text.replace(SLOT, &format!("{PROBE} = true"));
        let body = body(&schema, case.path);
        let mut in_schema = property_names(body);
        for nested in case.nested {
            assert!(in_schema.remove(*nested), "{what}: nested block {nested}");
        }
        match load_error(&probed, case.files) {
            // Free names: any attribute is accepted, and so must the
            // schema accept any.
            None => {
                assert_ne!(
                    body.get("additionalProperties"),
                    Some(&Value::Bool(false)),
                    "{what}: the decoder accepts any name, the schema does not"
                );
                assert!(in_schema.is_empty(), "{what}: {in_schema:?}");
            }
            Some(message) => {
                assert!(message.contains(PROBE), "{what}: {message}");
                let mut accepted = expected_names(&message)
                    .unwrap_or_else(|| panic!("{what}: no list in {message}"));
                for declared in case.declared {
                    assert!(accepted.remove(*declared), "{what}: {message}");
                }
                assert_eq!(
                    in_schema, accepted,
                    "{what}: the schema's attributes (left) differ from the decoder's (right)"
                );
                let free = !case.declared.is_empty();
                assert_eq!(
                    body.get("additionalProperties") != Some(&Value::Bool(false)),
                    free,
                    "{what}: additionalProperties"
                );
            }
        }
    }
}

/// Every attribute whose schema lists allowed values, written with a value
/// that is not one: (block path, attribute, configuration with `#value`).
const VALUE_PROBES: &[(&[&str], &str, &str)] = &[
    (
        &["environment", "servers"],
        "sslmode",
        "environment \"prod\" {\n  servers = [{ name = \"a\", sslmode = \"#value\" }]\n}",
    ),
    (
        &["certificate_authority"],
        "key_type",
        "certificate_authority \"main\" {\n  key_type = \"#value\"\n}",
    ),
    (
        &["client_certificate"],
        "key_type",
        "client_certificate \"app\" {\n  ca = \"main\"\n  key_type = \"#value\"\n}",
    ),
    (
        &["connection"],
        "sslmode",
        "connection {\n  sslmode = \"#value\"\n}",
    ),
    (
        &["grant", "on"],
        "all",
        "grant {\n  to = [\"PUBLIC\"]\n  privileges = [\"SELECT\"]\n  on = { database = \"d\", schema = \"s\", all = \"#value\" }\n}",
    ),
    (
        &["hba", "rule"],
        "type",
        "hba {\n  rule {\n    type = \"#value\"\n    method = \"trust\"\n  }\n}",
    ),
    (
        &["hba", "rule"],
        "method",
        "hba {\n  rule {\n    type = \"local\"\n    method = \"#value\"\n  }\n}",
    ),
    (
        &["hba", "check"],
        "expect",
        "hba {\n  rule {\n    type = \"local\"\n    method = \"peer\"\n  }\n  check {\n    user = \"app\"\n    expect = \"#value\"\n  }\n}",
    ),
    (
        &["manage"],
        "settings",
        "manage {\n  settings = \"#value\"\n}",
    ),
    (
        &["pgbouncer"],
        "auth",
        "role \"app\" {\n  login = true\n  password = \"x\"\n}\npgbouncer \"main\" {\n  config_dir = \"/tmp\"\n  users = [\"app\"]\n  auth = \"#value\"\n  auth_user = \"app\"\n}",
    ),
    (
        &["pgbouncer", "settings"],
        "auth_type",
        "role \"app\" {\n  login = true\n  password = \"x\"\n}\npgbouncer \"main\" {\n  config_dir = \"/tmp\"\n  users = [\"app\"]\n  settings = { auth_type = \"#value\" }\n}",
    ),
    (
        &["pgbouncer", "settings"],
        "client_tls_sslmode",
        "role \"app\" {\n  login = true\n  password = \"x\"\n}\npgbouncer \"main\" {\n  config_dir = \"/tmp\"\n  users = [\"app\"]\n  settings = { client_tls_sslmode = \"#value\" }\n}",
    ),
    (
        &["pgbouncer", "settings"],
        "pool_mode",
        "role \"app\" {\n  login = true\n  password = \"x\"\n}\npgbouncer \"main\" {\n  config_dir = \"/tmp\"\n  users = [\"app\"]\n  settings = { pool_mode = \"#value\" }\n}",
    ),
    (
        &["pgbouncer", "settings"],
        "server_tls_sslmode",
        "role \"app\" {\n  login = true\n  password = \"x\"\n}\npgbouncer \"main\" {\n  config_dir = \"/tmp\"\n  users = [\"app\"]\n  settings = { server_tls_sslmode = \"#value\" }\n}",
    ),
    (
        &["pgbouncer", "settings"],
        "syslog_facility",
        "role \"app\" {\n  login = true\n  password = \"x\"\n}\npgbouncer \"main\" {\n  config_dir = \"/tmp\"\n  users = [\"app\"]\n  settings = { syslog_facility = \"#value\" }\n}",
    ),
    (
        &["pgbouncer", "tls"],
        "client_sslmode",
        "certificate_authority \"main\" {}\nrole \"app\" {\n  login = true\n  password = \"x\"\n}\npgbouncer \"main\" {\n  config_dir = \"/tmp\"\n  users = [\"app\"]\n  tls {\n    ca = \"main\"\n    dns_names = [\"pgb\"]\n    client_sslmode = \"#value\"\n  }\n}",
    ),
    (
        &["pgbouncer", "tls"],
        "key_type",
        "certificate_authority \"main\" {}\nrole \"app\" {\n  login = true\n  password = \"x\"\n}\npgbouncer \"main\" {\n  config_dir = \"/tmp\"\n  users = [\"app\"]\n  tls {\n    ca = \"main\"\n    dns_names = [\"pgb\"]\n    key_type = \"#value\"\n  }\n}",
    ),
    (
        &["pgbouncer", "tls"],
        "server_sslmode",
        "certificate_authority \"main\" {}\nrole \"app\" {\n  login = true\n  password = \"x\"\n}\npgbouncer \"main\" {\n  config_dir = \"/tmp\"\n  users = [\"app\"]\n  tls {\n    ca = \"main\"\n    dns_names = [\"pgb\"]\n    server_sslmode = \"#value\"\n  }\n}",
    ),
    (
        &["policy"],
        "command",
        "policy \"p\" {\n  database = \"app\"\n  table = \"t\"\n  command = \"#value\"\n}",
    ),
    (
        &["policy"],
        "as",
        "policy \"p\" {\n  database = \"app\"\n  table = \"t\"\n  as = \"#value\"\n}",
    ),
    (
        &["server_certificate"],
        "key_type",
        "server_certificate {\n  ca = \"main\"\n  dns_names = [\"db\"]\n  key_type = \"#value\"\n}",
    ),
    (
        &["server_certificate"],
        "min_protocol_version",
        "server_certificate {\n  ca = \"main\"\n  dns_names = [\"db\"]\n  min_protocol_version = \"#value\"\n}",
    ),
    (
        &["table"],
        "row_level_security",
        "table \"t\" {\n  database = \"app\"\n  row_level_security = \"#value\"\n}",
    ),
    (
        &["tune"],
        "storage",
        "tune {\n  memory = \"1GB\"\n  storage = \"#value\"\n}",
    ),
    (
        &["tune"],
        "workload",
        "tune {\n  memory = \"1GB\"\n  workload = \"#value\"\n}",
    ),
];

/// The string values a property's schema allows, in lower case (the
/// `enum`s within it, choices included).
fn allowed_values(root: &Value, schema: &Value, out: &mut BTreeSet<String>) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str)
        && let Some(target) = root.pointer(reference.trim_start_matches('#'))
    {
        allowed_values(root, target, out);
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        out.extend(
            values
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_lowercase),
        );
    }
    for key in ["anyOf", "oneOf"] {
        for choice in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            allowed_values(root, choice, out);
        }
    }
}

#[test]
fn allowed_values_in_the_schema_are_those_the_decoders_accept() {
    let schema = Document::Config.schema();
    // Every attribute with allowed values has a probe.
    for case in CASES {
        let body = body(&schema, case.path);
        for (name, property) in body["properties"].as_object().into_iter().flatten() {
            let mut values = BTreeSet::new();
            allowed_values(&schema, property, &mut values);
            let probed = VALUE_PROBES
                .iter()
                .any(|(path, attribute, _)| *path == case.path && attribute == name);
            assert!(
                values.is_empty() || probed,
                "{}.{name} lists values: add it to VALUE_PROBES",
                case.path.join(".")
            );
        }
    }
    for (path, attribute, text) in VALUE_PROBES {
        let what = format!("{}.{attribute}", path.join("."));
        let mut values = BTreeSet::new();
        allowed_values(
            &schema,
            &body(&schema, path)["properties"][*attribute],
            &mut values,
        );
        assert!(!values.is_empty(), "{what}: the schema lists no values");
        let message = load_error(&text.replace("#value", PROBE), &[])
            .unwrap_or_else(|| panic!("{what}: {PROBE} was accepted"))
            .to_lowercase();
        // Each value the schema allows is one the decoder names...
        for value in &values {
            assert!(
                message.contains(value.as_str()),
                "{what}: {value} not in: {message}"
            );
        }
        // ...and, where it lists them, the decoder names no other.
        if let Some(accepted) = expected_names(&message) {
            assert_eq!(values, accepted, "{what}: schema (left), decoder (right)");
        }
        // Each value the schema allows loads.
        for value in &values {
            let text = text.replace("#value", value);
            if let Some(message) = load_error(&text, &[]) {
                assert!(
                    !message.to_lowercase().contains(&format!("\"{value}\"")),
                    "{what}: {value} refused: {message}"
                );
            }
        }
    }
}
