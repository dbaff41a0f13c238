# PgBouncer in front of the server, TLS on both sides from one authority:
# pgfort generates the authority, installs the server's certificate, and
# issues PgBouncer's own into its directory. Clients verify PgBouncer
# (verify-full) as they would the server, and PgBouncer verifies the
# server (server_sslmode = "verify-full"). The auth file holds the
# roles' SCRAM verifiers, never a password.
#
# The authority's key stays in certs/ (mode 0600): keep it out of version
# control and somewhere safe.

variable "server_port" {
  type = number
}

variable "pgbouncer_dir" {
  type = string
}

variable "pgbouncer_port" {
  type    = number
  default = 6432
}

variable "app_password" {
  type      = string
  sensitive = true
}

variable "admin_password" {
  type      = string
  sensitive = true
}

# The admin console pgfort reloads PgBouncer through. Without it pgfort
# writes the files and leaves the reload to you (as on the first apply,
# before PgBouncer runs).
variable "admin_url" {
  type      = string
  default   = null
  sensitive = true
}

certificate_authority "main" {
  cert_file   = "certs/ca.crt"
  key_file    = "certs/ca.key"
  common_name = "pgfort example CA"
}

server_certificate {
  ca           = "main"
  dns_names    = ["localhost"]
  ip_addresses = ["127.0.0.1"]
}

role "app_user" {
  login    = true
  password = var.app_password
}

role "pgb_admin" {
  login    = true
  password = var.admin_password
}

database "appdb" {
  owner = "app_user"
}

pgbouncer "main" {
  config_dir = var.pgbouncer_dir
  admin_url  = var.admin_url
  users      = ["app_user", "pgb_admin"]
  settings = {
    listen_addr     = "127.0.0.1"
    listen_port     = var.pgbouncer_port
    unix_socket_dir = ""
    auth_type       = "scram-sha-256"
    pool_mode       = "transaction"
    admin_users     = ["pgb_admin"]
    logfile         = "${var.pgbouncer_dir}/pgbouncer.log"
    pidfile         = "${var.pgbouncer_dir}/pgbouncer.pid"
  }
  tls {
    ca             = "main"
    dns_names      = ["localhost"]
    ip_addresses   = ["127.0.0.1"]
    client_sslmode = "require"
    server_sslmode = "verify-full"
  }
  database "appdb" {
    host = "127.0.0.1"
    port = var.server_port
  }
}
