//! Layout, comment preservation, idempotence and refusal.

use std::path::Path;

use super::format_source;

fn format(text: &str) -> String {
    let formatted = format_source(text, Path::new("t.hcl")).unwrap();
    let again = format_source(&formatted, Path::new("t.hcl")).unwrap();
    assert_eq!(again, formatted, "not idempotent for:\n{text}");
    formatted
}

#[test]
fn indents_and_aligns() {
    let input = r#"


role "app_user" {
login = true
    connection_limit=50
  valid_until =   "2027-12-31"   
  member_of = ["a"]



  settings = {
      statement_timeout = "30s"
   work_mem = "4MB"
  }
  comment = "x"
}
role "b" {}


"#;
    let expected = r#"role "app_user" {
  login            = true
  connection_limit = 50
  valid_until      = "2027-12-31"
  member_of        = ["a"]

  settings = {
    statement_timeout = "30s"
    work_mem          = "4MB"
  }
  comment = "x"
}
role "b" {}
"#;
    assert_eq!(format(input), expected);
}

#[test]
fn keeps_comments() {
    let input = r#"# Roles of the application.
// Another style.
role "a" {
# why it logs in
    login = true # trailing
 connection_limit = 5 // also trailing
      /* a block comment
   spanning lines,   
        kept as written */
  comment = "x" /* inline */
}
"#;
    let expected = r#"# Roles of the application.
// Another style.
role "a" {
  # why it logs in
  login            = true # trailing
  connection_limit = 5 // also trailing
  /* a block comment
   spanning lines,
        kept as written */
  comment = "x" /* inline */
}
"#;
    assert_eq!(format(input), expected);
}

#[test]
fn runs_break_at_blank_lines_comments_and_multi_line_values() {
    let input = r#"role "a" {
  login = true
  superuser = false

  createdb = true
  # comment
  replication = true
  member_of = [
"x",
   { role = "y", admin = true },
  ]
  inherit = false
  bypassrls = false
}
"#;
    let expected = r#"role "a" {
  login     = true
  superuser = false

  createdb = true
  # comment
  replication = true
  member_of = [
    "x",
    { role = "y", admin = true },
  ]
  inherit   = false
  bypassrls = false
}
"#;
    assert_eq!(format(input), expected);
}

#[test]
fn strings_and_heredocs_are_untouched() {
    let input = [
        r#"locals {"#,
        r#"a = "{ [ ( # // /* = ""#,
        r#"  bb = "${ {k = "}"}["k"] } and \" quote {""#,
        r#"    text = <<EOF"#,
        r#"  keep   this  "#,
        r#"{ not a block"#,
        r#"      EOF"#,
        r#"      ccc = <<-END"#,
        r#"        indented"#,
        r#"      END"#,
        r#"c = "$${literal} %%{x}""#,
        r#"}"#,
    ];
    let expected = [
        r#"locals {"#,
        r#"  a  = "{ [ ( # // /* = ""#,
        r#"  bb = "${ {k = "}"}["k"] } and \" quote {""#,
        r#"  text = <<EOF"#,
        r#"  keep   this  "#,
        r#"{ not a block"#,
        r#"      EOF"#,
        r#"  ccc = <<-END"#,
        r#"        indented"#,
        r#"      END"#,
        r#"  c = "$${literal} %%{x}""#,
        r#"}"#,
        "",
    ];
    assert_eq!(format(&input.join("\n")), expected.join("\n"));
}

#[test]
fn nested_brackets_indent_one_level_per_line() {
    let input = r#"locals {
x = [{
a = 1
bb = join(",", [
"p",
"q",
])
}]
y = {
"quoted key" = 1
other = [for s in ["a", "b"] : upper(s)
if s != "b"]
}
}
"#;
    let expected = r#"locals {
  x = [{
    a = 1
    bb = join(",", [
      "p",
      "q",
    ])
  }]
  y = {
    "quoted key" = 1
    other = [for s in ["a", "b"] : upper(s)
      if s != "b"]
  }
}
"#;
    assert_eq!(format(input), expected);
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(format(""), "");
    assert_eq!(format("\n\n\n"), "");
    assert_eq!(format("# only a comment   \n\n\n"), "# only a comment\n");
    assert_eq!(format("role \"a\" {}"), "role \"a\" {}\n");
    assert_eq!(
        format("role \"a\" {}\r\nrole \"b\" {}\r\n"),
        "role \"a\" {}\nrole \"b\" {}\n"
    );
}

#[test]
fn refuses_syntax_errors() {
    let err = format_source("role \"a\" {\n  login = \n}\n", Path::new("bad.hcl")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bad.hcl:2:11: syntax error: invalid expression; expected `\"`, `[`, `{`, `-`, `!`, `(`, `_`, `<`, \
         letter or digit"
    );
    let err = format_source("role \"a\" {\n", Path::new("bad.hcl")).unwrap_err();
    assert_eq!(err.location.unwrap().line, 1);
}

/// Re-indenting a well-formatted file at random gives it back unchanged.
#[test]
fn scrambled_indentation_comes_back() {
    let canonical = format(
        r#"variable "pw" {
  sensitive = true
}

locals {
  prefix = lower("APP") # comment
  readers = [
    "${local.prefix}_reader",
  ]
}

role "app_user" {
  login            = true
  connection_limit = 50
  password         = var.pw
  member_of = [
    local.readers[0],
    { role = "app_owner", admin = true },
  ]
  settings = {
    statement_timeout = "30s"
  }
  database_settings = {
    mydb = { work_mem = "64MB" }
  }
}
"#,
    );
    let mut seed: u64 = 0x5eed;
    for _ in 0..20 {
        let scrambled: String = canonical
            .lines()
            .map(|line| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let spaces = usize::try_from(seed >> 61).unwrap_or(0);
                let tail = if seed & 0x100 == 0 { "  " } else { "" };
                let mut line = line.trim_start().to_string();
                // Only `key = value` lines have their spacing normalised.
                if line.starts_with(|c: char| c.is_alphabetic()) {
                    let equals = format!("{}={}", " ".repeat(spaces % 3), " ".repeat(spaces % 2));
                    line = line.replacen(" = ", &equals, 1);
                }
                format!("{}{line}{tail}\n", " ".repeat(spaces))
            })
            .collect();
        assert_eq!(format(&scrambled), canonical, "from:\n{scrambled}");
    }
}

#[test]
fn formats_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("b.hcl"), "role \"b\" {\nlogin = true\n}\n").unwrap();
    std::fs::write(dir.path().join("a.hcl"), "role \"a\" {}\n").unwrap();
    std::fs::write(dir.path().join("c.txt"), "not hcl").unwrap();
    let files = super::format_dir(dir.path()).unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0].path, dir.path().join("a.hcl"));
    assert!(!files[0].is_changed());
    assert!(files[1].is_changed());
    assert_eq!(files[1].formatted, "role \"b\" {\n  login = true\n}\n");
}
