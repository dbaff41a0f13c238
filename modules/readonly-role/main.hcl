# A group role that can read every table and sequence of some schemas,
# including tables created later by the schemas' owner.
#
#   pgfort apply -var database=myapp -var 'schemas=["app"]' modules/readonly-role

variable "database" {
  description = "Database the role reads"
}

variable "schemas" {
  description = "Schemas the role reads"
  type        = list(string)
  default     = ["public"]
}

variable "owner" {
  description = "Role that owns the schemas' tables (their future tables are covered too)"
  default     = "app_owner"
}

role "app_owner" {}

role "readonly" {
  comment = "reads ${var.database}"
}

grant {
  to         = ["readonly"]
  privileges = ["CONNECT"]
  on         = { database = var.database }
}

grant {
  to         = ["readonly"]
  privileges = ["USAGE"]
  on         = { database = var.database, schemas = var.schemas }
}

grant {
  to         = ["readonly"]
  privileges = ["SELECT"]
  owners     = [var.owner]
  on         = { database = var.database, schemas = var.schemas, all = "tables" }
}

grant {
  to         = ["readonly"]
  privileges = ["SELECT"]
  owners     = [var.owner]
  on         = { database = var.database, schemas = var.schemas, all = "sequences" }
}
