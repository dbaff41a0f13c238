# A production server for the "myapp" application, in one directory:
#
# - strong passwords from variables (SCRAM-hashed on this machine);
# - app_user with least privilege: CONNECT, and DML on the application's
#   tables through app_readwrite (future tables included);
# - the documents table under row-level security: each end user sees only
#   their own rows;
# - TLS with certificates pgfort generates (authority in pki/, key 0600);
# - pg_hba: TLS only over the network: the application subnet, and pgfort
#   and the administrator from the server itself; everything else rejected.
#   One apply bootstraps a fresh server: it turns SSL on, then switches its
#   own connection to TLS before it writes pg_hba.conf;
# - audit logging and the rest of the hardened baseline (settings and
#   PUBLIC's privileges), log files, WAL archiving, so `pgfort audit`
#   passes every control configuration can satisfy (see README.md);
# - auth_delay and passwordcheck against password guessing;
# - pg_stat_statements, and settings tuned for a 16 GB web server.
#
# The application's migrations create the tables (see setup.sql); pgfort
# manages who may do what with them. Restart-only settings (tuning,
# shared_preload_libraries) take effect at the next restart:
#
#   psql -f setup.sql
#   pgfort apply --restart-if-needed --pgdata /var/lib/postgresql/16/main \
#     -var-file production.pgfortvars .

variable "app_password" {
  description = "Password of the application login (use 16+ random characters)"
  sensitive   = true
}

variable "app_subnet" {
  description = "The network the application servers connect from"
  default     = "10.0.1.0/24"
}

variable "server_name" {
  description = "The name clients use for this server (in its certificate)"
  default     = "db.example.com"
}

variable "wal_archive_command" {
  description = "Copies a finished WAL file (%p) to the backup target (%f is its name)"
  default     = "test ! -f /var/lib/postgresql/wal-archive/%f && cp %p /var/lib/postgresql/wal-archive/%f"
}

variable "log_directory" {
  description = "Where log files go: outside the data directory, writable by the server's OS user"
  default     = "/var/log/postgresql"
}

variable "memory" {
  description = "RAM PostgreSQL may use"
  default     = "16GB"
}

locals {
  db = "myapp"
}

role "app_owner" {
  comment = "owns the application's objects; never logs in"
}

role "app_readwrite" {
  comment = "read and write the application's tables"
}

role "app_user" {
  login            = true
  password         = var.app_password
  connection_limit = 50
  member_of        = ["app_readwrite"]
  settings         = { statement_timeout = "30s" }
  comment          = "application login"
}

# The database, schema public owned by app_owner, PUBLIC's privileges
# locked down, and the logging and authentication settings the audit
# checks.
module "baseline" {
  source         = "../../modules/hardened-baseline"
  database       = local.db
  database_owner = "app_owner"
  schema_owner   = "app_owner"
}

grant {
  to         = ["app_user"]
  privileges = ["CONNECT"]
  on         = { database = local.db }
}

# The maintenance database gets the same PUBLIC lock-down: before
# PostgreSQL 15, PUBLIC may create in its schema public (4.10-ext audits
# every database).
database "postgres" {}

grant {
  to         = ["public"]
  privileges = ["CONNECT", "TEMPORARY"]
  on         = { database = "postgres" }
}

grant {
  to         = ["public"]
  privileges = ["USAGE"]
  on         = { database = "postgres", schema = "public" }
}

grant {
  to         = ["app_readwrite"]
  privileges = ["USAGE"]
  on         = { database = local.db, schema = "public" }
}

grant {
  to         = ["app_readwrite"]
  privileges = ["SELECT", "INSERT", "UPDATE", "DELETE"]
  on         = { database = local.db, schema = "public", all = "tables" }
  owners     = ["app_owner"]
}

grant {
  to         = ["app_readwrite"]
  privileges = ["USAGE"]
  on         = { database = local.db, schema = "public", all = "sequences" }
  owners     = ["app_owner"]
}

table "documents" {
  database           = local.db
  schema             = "public"
  owner              = "app_owner"
  row_level_security = "force"
  comment            = "one row per document, owned by an end user"
}

policy "user_documents" {
  database   = local.db
  table      = "public.documents"
  command    = "ALL"
  to         = ["app_user"]
  using      = "owner_id = current_setting('app.user_id')::integer"
  with_check = "owner_id = current_setting('app.user_id')::integer"
}

extension "pg_stat_statements" {
  database = local.db
}

# A pause after each failed login, and a strength check of passwords other
# clients set in clear text (pgfort itself sends SCRAM verifiers).
extension "auth_delay" {}
extension "passwordcheck" {}

# Beyond the baseline: logs collected into files, a private socket,
# forward-secret ciphers, and WAL archived for point-in-time recovery.
settings {
  logging_collector       = true
  log_directory           = var.log_directory
  auth_delay              = { milliseconds = 500 }
  unix_socket_permissions = "0770"
  ssl_ciphers             = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!kRSA"
  archive_mode            = "on"
  archive_command         = var.wal_archive_command
}

tune {
  memory      = var.memory
  cpus        = 4
  connections = 200
  storage     = "ssd"
  workload    = "web"
}

certificate_authority "internal" {
  cert_file   = "pki/ca.crt"
  key_file    = "pki/ca.key"
  common_name = "myapp internal CA"
}

server_certificate {
  ca           = "internal"
  dns_names    = [var.server_name, "localhost"]
  ip_addresses = ["127.0.0.1"]
  renew_before = "30d"
}

hba {
  rule {
    type    = "local"
    user    = "postgres"
    method  = "scram-sha-256"
    comment = "administration on the server itself"
  }
  # Over TLS too: on a fresh server the first apply turns SSL on, then
  # switches its own connection to TLS before it writes this file.
  rule {
    type     = "hostssl"
    database = ["postgres", local.db]
    user     = ["postgres"]
    address  = "127.0.0.1/32"
    method   = "scram-sha-256"
    comment  = "pgfort and the administrator, from the server's host only"
  }
  rule {
    type     = "hostssl"
    database = [local.db]
    user     = ["app_user"]
    address  = var.app_subnet
    method   = "scram-sha-256"
    comment  = "the application servers, over TLS"
  }
  rule {
    type    = "host"
    address = "all"
    method  = "reject"
    comment = "nobody else"
  }

  # Self-tests against the rules above, at plan time (and in validate).
  check {
    user     = "app_user"
    database = "myapp"
    address  = cidrhost(var.app_subnet, -1)
    ssl      = true
    expect   = "scram-sha-256"
  }
  check {
    user     = "app_user"
    database = "myapp"
    address  = cidrhost(var.app_subnet, -1)
    ssl      = false
    expect   = "reject"
  }
}
