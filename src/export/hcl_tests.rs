use super::*;
use crate::config::{self, NoPrompt, VariableInputs};
use crate::model::Password;

#[test]
fn strings_escape_quotes_backslashes_and_controls() {
    assert_eq!(quote("plain"), "\"plain\"");
    assert_eq!(quote("say \"hi\""), "\"say \\\"hi\\\"\"");
    assert_eq!(quote("C:\\dir"), "\"C:\\\\dir\"");
    assert_eq!(quote("a\nb\tc\r"), "\"a\\nb\\tc\\r\"");
    assert_eq!(quote("bell\u{7}"), "\"bell\\u0007\"");
    assert_eq!(quote("é ✓"), "\"é ✓\"");
}

#[test]
fn template_sequences_stay_text() {
    assert_eq!(quote("${var.x}"), "\"$${var.x}\"");
    assert_eq!(quote("%{ if x }"), "\"%%{ if x }\"");
    assert_eq!(quote("$$${x}"), "\"$$$${x}\"");
    assert_eq!(quote("cost: 5$ {x} 100%"), "\"cost: 5$ {x} 100%\"");
    assert_eq!(quote("\"$user\", public"), "\"\\\"$user\\\", public\"");
}

#[test]
fn map_keys_are_bare_only_when_plain_names() {
    assert_eq!(map_key("work_mem"), "work_mem");
    assert_eq!(map_key("app2"), "app2");
    assert_eq!(map_key("my-db"), "\"my-db\"");
    assert_eq!(map_key("My DB"), "\"My DB\"");
    assert_eq!(map_key("2fa"), "\"2fa\"");
    assert_eq!(map_key("true"), "\"true\"");
    assert_eq!(map_key("for"), "\"for\"");
    assert_eq!(map_key(""), "\"\"");
    assert_eq!(map_key("${x}"), "\"$${x}\"");
}

#[test]
fn blocks_attributes_and_comments() {
    let mut file = Body::new();
    file.comment("Roles.\nSecond line");
    let mut role = Block::labelled("role", "app");
    role.body
        .attr("login", true)
        .attr("connection_limit", 5)
        .comment("the password is not exported")
        .attr("member_of", Value::strings(["a", "b"]))
        .attr(
            "settings",
            Value::Map(vec![("work_mem".into(), "64MB".into())]),
        )
        .attr_opt("comment", None::<String>);
    file.block(role);
    file.block(Block::labelled("role", "empty"));
    let mut hba = Block::new("hba");
    let mut rule = Block::new("rule");
    rule.body.attr("type", "local");
    hba.body.block(rule);
    file.block(hba);
    assert_eq!(
        file.render(),
        "# Roles.
# Second line
role \"app\" {
  login = true
  connection_limit = 5
  # the password is not exported
  member_of = [\"a\", \"b\"]
  settings = { work_mem = \"64MB\" }
}

role \"empty\" {}

hba {
  rule {
    type = \"local\"
  }
}
"
    );
    assert!(file.has_blocks());
}

#[test]
fn long_lists_and_maps_go_one_element_per_line() {
    let names: Vec<String> = (0..12).map(|i| format!("table_number_{i}")).collect();
    let mut body = Body::new();
    body.attr(
        "on",
        Value::Map(vec![
            ("database".into(), "app".into()),
            ("tables".into(), Value::strings(names.clone())),
        ]),
    );
    let text = body.render();
    assert!(
        text.starts_with("on = {\n  database = \"app\"\n  tables = [\n"),
        "{text}"
    );
    assert!(
        text.contains("    \"table_number_11\",\n  ]\n}\n"),
        "{text}"
    );
    hcl_edit::parser::parse_body(&text).expect("valid HCL");
}

/// Writes `text` as a configuration and loads it the way `plan` does.
fn load(text: &str) -> crate::config::Config {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.hcl"), text).unwrap();
    config::load(dir.path(), &VariableInputs::default(), &NoPrompt)
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn awkward_text_reads_back_unchanged() {
    let awkward = [
        "${var.x}",
        "%{ if true }x%{ endif }",
        "$${not an escape}",
        "quote \" and backslash \\ and tab \t",
        "multi\nline",
        "100% {braces} and $dollars",
        "\"$user\", public",
    ];
    for text in awkward {
        let mut file = Body::new();
        let mut role = Block::labelled("role", text);
        role.body
            .attr("comment", text)
            .attr("settings", Value::Map(vec![(text.into(), "on".into())]));
        file.block(role);
        let rendered = file.render();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.hcl"), &rendered).unwrap();
        // The settings key is not a valid setting name; load the label and
        // the comment without it.
        let mut plain = Body::new();
        let mut role = Block::labelled("role", text);
        role.body.attr("comment", text).attr(
            "database_settings",
            Value::Map(vec![(text.into(), Value::Map(vec![]))]),
        );
        plain.block(role);
        let config = load(&plain.render());
        let role = &config.desired.roles[text];
        assert_eq!(role.comment.as_deref(), Some(text), "{rendered}");
        assert!(role.database_settings.contains_key(text), "{rendered}");
        assert_eq!(role.password, Password::None);
        // And the canonical layout does not change the meaning.
        config::format_source(&rendered, std::path::Path::new("main.hcl"))
            .unwrap_or_else(|e| panic!("{e}\n{rendered}"));
    }
}

#[test]
fn long_comments_wrap_at_words() {
    let mut body = Body::new();
    body.comment(
        "Not exported:\n- a note long enough to need two lines when it is written out in \
         full, word by word, with nothing cut",
    );
    assert_eq!(
        body.render(),
        "# Not exported:
# - a note long enough to need two lines when it is written out in full, word by
#   word, with nothing cut
"
    );
}
