# TLS for every network connection: pgfort generates a certificate
# authority on this machine, issues and installs the server's certificate,
# turns SSL on (a reload, no restart) and proves a verify-full connection.
# The role "reporting" logs in with a client certificate instead of a
# password. Certificates are renewed 30 days before they expire.
#
# The authority's key stays in certs/ (mode 0600): keep it out of version
# control and somewhere safe.

certificate_authority "main" {
  cert_file   = "certs/ca.crt"
  key_file    = "certs/ca.key"
  common_name = "pgfort example CA"
  validity    = "3650d"
}

server_certificate {
  ca                   = "main"
  dns_names            = ["localhost"]
  ip_addresses         = ["127.0.0.1"]
  validity             = "365d"
  renew_before         = "30d"
  min_protocol_version = "TLSv1.3"
}

role "reporting" {
  login = true
}

client_certificate "reporting" {
  ca      = "main"
  out_dir = "certs"
}

hba {
  rule {
    type    = "host"
    user    = "postgres"
    address = "127.0.0.1/32"
    method  = "scram-sha-256"
    comment = "pgfort and the administrator, from the server's host only"
  }
  rule {
    type    = "hostssl"
    user    = "reporting"
    address = "all"
    method  = "cert"
    comment = "reporting proves who it is with its client certificate"
  }
  rule {
    type    = "hostssl"
    address = "all"
    method  = "scram-sha-256"
    comment = "everyone else: TLS and a password"
  }
  rule {
    type    = "host"
    address = "all"
    method  = "reject"
    comment = "no unencrypted connections"
  }
}
