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
