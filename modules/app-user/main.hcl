# An application login: CONNECT, USAGE on its schemas, read-write on every
# current and future table and sequence, a password and sane limits.
#
#   pgfort apply -var database=myapp -var password=… modules/app-user

variable "database" {
  description = "The application's database"
}

variable "schemas" {
  type    = list(string)
  default = ["public"]
}

variable "password" {
  description = "The login's password"
  sensitive   = true
}

variable "owner" {
  description = "Role that owns the application's tables"
  default     = "app_owner"
}

role "app_owner" {}

role "app_user" {
  login            = true
  password         = var.password
  connection_limit = 50
  settings         = { statement_timeout = "30s", idle_in_transaction_session_timeout = "60s" }
  comment          = "application login for ${var.database}"
}

grant {
  to         = ["app_user"]
  privileges = ["CONNECT"]
  on         = { database = var.database }
}

grant {
  to         = ["app_user"]
  privileges = ["USAGE"]
  on         = { database = var.database, schemas = var.schemas }
}

grant {
  to         = ["app_user"]
  privileges = ["SELECT", "INSERT", "UPDATE", "DELETE"]
  owners     = [var.owner]
  on         = { database = var.database, schemas = var.schemas, all = "tables" }
}

grant {
  to         = ["app_user"]
  privileges = ["USAGE", "SELECT"]
  owners     = [var.owner]
  on         = { database = var.database, schemas = var.schemas, all = "sequences" }
}
