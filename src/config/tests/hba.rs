//! `hba` blocks: rules in written order, normalised; checks; located errors.

use super::{error_of, load_text, refused};
use crate::model::{ConnType, HbaAddress};

const FULL: &str = r#"
hba {
  rule {
    type    = "local"
    user    = "postgres"
    method  = "peer"
    comment = "the administrator"
  }
  rule {
    type     = "host"
    database = ["app", "reports"]
    user     = ["app", "+staff"]
    address  = "10.20.3.4"
    netmask  = "255.255.0.0"
    method   = "scram-sha-256"
  }
  rule {
    type    = "hostssl"
    address = "::/0"
    method  = "cert"
    options = { map = "certs" }
  }
  check {
    user    = "app"
    address = "10.20.0.1"
    expect  = "scram-sha-256"
  }
}
"#;

#[test]
fn rules_keep_their_order_and_are_normalised() {
    let config = load_text(FULL).unwrap();
    let hba = config.desired.hba.unwrap();
    let types: Vec<ConnType> = hba.rules.iter().map(|r| r.conn_type).collect();
    assert_eq!(types, [ConnType::Local, ConnType::Host, ConnType::HostSsl]);
    assert_eq!(hba.rules[0].address, HbaAddress::None);
    assert_eq!(hba.rules[0].databases, ["all"]);
    assert_eq!(hba.rules[1].users, ["app", "+staff"]);
    assert_eq!(hba.rules[1].address.to_string(), "10.20.0.0/16");
    assert_eq!(hba.rules[2].line(), "hostssl all all ::/0 cert map=certs");
    assert_eq!(
        hba.rules[2].compared_line(),
        "hostssl all all ::/0 cert clientcert=verify-full map=certs"
    );
    assert_eq!(hba.checks[0].probe.database, "app", "defaults to the user");
    assert!(
        hba.checks[0].location.ends_with("main.hcl:23:3"),
        "{}",
        hba.checks[0].location
    );
}

#[test]
fn invalid_rules_are_located() {
    let rule = |body: &str| format!("hba {{\n  rule {{\n    {body}\n  }}\n}}\n");
    refused(
        &rule("type = \"local\"\n    address = \"10.0.0.0/8\"\n    method = \"peer\""),
        "4:15: a local rule (Unix socket) takes no address",
        Some("remove address, or use type = \"host\""),
    );
    let (error, _) = error_of(&rule("type = \"hots\"\n    method = \"md5\""));
    assert!(
        error.starts_with("3:12: unknown rule type \"hots\""),
        "{error}"
    );
    let (error, _) = error_of(&rule(
        "type = \"host\"\n    address = \"10.0.0.0/8\"\n    method = \"scram\"",
    ));
    assert!(
        error.starts_with("5:14: unknown method \"scram\""),
        "{error}"
    );
    let (error, _) = error_of(&rule(
        "type = \"host\"\n    address = \"10.0.0.0\"\n    netmask = \"255.0.255.0\"\n    method = \"md5\"",
    ));
    assert!(error.contains("does not fit"), "{error}");
    let (error, _) = error_of(&rule(
        "type = \"host\"\n    address = \"10.0.0.0/8\"\n    method = \"peer\"",
    ));
    assert!(error.contains("peer works only on local rules"), "{error}");
    let (error, _) = error_of(&rule(
        "type = \"host\"\n    adress = \"10.0.0.0/8\"\n    method = \"md5\"",
    ));
    assert!(error.contains("unknown attribute \"adress\""), "{error}");
    let (error, _) = error_of("hba {\n}\n");
    assert!(
        error.starts_with("1:1: an hba block needs at least one rule"),
        "{error}"
    );
    let (error, _) = error_of(
        "hba {\n  rule {\n    type = \"local\"\n    method = \"peer\"\n  }\n  rlue {\n  }\n}\n",
    );
    assert!(
        error.starts_with("6:3: unexpected block \"rlue\""),
        "{error}"
    );
}

/// Everything an `options` map writes into the file is a checked token:
/// the names as strictly as the values.
#[test]
fn hostile_option_names_and_values_are_refused_where_written() {
    let rule = |options: &str| {
        format!(
            "hba {{\n  rule {{\n    type = \"local\"\n    method = \"peer\"\n    options = {options}\n  }}\n}}\n"
        )
    };
    let (error, hint) = error_of(&rule("{ \"\\nhost all all all trust\\n#x\" = \"y\" }"));
    assert!(
        error.starts_with(
            "5:17: hba: option name \"\\nhost all all all trust\\n#x\" is not a plain word"
        ),
        "{error}"
    );
    assert!(hint.unwrap().contains("ldapbindpasswd"));
    let (error, hint) = error_of(&rule("{ mapp = \"m\" }"));
    assert!(
        error.starts_with("5:17: hba: \"mapp\" is not an authentication option"),
        "{error}"
    );
    assert_eq!(hint.as_deref(), Some("did you mean \"map\"?"));
    for value in [
        "\"a\\nhost all all all trust\"",
        "\"a\\\"b\"",
        "\"\"",
        "\"a\\rb\"",
    ] {
        let (error, _) = error_of(&rule(&format!("{{ map = {value} }}")));
        assert!(
            error.starts_with("5:23: hba: the value of option map"),
            "{value}: {error}"
        );
    }
    let (error, _) = error_of(&rule_with("user = [\"a\", \"b\\nlocal all all trust\"]"));
    assert!(
        error.starts_with("4:18: hba: user holds a control character"),
        "{error}"
    );
    let (error, _) = error_of(&rule_with("database = \"a\\\"b\""));
    assert!(
        error.starts_with("4:16: hba: database holds a double quote"),
        "{error}"
    );
}

/// A local peer rule with one more attribute, on line 4.
fn rule_with(attribute: &str) -> String {
    format!(
        "hba {{\n  rule {{\n    type = \"local\"\n    {attribute}\n    method = \"peer\"\n  }}\n}}\n"
    )
}

#[test]
fn a_hash_in_an_option_value_is_quoted() {
    let config = load_text(
        "hba {\n  rule {\n    type = \"local\"\n    database = [\"all\", \"my db\", \"+g\"]\n    method = \"peer\"\n    options = { map = \"m#ap\" }\n  }\n}\n",
    )
    .unwrap();
    let rule = &config.desired.hba.unwrap().rules[0];
    assert_eq!(rule.options, [("map".to_owned(), "m#ap".to_owned())]);
    assert_eq!(
        rule.file_line().unwrap(),
        "local all,\"my db\",+g all peer map=\"m#ap\""
    );
}
