//! The `patroni` block: decoding, and located errors for bad URLs,
//! credentials and combinations.

use super::{error_of, load_text};

#[test]
fn a_block_decodes_urls_credentials_and_tls_files() {
    let config = load_text(
        r#"
patroni {
  url      = ["http://10.0.0.1:8008", "https://10.0.0.2:8008/"]
  username = "patroni"
  password = "api-secret"
  cacert   = "certs/ca.crt"
  cert     = "certs/pgfort.crt"
  key      = "certs/pgfort.key"
}
"#,
    )
    .expect("a valid block");
    let patroni = config.patroni.expect("the block");
    assert_eq!(
        patroni.urls,
        ["http://10.0.0.1:8008", "https://10.0.0.2:8008/"]
    );
    assert_eq!(patroni.username.as_deref(), Some("patroni"));
    assert_eq!(
        patroni.password.as_ref().map(|p| p.expose()),
        Some("api-secret")
    );
    assert!(patroni.cacert.unwrap().ends_with("certs/ca.crt"));
    assert!(!format!("{:?}", patroni.password).contains("api-secret"));

    let single = load_text("patroni {\n  url = \"http://127.0.0.1:8008\"\n}\n").expect("valid");
    assert_eq!(single.patroni.unwrap().urls, ["http://127.0.0.1:8008"]);
    assert!(load_text("role \"a\" {}\n").unwrap().patroni.is_none());
}

#[test]
fn bad_blocks_are_refused_where_written() {
    let cases = [
        ("patroni {\n}\n", "1:1: missing attribute \"url\""),
        (
            "patroni {\n  url = \"10.0.0.1:8008\"\n}\n",
            "2:9: invalid Patroni URL \"10.0.0.1:8008\": expected an http:// or https:// URL",
        ),
        (
            "patroni {\n  url = \"http://admin:pw@10.0.0.1:8008\"\n}\n",
            "2:9: invalid Patroni URL \"http://admin:pw@10.0.0.1:8008\": credentials do not go in the URL: use username and password",
        ),
        (
            "patroni {\n  url = [\"http://a:8008\", \"http://b:8008 x\"]\n}\n",
            "2:27: invalid Patroni URL \"http://b:8008 x\": a URL cannot hold spaces or control characters",
        ),
        (
            "patroni {\n  url = []\n}\n",
            "2:9: url must name at least one REST API",
        ),
        (
            "patroni {\n  url  = \"http://a:8008\"\n  cert = \"x.crt\"\n}\n",
            "1:1: cert and key go together: a client certificate needs its key",
        ),
        (
            "patroni {\n  url = \"http://a:8008\"\n}\npatroni {\n  url = \"http://b:8008\"\n}\n",
            "4:1: only one patroni block is allowed; the first is at",
        ),
        (
            "patroni {\n  url = \"http://a:8008\"\n  urls = []\n}\n",
            "3:3: unknown attribute \"urls\" in patroni",
        ),
    ];
    for (text, expected) in cases {
        let (error, _) = error_of(text);
        assert!(error.starts_with(expected), "{error}\nfor:\n{text}");
    }
}

#[test]
fn a_server_certificate_cannot_go_with_patroni() {
    let text = r#"
certificate_authority "main" {}
server_certificate {
  ca        = "main"
  dns_names = ["db"]
}
patroni {
  url = "http://127.0.0.1:8008"
}
"#;
    let (error, hint) = error_of(text);
    assert!(
        error.starts_with("7:1: server_certificate cannot be used with a patroni block"),
        "{error}"
    );
    assert!(hint.is_some_and(|h| h.contains("every member")));
}
