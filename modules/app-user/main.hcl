# The login an application connects as: a member of a read-write group
# role (the readwrite-role module), with a password, a connection limit and
# timeouts.
#
#   module "app" {
#     source   = "../modules/app-user"
#     database = "myapp"
#     schemas  = ["app"]
#     owners   = ["app_owner"]
#     password = var.app_password
#   }

variable "name" {
  description = "Name of the login role"
  type        = string
  default     = "app_user"
}

variable "database" {
  description = "The application's database"
  type        = string
}

variable "schemas" {
  description = "Schemas the application reads and writes"
  type        = list(string)
  default     = ["public"]
}

variable "owners" {
  description = "Roles whose future tables and sequences are covered too (declared elsewhere)"
  type        = list(string)
  default     = []
}

variable "password" {
  description = "The login's password"
  type        = string
  sensitive   = true
}

variable "connection_limit" {
  description = "Most connections at once"
  type        = number
  default     = 50
}

variable "settings" {
  description = "Session settings of the login"
  type        = map(string)
  default = {
    statement_timeout                   = "30s"
    idle_in_transaction_session_timeout = "60s"
  }
}

module "access" {
  source   = "../readwrite-role"
  name     = "${var.name}_readwrite"
  database = var.database
  schemas  = var.schemas
  owners   = var.owners
}

role "login" {
  name             = var.name
  login            = true
  password         = var.password
  connection_limit = var.connection_limit
  settings         = var.settings
  member_of        = [module.access.role]
  comment          = "application login for ${var.database}"
}

output "role" {
  description = "Name of the login role"
  value       = var.name
}

output "group" {
  description = "Name of the read-write group role the login belongs to"
  value       = module.access.role
}
