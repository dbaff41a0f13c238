# Server settings and PUBLIC privileges that make the logging,
# authentication and privilege controls of `pgfort audit` pass.
#
#   role "app_owner" {}
#
#   module "baseline" {
#     source       = "../modules/hardened-baseline"
#     database     = "myapp"
#     schema_owner = "app_owner"
#   }

variable "database" {
  description = "Database whose PUBLIC privileges are locked down (declared here)"
  type        = string
  default     = "postgres"
}

variable "database_owner" {
  description = "Owner of that database (default: left as it is)"
  type        = string
  default     = null
}

variable "schema_owner" {
  description = "Role that keeps CREATE on schema public (declared elsewhere)"
  type        = string
}

settings {
  # 5.12-ext, 5.7-ext
  password_encryption    = "scram-sha-256"
  authentication_timeout = "30s"

  # 3.1.x: who connected, what they changed, in files only the server reads
  log_connections          = true
  log_disconnections       = true
  log_statement            = "ddl"
  log_line_prefix          = "%m [%p] %q%u@%d app=%a host=%h "
  log_min_messages         = "warning"
  log_min_error_statement  = "error"
  log_file_mode            = "0600"
  log_truncate_on_rotation = true
  log_rotation_age         = "1d"
  log_rotation_size        = "100MB"
  log_hostname             = false
  log_replication_commands = true
  log_error_verbosity      = "verbose"
  log_checkpoints          = true
  log_lock_waits           = true
  log_timezone             = "UTC" # ext-log-timezone: logs of every server line up
  debug_print_parse        = false
  debug_print_rewritten    = false
  debug_print_plan         = false

  # 6.2, 6.8-tls (takes effect once ssl is configured)
  ignore_system_indexes    = false
  post_auth_delay          = 0
  ssl_min_protocol_version = "TLSv1.2"

  # ext-fsync, ext-full-page-writes: a crash must not corrupt the cluster
  fsync            = true
  full_page_writes = true

  autovacuum = true

  # ext-idle-in-transaction: an abandoned transaction must not
  # hold locks and vacuum back for hours
  idle_in_transaction_session_timeout = "10min"
}

# 4.10-ext: PUBLIC's privileges on the declared database and its schemas
# become authoritative, so a CREATE granted to PUBLIC on schema public is
# revoked. PUBLIC keeps what it needs; only the owner role may create.
manage {
  public_privileges = true
}

database "hardened" {
  name  = var.database
  owner = var.database_owner
}

grant {
  to         = ["public"]
  privileges = ["CONNECT", "TEMPORARY"]
  on         = { database = var.database }
}

grant {
  to         = ["public"]
  privileges = ["USAGE"]
  on         = { database = var.database, schema = "public" }
}

grant {
  to         = [var.schema_owner]
  privileges = ["USAGE", "CREATE"]
  on         = { database = var.database, schema = "public" }
}

output "database" {
  description = "The database whose PUBLIC privileges are managed"
  value       = var.database
}
