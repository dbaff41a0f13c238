# A NOLOGIN group role that reads every table and sequence of some schemas
# of one database, including those the owners create later.
#
#   module "reporting" {
#     source   = "../modules/readonly-role"
#     name     = "reporting"
#     database = "myapp"
#     schemas  = ["app"]
#     owners   = ["app_owner"]
#   }

variable "name" {
  description = "Name of the group role"
  type        = string
}

variable "database" {
  description = "Database the role reads"
  type        = string
}

variable "schemas" {
  description = "Schemas the role reads"
  type        = list(string)
  default     = ["public"]
}

variable "owners" {
  description = "Roles whose future tables and sequences are covered too (declared elsewhere)"
  type        = list(string)
  default     = []
}

variable "comment" {
  description = "Comment on the role (default: what it reads)"
  type        = string
  default     = null
}

role "reader" {
  name    = var.name
  comment = var.comment == null ? "reads ${var.database}" : var.comment
}

grant {
  to         = [var.name]
  privileges = ["CONNECT"]
  on         = { database = var.database }
}

grant {
  to         = [var.name]
  privileges = ["USAGE"]
  on         = { database = var.database, schemas = var.schemas }
}

grant {
  to         = [var.name]
  privileges = ["SELECT"]
  owners     = var.owners
  on         = { database = var.database, schemas = var.schemas, all = "tables" }
}

grant {
  to         = [var.name]
  privileges = ["SELECT"]
  owners     = var.owners
  on         = { database = var.database, schemas = var.schemas, all = "sequences" }
}

output "role" {
  description = "Name of the group role, for member_of and grants"
  value       = var.name
}

output "database" {
  description = "The database it reads"
  value       = var.database
}
