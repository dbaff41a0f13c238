use super::*;

/// Values no token may carry, whatever the column.
const HOSTILE: &[(&str, &str)] = &[
    ("newline", "a\nhost all all all trust"),
    ("carriage return", "a\rb"),
    ("NUL", "a\0b"),
    ("tab inside", "a\tb\u{7}"),
    ("double quote", "a\"b"),
    ("escaped quote", "\"\""),
    ("empty", ""),
];

#[test]
fn hostile_names_are_refused() {
    for (label, text) in HOSTILE {
        assert!(name_token(text, "user").is_err(), "{label}: {text:?}");
        assert!(word_token(text, "method").is_err(), "{label}: {text:?}");
        assert!(option_token("map", text).is_err(), "{label}: {text:?}");
    }
    let long = "x".repeat(MAX_TOKEN + 1);
    assert!(matches!(
        name_token(&long, "user"),
        Err(TokenError::TooLong { .. })
    ));
}

#[test]
fn separators_and_comments_are_quoted() {
    let cases = [
        ("My DB", "\"My DB\""),
        ("a,b", "\"a,b\""),
        ("x#y", "\"x#y\""),
        ("tab\u{20}", "\"tab \""),
        ("éclair", "\"éclair\""),
        ("app_1.x-y$", "app_1.x-y$"),
    ];
    for (text, token) in cases {
        assert_eq!(name_token(text, "database").unwrap(), token, "{text:?}");
    }
}

#[test]
fn keywords_and_prefixes_keep_their_meaning() {
    for keyword in KEYWORDS {
        assert_eq!(name_token(keyword, "database").unwrap(), *keyword);
    }
    // The prefix stays outside the quotes: a token is "quoted" (and loses
    // its meaning) only when it starts with a quote.
    assert_eq!(name_token("+staff", "user").unwrap(), "+staff");
    assert_eq!(name_token("+my group", "user").unwrap(), "+\"my group\"");
    assert_eq!(name_token("@admins", "user").unwrap(), "@admins");
    assert_eq!(name_token("@my list", "user").unwrap(), "@\"my list\"");
    // A regular expression is recognised quoted too (16+).
    assert_eq!(name_token("/^a,b$", "user").unwrap(), "\"/^a,b$\"");
    assert_eq!(name_token("+", "user").unwrap(), "+");
    assert_eq!(
        list_token(&["all".into(), "a b".into()], "database").unwrap(),
        "all,\"a b\""
    );
    assert!(list_token(&[], "database").is_err());
}

#[test]
fn words_are_never_quoted() {
    assert_eq!(
        word_token("scram-sha-256", "method").unwrap(),
        "scram-sha-256"
    );
    assert_eq!(word_token("::1/128", "address").unwrap(), "::1/128");
    for text in ["a b", "a,b", "a#b", "+x", "@x", "é"] {
        assert!(word_token(text, "address").is_err(), "{text:?}");
    }
}

#[test]
fn option_names_are_identifiers_the_server_knows() {
    for name in [
        "\nhost all all all trust\n#x",
        "Map",
        "map ",
        "ma p",
        "map=x",
        "m#ap",
        "1map",
        "",
        "map,ldapserver",
        "\"map\"",
    ] {
        assert!(
            matches!(check_option_name(name), Err(TokenError::OptionName { .. })),
            "{name:?}"
        );
    }
    assert!(matches!(
        check_option_name("mapp"),
        Err(TokenError::UnknownOption { .. })
    ));
    for name in OPTION_NAMES {
        assert!(check_option_name(name).is_ok(), "{name}");
    }
}

#[test]
fn option_values_are_quoted_when_not_plain() {
    assert_eq!(option_token("map", "m#ap").unwrap(), "map=\"m#ap\"");
    assert_eq!(option_token("map", "certs").unwrap(), "map=certs");
    assert_eq!(
        option_token("radiusservers", "a,b").unwrap(),
        "radiusservers=\"a,b\""
    );
    assert_eq!(
        option_token("ldapsearchfilter", "(uid=$username)").unwrap(),
        "ldapsearchfilter=\"(uid=$username)\""
    );
    assert_eq!(
        option_token("ldapbindpasswd", "s3 cr#t").unwrap(),
        "ldapbindpasswd=\"s3 cr#t\""
    );
}

#[test]
fn secrets_are_redacted_in_text_and_display() {
    let text = "# ldapbindpasswd=kept in a comment\n\
                host all all all ldap ldapserver=x ldapbindpasswd=\"p w#x\" ldapbasedn=dc\n\
                host all all all radius radiusservers=r radiussecrets=a,b # c\n";
    let redacted = redact_text(text);
    assert_eq!(
        redacted,
        "# ldapbindpasswd=kept in a comment\n\
         host all all all ldap ldapserver=x ldapbindpasswd=(sensitive) ldapbasedn=dc\n\
         host all all all radius radiusservers=r radiussecrets=(sensitive) # c\n"
    );
    assert_eq!(
        shown_option("ldapbindpasswd", "hunter2"),
        "ldapbindpasswd=(sensitive)"
    );
    assert_eq!(shown_option("map", "a\nb"), "map=\"a\\nb\"");
}

/// Digests and fingerprints serialize the live file: no secret in them.
#[test]
fn a_serialized_live_file_holds_no_secret() {
    let hba = crate::model::Hba {
        text: Some("host all all all ldap ldapbindpasswd=hunter2\n".into()),
        ..Default::default()
    };
    let json = serde_json::to_string(&hba).unwrap();
    assert!(
        !json.contains("hunter2") && json.contains("(sensitive)"),
        "{json}"
    );
}

/// Rules that did not come through the configuration are checked too: the
/// renderer refuses (an error, not a panic) what the grammar rejects.
#[test]
fn the_file_renderer_refuses_unchecked_tokens() {
    use crate::model::{ConnType, HbaAddress, HbaRule, HbaWrite, render_hba_file};
    let rule = HbaRule {
        conn_type: ConnType::Local,
        databases: vec!["all".into()],
        users: vec!["all".into()],
        address: HbaAddress::None,
        method: "peer".into(),
        options: vec![("\nhost all all all trust\n#x".into(), "y".into())],
        comment: None,
    };
    assert!(matches!(
        render_hba_file(std::slice::from_ref(&rule)),
        Err(TokenError::OptionName { .. })
    ));
    assert!(HbaWrite::new("/d/pg_hba.conf", "", std::slice::from_ref(&rule)).is_err());
    assert!(
        !rule.line().contains('\n'),
        "shown escaped: {}",
        rule.line()
    );
    let mut bad_user = HbaRule {
        options: vec![],
        ..rule
    };
    bad_user.users = vec!["a\"b".into()];
    assert!(bad_user.file_line().is_err());
    bad_user.users = vec!["all".into()];
    bad_user.method = "peer trust".into();
    assert!(bad_user.file_line().is_err());
}
