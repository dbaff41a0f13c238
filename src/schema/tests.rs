//! The committed schemas are the generated ones; the configuration schema
//! admits the shipped configurations; the structural checker the
//! conformance tests use understands what the generator emits.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::Document;
use crate::schema_check::conforms;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_schemas_are_the_generated_ones() {
    for document in Document::ALL {
        let path = repository().join("schema").join(document.file_name());
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == document.render(),
            "{} is stale: regenerate it with `cargo run -- schema --out schema`",
            path.display()
        );
    }
}

#[test]
fn documents_are_named_on_the_command_line_as_in_file_names() {
    for document in Document::ALL {
        assert_eq!(document.name().parse::<Document>(), Ok(document));
        assert_eq!(
            document.file_name(),
            format!("{document}.schema.json"),
            "{document}"
        );
        let schema = document.schema();
        assert_eq!(
            schema["$id"],
            format!("https://pgfort.dev/schema/{}", document.file_name())
        );
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
    }
    assert!("plans".parse::<Document>().is_err());
}

#[test]
fn write_puts_each_schema_in_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nested");
    let written = super::write(&out, &Document::ALL).unwrap();
    assert_eq!(written.len(), 5);
    for document in Document::ALL {
        let text = std::fs::read_to_string(out.join(document.file_name())).unwrap();
        assert_eq!(text, document.render());
    }
}

/// Every `*.hcl` file under `dir`, recursively.
fn hcl_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            hcl_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "hcl") {
            out.push(path);
        }
    }
}

/// A file in HCL's JSON form, as hcl2json writes it.
fn json_form(text: &str) -> Value {
    let body = hcl::parse(text).expect("the file parses");
    serde_json::to_value(hcl::Value::from(body)).expect("HCL values are JSON")
}

#[test]
fn shipped_configurations_conform_to_the_configuration_schema() {
    let schema = Document::Config.schema();
    let mut files = Vec::new();
    for dir in ["examples", "modules"] {
        hcl_files(&repository().join(dir), &mut files);
    }
    assert!(files.len() > 5, "found only {files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let document = json_form(&text);
        if let Err(message) = conforms(&schema, &schema, &document, "$") {
            panic!("{}: {message}", file.display());
        }
    }
}

#[test]
fn the_configuration_schema_refuses_what_the_decoders_refuse() {
    let schema = Document::Config.schema();
    let refused = [
        "rol \"app\" {}",
        "role \"app\" {\n  logon = true\n}",
        "role \"app\" {\n  login = \"yes\"\n}",
        "tune {\n  cpus = 4\n}",
        "hba {\n  rule {\n    type = \"hots\"\n    method = \"trust\"\n  }\n}",
        "grant {\n  to = [\"a\"]\n  privileges = [\"ALL\"]\n  on = { db = \"x\" }\n}",
    ];
    for text in refused {
        let document = json_form(text);
        assert!(
            conforms(&schema, &schema, &document, "$").is_err(),
            "admitted: {text}"
        );
    }
    // Expressions fit any attribute, in HCL's JSON form.
    let admitted = "role \"app\" {\n  login = var.login\n  connection_limit = local.n\n}";
    conforms(&schema, &schema, &json_form(admitted), "$").unwrap();
}

mod checker {
    use super::*;

    fn check(schema: Value, value: Value) -> Result<(), String> {
        conforms(&schema, &schema, &value, "$")
    }

    #[test]
    fn references_resolve_anywhere_in_the_document() {
        let schema = json!({
            "$defs": { "n": { "type": "integer" } },
            "properties": { "a": { "$ref": "#/$defs/n" }, "b": { "$ref": "#/properties/a" } }
        });
        assert!(check(schema.clone(), json!({ "a": 1, "b": 2 })).is_ok());
        assert!(check(schema.clone(), json!({ "b": "x" })).is_err());
        let dangling = json!({ "$ref": "#/$defs/missing" });
        assert!(
            check(dangling, json!(1))
                .unwrap_err()
                .contains("unresolved")
        );
    }

    #[test]
    fn any_of_needs_one_and_one_of_exactly_one() {
        let any = json!({ "anyOf": [{ "type": "string" }, { "type": "integer" }] });
        assert!(check(any.clone(), json!("x")).is_ok());
        assert!(check(any.clone(), json!(3)).is_ok());
        assert!(check(any, json!(true)).is_err());
        let one = json!({ "oneOf": [{ "type": "number" }, { "type": "integer" }] });
        assert!(check(one.clone(), json!(1.5)).is_ok());
        assert!(check(one, json!(1)).unwrap_err().contains("exactly one"));
        let all = json!({ "allOf": [{ "minimum": 1 }, { "maximum": 3 }] });
        assert!(check(all.clone(), json!(2)).is_ok());
        assert!(check(all, json!(4)).is_err());
    }

    #[test]
    fn literal_patterns_are_checked_and_others_left_alone() {
        let expression = json!({ "type": "string", "pattern": "\\$\\{" });
        assert!(check(expression.clone(), json!("${var.x}")).is_ok());
        assert!(check(expression, json!("yes")).is_err());
        let regex = json!({ "type": "string", "pattern": "^a+$" });
        assert!(check(regex, json!("b")).is_ok());
    }

    #[test]
    fn const_enum_and_nullable_types() {
        assert!(check(json!({ "const": "3" }), json!("3")).is_ok());
        assert!(check(json!({ "const": "3" }), json!(3)).is_err());
        let nullable = json!({ "type": ["string", "null"], "enum": ["a", null] });
        assert!(check(nullable.clone(), json!(null)).is_ok());
        assert!(check(nullable.clone(), json!("a")).is_ok());
        assert!(check(nullable, json!("b")).is_err());
    }

    #[test]
    fn boolean_schemas_and_additional_properties() {
        assert!(check(json!(true), json!({ "x": 1 })).is_ok());
        assert!(check(json!(false), json!(1)).is_err());
        let closed = json!({ "properties": { "a": {} }, "additionalProperties": false });
        assert!(check(closed.clone(), json!({ "a": 1 })).is_ok());
        assert!(check(closed, json!({ "b": 1 })).is_err());
        let typed = json!({ "additionalProperties": { "type": "integer" } });
        assert!(check(typed.clone(), json!({ "b": 1 })).is_ok());
        assert!(check(typed, json!({ "b": "1" })).is_err());
    }

    #[test]
    fn bounds_required_and_items() {
        let schema = json!({
            "type": "object",
            "required": ["n"],
            "properties": { "n": { "type": "integer", "minimum": -1, "maximum": 9 } },
            "additionalProperties": { "type": "array", "items": { "type": "string" } }
        });
        assert!(check(schema.clone(), json!({ "n": -1, "l": ["a"] })).is_ok());
        assert!(check(schema.clone(), json!({ "n": -2 })).is_err());
        assert!(check(schema.clone(), json!({ "n": 10 })).is_err());
        assert!(check(schema.clone(), json!({ "l": [] })).is_err());
        let message = check(schema, json!({ "n": 1, "l": [1] })).unwrap_err();
        assert!(message.starts_with("$.l[0]"), "{message}");
    }
}
