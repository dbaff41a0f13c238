# A group role that can read and write every table, and use every sequence, of some schemas,
# including tables created later by the schemas' owner.
#
#   pgfort apply -var database=myapp -var 'schemas=["app"]' modules/readwrite-role

variable "database" {
  description = "Database the role reads and writes"
}

variable "schemas" {
  description = "Schemas the role reads and writes"
  type        = list(string)
  default     = ["public"]
}

variable "owner" {
  description = "Role that owns the schemas' tables (their future tables are covered too)"
  default     = "app_owner"
}

role "app_owner" {}

role "readwrite" {
  comment = "reads and writes ${var.database}"
}

grant {
  to         = ["readwrite"]
  privileges = ["CONNECT"]
  on         = { database = var.database }
}

grant {
  to         = ["readwrite"]
  privileges = ["USAGE"]
  on         = { database = var.database, schemas = var.schemas }
}

grant {
  to         = ["readwrite"]
  privileges = ["SELECT", "INSERT", "UPDATE", "DELETE"]
  owners     = [var.owner]
  on         = { database = var.database, schemas = var.schemas, all = "tables" }
}

grant {
  to         = ["readwrite"]
  privileges = ["USAGE", "SELECT", "UPDATE"]
  owners     = [var.owner]
  on         = { database = var.database, schemas = var.schemas, all = "sequences" }
}
