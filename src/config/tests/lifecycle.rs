//! `lifecycle { prevent_destroy = true }` in object blocks, and
//! `manage { prevent_destroy = [...] }` address patterns.

use super::{error_of, load_text, refused};

#[test]
fn lifecycle_records_the_address_and_where_it_is_written() {
    let config = load_text(
        r#"
role "app" {
  lifecycle {
    prevent_destroy = true
  }
}
database "app" {
  lifecycle {
    prevent_destroy = false
  }
}
schema "s" {
  database = "app"
  lifecycle {
    prevent_destroy = true
  }
}
table "t" {
  database = "app"
  schema   = "s"
  lifecycle {
    prevent_destroy = true
  }
}
policy "own" {
  database = "app"
  table    = "s.t"
  using    = "true"
  lifecycle {
    prevent_destroy = true
  }
}
extension "pg_trgm" {
  database = "app"
  lifecycle {
    prevent_destroy = true
  }
}
"#,
    )
    .unwrap();
    let protected: Vec<(&str, usize)> = config
        .guards
        .protected
        .iter()
        .map(|(address, location)| (address.as_str(), location.line))
        .collect();
    assert_eq!(
        protected,
        [
            ("extension.app.pg_trgm", 36),
            ("policy.app.s.t.own", 30),
            ("role.app", 4),
            ("schema.app.s", 15),
            ("table.app.s.t", 22),
        ]
    );
    let location = &config.guards.protected["role.app"];
    assert_eq!(location.column, 23, "the value's place");
    assert!(config.guards.patterns.is_empty());
}

#[test]
fn lifecycle_mistakes_are_located() {
    refused(
        "grant {\n  to         = [\"a\"]\n  privileges = [\"CONNECT\"]\n  on         = { database = \"d\" }\n  lifecycle {\n    prevent_destroy = true\n  }\n}\nrole \"a\" {}\n",
        "5:3: unexpected block \"lifecycle\" in grant block",
        Some(
            "lifecycle { prevent_destroy = true } is accepted in role, database, schema, \
             extension, table and policy blocks; to protect other addresses, use manage { \
             prevent_destroy = [...] }",
        ),
    );
    let (error, _) = error_of(
        "role \"a\" {\n  lifecycle {\n    prevent_destroy = true\n  }\n  lifecycle {}\n}\n",
    );
    assert!(
        error.starts_with("5:3: only one lifecycle block is allowed; the first is at ")
            && error.ends_with("main.hcl:2:3"),
        "{error}"
    );
}

#[test]
fn unknown_lifecycle_attributes_are_refused() {
    refused(
        "role \"a\" {\n  lifecycle {\n    prevent_destory = true\n  }\n}\n",
        "3:5: unknown attribute \"prevent_destory\" in lifecycle block of role \"a\", expected one of: prevent_destroy",
        Some("did you mean \"prevent_destroy\"?"),
    );
    refused(
        "role \"a\" {\n  lifecycle {\n    prevent_destroy = \"yes\"\n  }\n}\n",
        "3:23: prevent_destroy must be a bool (true or false), got a string",
        None,
    );
}

#[test]
fn manage_prevent_destroy_patterns() {
    let config =
        load_text("manage {\n  prevent_destroy = [\"role.app_*\", \"database.*\"]\n}\n").unwrap();
    let patterns: Vec<(&str, usize, usize)> = config
        .guards
        .patterns
        .iter()
        .map(|(p, l)| (p.as_str(), l.line, l.column))
        .collect();
    assert_eq!(patterns, [("role.app_*", 2, 22), ("database.*", 2, 36)]);

    refused(
        "manage {\n  prevent_destroy = [\"roles.app\"]\n}\n",
        "2:22: \"roles.app\" does not start with a kind of object",
        Some("did you mean \"role\"?"),
    );
}
