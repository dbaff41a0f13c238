# Query statistics and a login for monitoring agents: pg_stat_statements
# in one database (pgfort adds it to shared_preload_libraries, which needs
# a restart) and a login role that is a member of pg_monitor.
#
#   module "monitoring" {
#     source   = "../modules/monitoring"
#     database = "myapp"
#     password = var.monitoring_password
#   }

variable "name" {
  description = "Name of the monitoring login"
  type        = string
  default     = "monitoring"
}

variable "database" {
  description = "Database pg_stat_statements is created in (its view shows every database's queries)"
  type        = string
  default     = "postgres"
}

variable "password" {
  description = "The login's password (none: authenticate another way, e.g. peer or cert)"
  type        = string
  sensitive   = true
  default     = null
}

variable "connection_limit" {
  description = "Most connections at once"
  type        = number
  default     = 5
}

extension "pg_stat_statements" {
  database = var.database
}

role "monitor" {
  name             = var.name
  login            = true
  password         = var.password
  connection_limit = var.connection_limit
  member_of        = ["pg_monitor"]
  comment          = "monitoring login"
}

grant {
  to         = [var.name]
  privileges = ["CONNECT"]
  on         = { database = var.database }
}

output "role" {
  description = "Name of the monitoring login"
  value       = var.name
}

output "database" {
  description = "Database holding the pg_stat_statements view"
  value       = var.database
}
