# A NOLOGIN group role that reads and writes every table, and uses every
# sequence, of some schemas of one database, including those the owners
# create later. It is the readonly-role module plus the write privileges.
#
#   module "app_rw" {
#     source   = "../modules/readwrite-role"
#     name     = "app_readwrite"
#     database = "myapp"
#     schemas  = ["app"]
#     owners   = ["app_owner"]
#   }

variable "name" {
  description = "Name of the group role"
  type        = string
}

variable "database" {
  description = "Database the role reads and writes"
  type        = string
}

variable "schemas" {
  description = "Schemas the role reads and writes"
  type        = list(string)
  default     = ["public"]
}

variable "owners" {
  description = "Roles whose future tables and sequences are covered too (declared elsewhere)"
  type        = list(string)
  default     = []
}

variable "comment" {
  description = "Comment on the role (default: what it reads and writes)"
  type        = string
  default     = null
}

# CONNECT, USAGE and SELECT on tables and sequences.
module "read" {
  source   = "../readonly-role"
  name     = var.name
  database = var.database
  schemas  = var.schemas
  owners   = var.owners
  comment  = var.comment == null ? "reads and writes ${var.database}" : var.comment
}

grant {
  to         = [module.read.role]
  privileges = ["INSERT", "UPDATE", "DELETE"]
  owners     = var.owners
  on         = { database = var.database, schemas = var.schemas, all = "tables" }
}

grant {
  to         = [module.read.role]
  privileges = ["USAGE", "UPDATE"]
  owners     = var.owners
  on         = { database = var.database, schemas = var.schemas, all = "sequences" }
}

output "role" {
  description = "Name of the group role, for member_of and grants"
  value       = module.read.role
}

output "database" {
  description = "The database it reads and writes"
  value       = var.database
}
