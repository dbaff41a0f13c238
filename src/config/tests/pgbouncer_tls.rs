//! The `tls` block of a pgbouncer block: defaults, names, modes, the
//! authority reference and the settings it owns, refused where written.

use super::{error_of, load_text, refused};

/// An authority, a login role and a pgbouncer block whose tls block holds
/// `tls` and whose settings hold `settings`. The tls block's first line
/// is line 9; the first setting is on line `9 + lines in tls + 2`.
fn config(tls: &str, settings: &str) -> String {
    format!(
        "certificate_authority \"main\" {{}}\nrole \"app_user\" {{\n  login    = true\n  password = \"pw\"\n}}\npgbouncer \"main\" {{\n  config_dir = \"/etc/pgbouncer\"\n  users      = [\"app_user\"]\n  tls {{\n{tls}\n  }}\n  settings = {{\n{settings}\n  }}\n}}\n"
    )
}

#[test]
fn a_tls_block_decodes_with_defaults() {
    let loaded = load_text(&config(
        "    ca        = \"main\"\n    dns_names = [\"PgBouncer.internal\", \"localhost\"]",
        "",
    ))
    .unwrap();
    let tls = loaded.desired.pgbouncers["main"].tls.clone().unwrap();
    assert_eq!(tls.ca, "main");
    assert_eq!(tls.common_name, "pgbouncer.internal");
    assert_eq!(tls.dns_names, ["pgbouncer.internal", "localhost"]);
    assert_eq!(tls.client_sslmode, "require");
    assert_eq!(tls.server_sslmode, None);
    assert_eq!(tls.validity.to_string(), "365d");
    assert_eq!(tls.renew_before.to_string(), "30d");

    let loaded = load_text(&config(
        "    ca = \"main\"\n    ip_addresses = [\"127.0.0.1\"]\n    client_sslmode = \"prefer\"\n    server_sslmode = \"verify-full\"\n    key_type = \"rsa-2048\"",
        "    server_tls_protocols = \"secure\"",
    ))
    .unwrap();
    let tls = loaded.desired.pgbouncers["main"].tls.clone().unwrap();
    assert_eq!(tls.common_name, "127.0.0.1");
    assert_eq!(tls.client_sslmode, "prefer");
    assert_eq!(tls.server_sslmode.as_deref(), Some("verify-full"));
}

#[test]
fn tls_block_errors_are_located() {
    refused(
        &config("    dns_names = [\"pgb\"]", ""),
        "9:3: missing attribute \"ca\" in tls block of pgbouncer \"main\"",
        Some("write ca = \"main\" (a certificate_authority)"),
    );
    refused(
        &config("    ca = \"mian\"\n    dns_names = [\"pgb\"]", ""),
        "10:10: certificate_authority \"mian\" is not declared",
        Some("did you mean \"main\"?"),
    );
    let (error, _) = error_of(&config("    ca = \"main\"", ""));
    assert!(
        error.starts_with("9:3: missing attribute \"dns_names\""),
        "{error}"
    );
    refused(
        &config(
            "    ca = \"main\"\n    dns_names = [\"pgb\"]\n    client_sslmode = \"verify-full\"",
            "",
        ),
        "12:22: invalid client_sslmode \"verify-full\", expected one of: allow, prefer, require",
        None,
    );
    refused(
        &config(
            "    ca = \"main\"\n    dns_names = [\"pgb\"]\n    server_sslmode = \"disable\"",
            "",
        ),
        "12:22: invalid server_sslmode \"disable\", expected one of: allow, prefer, require, verify-ca, verify-full",
        None,
    );
    let (error, _) = error_of(&config(
        "    ca = \"main\"\n    dns_names = [\"pgb\"]\n    colour = \"blue\"",
        "",
    ));
    assert!(
        error.starts_with("12:5: unknown attribute \"colour\""),
        "{error}"
    );
}

#[test]
fn settings_the_tls_block_writes_are_refused_in_settings() {
    let tls = "    ca = \"main\"\n    dns_names = [\"pgb\"]";
    for key in [
        "client_tls_sslmode",
        "client_tls_key_file",
        "client_tls_cert_file",
        "client_tls_ca_file",
    ] {
        let (error, hint) = error_of(&config(tls, &format!("    {key} = \"require\"")));
        assert!(
            error.starts_with(&format!(
                "14:5: {key} cannot be set in settings: the tls block"
            )),
            "{error}"
        );
        assert_eq!(
            hint.as_deref(),
            Some(
                format!(
                    "remove {key} from settings of pgbouncer \"main\", or remove the tls block"
                )
                .as_str()
            )
        );
    }
    // The server side is the block's only with server_sslmode.
    assert!(load_text(&config(tls, "    server_tls_sslmode = \"require\"")).is_ok());
    let with_server =
        "    ca = \"main\"\n    dns_names = [\"pgb\"]\n    server_sslmode = \"require\"";
    refused(
        &config(with_server, "    server_tls_ca_file = \"/ca.pem\""),
        "15:5: server_tls_ca_file cannot be set in settings: the tls block writes it: the authority's certificate, in config_dir",
        Some(
            "remove server_tls_ca_file from settings of pgbouncer \"main\", or remove the tls block",
        ),
    );
}
